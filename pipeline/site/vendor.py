"""Third-party files the site serves (Chart.js), fetched at build time from the npm registry, pinned and verified.

Nothing third-party is committed. Each package is named by its version and the integrity hash npm
published for it; the tarball is downloaded once into the machine-wide cache, checked against that
hash every time it is used, and the one file the site needs is copied out of it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import tarfile
from dataclasses import dataclass
from pathlib import Path

import requests
from filelock import FileLock

from pipeline import config
from pipeline.common.atomic import write_atomically
from pipeline.errors import SiteError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NpmFile:
    package: str
    version: str
    integrity: str  # npm's `dist.integrity` for the tarball
    member: str     # path inside the tarball
    name: str       # the file's name in output/assets (before its content hash)

    @property
    def tarball(self) -> str:
        return f"{self.package}-{self.version}.tgz"


CHART_JS = NpmFile("chart.js", "4.5.1",
                   "sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw==",
                   "package/dist/chart.umd.min.js", "chart.umd.min.js")
VENDORED = (CHART_JS,)


def _matches(data: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected


def _download(spec: NpmFile) -> bytes:
    url = f"{config.npm_registry()}/{spec.package}/-/{spec.tarball}"
    try:
        response = requests.get(url, timeout=60)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise SiteError(f"cannot download {spec.package}@{spec.version} from {url}: {exc}; the site needs it "
                        "(set DISCOGS_SITE_NPM_REGISTRY for a mirror)") from None
    if not _matches(response.content, spec.integrity):
        raise SiteError(f"{url} does not match the pinned integrity of {spec.package}@{spec.version}; refusing it")
    return response.content


def tarball(spec: NpmFile, cache: Path | None = None) -> bytes:
    """The package's verified tarball, from the cache or else from the registry (then cached)."""
    directory = (cache or config.cache_dir()) / "npm"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / spec.tarball
    with FileLock(directory / f".{spec.tarball}.lock"):
        if path.exists():
            data = path.read_bytes()
            if _matches(data, spec.integrity):
                return data
            log.warning("%s in the cache does not match its integrity hash; downloading it again", path)
        data = _download(spec)
        write_atomically(path, data, durable=False)
        return data


def vendored_file(spec: NpmFile, cache: Path | None = None) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tarball(spec, cache)), mode="r:gz") as archive:
        member = archive.extractfile(spec.member)
        if member is None:
            raise SiteError(f"{spec.package}@{spec.version} has no {spec.member}")
        return member.read()
