"""The site's static files for output/assets/: our CSS and JS plus vendored Chart.js, named by content hash.

Content-hashed names let any static host cache them for a year: a changed file is a new name.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pipeline.site.vendor import VENDORED, vendored_file


def _templates() -> Path:
    """`pipeline/site_templates` in an installed wheel; the top-level `site_templates/` in the source tree."""
    packaged = Path(str(resources.files("pipeline"))) / "site_templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "site_templates"


TEMPLATES = _templates()
STATIC = TEMPLATES / "static"


@dataclass(frozen=True)
class Asset:
    name: str     # how templates refer to it: "site.css", "chart.umd.min.js"
    hashed: str   # its file name under assets/
    data: bytes


def _asset(name: str, data: bytes) -> Asset:
    stem, dot, suffix = name.rpartition(".")
    return Asset(name, f"{stem}-{hashlib.sha256(data).hexdigest()[:10]}{dot}{suffix}", data)


@functools.lru_cache(maxsize=1)
def _vendored() -> tuple[Asset, ...]:
    return tuple(_asset(spec.name, vendored_file(spec)) for spec in VENDORED)


def site_assets() -> dict[str, Asset]:
    """Every static file by template name; our own are re-read each time so edits show on the next build."""
    own = [_asset(p.name, p.read_bytes()) for p in sorted(STATIC.iterdir()) if p.is_file()]
    return {a.name: a for a in (*own, *_vendored())}


def write_assets(assets: dict[str, Asset], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for asset in assets.values():
        (directory / asset.hashed).write_bytes(asset.data)
