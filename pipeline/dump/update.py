"""Bring the master cache up to the newest masters dump: find it, download it (resuming), verify, import.

Used by `discogs-site masters-dump import` and by the `masters_dump` asset. A source is a local file,
a URL, or `latest` (the newest month published under `DISCOGS_DUMP_URL`). A dump already imported is
not downloaded again, which is what lets a scheduled build call this every time and still fetch the
file once a month.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from pipeline import config
from pipeline.dump.importer import ImportResult, import_dump
from pipeline.dump.names import checksum_name, checksum_url, dated, dump_url, recent_months, sha256_of
from pipeline.errors import ConfigError, SiteError
from pipeline.masters.cache import MasterCache

CHUNK = 1 << 20


class DumpFetchError(SiteError):
    """The dump or its checksum could not be fetched or did not match."""


@dataclass
class UpdateOutcome:
    day: str
    source: str
    result: ImportResult | None   # None: that dump was imported before, nothing was done
    downloaded_bytes: int = 0


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = config.default_user_agent()
    retry = Retry(total=4, backoff_factor=1.0, status_forcelist=(500, 502, 503, 504), allowed_methods=("GET", "HEAD"))
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def parse_checksums(text: str, name: str, where: str) -> str:
    """The SHA-256 listed for `name` in a CHECKSUM file (`<hex>  <name>` lines, as sha256sum writes)."""
    for line in text.splitlines():
        found = re.fullmatch(r"\s*([0-9a-fA-F]{64})\s+\*?(\S+)\s*", line)
        if found and Path(found[2]).name == name:
            return found[1].lower()
    raise DumpFetchError(f"{where} lists no SHA-256 for {name}")


def newest_published(session: requests.Session, today: date | None = None) -> tuple[date, str]:
    """The newest month whose dump answers at `DISCOGS_DUMP_URL` (this month, else the two before)."""
    tried = []
    for month in recent_months(today):
        url = dump_url(month)
        try:
            answer = session.head(url, timeout=config.timeout_seconds(), allow_redirects=True)
        except requests.RequestException as exc:
            raise DumpFetchError(f"cannot reach {url}: {exc.__class__.__name__}") from None
        if answer.status_code == 200:
            return month, url
        tried.append(f"{url} ({answer.status_code})")
    raise DumpFetchError("no masters dump published in the last three months: tried " + ", ".join(tried))


def download(session: requests.Session, url: str, directory: Path, expected: str | None,
             report: Callable[[int, int], None] | None = None) -> tuple[Path, int]:
    """Fetch `url` into `directory`, resuming a `.part` left by an earlier attempt; returns (file, bytes fetched).

    With `expected` (a SHA-256), a download that does not match is deleted and refused.
    """
    name = url.rsplit("/", 1)[-1]
    directory.mkdir(parents=True, exist_ok=True)
    final, part = directory / name, directory / (name + ".part")
    if final.exists() and expected and sha256_of(final) == expected:
        return final, 0
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    fetched = 0
    try:
        with session.get(url, headers=headers, stream=True, timeout=config.timeout_seconds()) as answer:
            if answer.status_code == 416:  # the part is already whole
                answer.close()
            elif answer.status_code not in (200, 206):
                raise DumpFetchError(f"{url}: HTTP {answer.status_code}")
            else:
                if answer.status_code == 200:
                    have = 0  # the server ignored the range: start over
                total = have + int(answer.headers.get("Content-Length") or 0)
                with part.open("ab" if have else "wb") as out:
                    for block in answer.iter_content(CHUNK):
                        out.write(block)
                        fetched += len(block)
                        if report:
                            report(have + fetched, total)
    except requests.RequestException as exc:
        raise DumpFetchError(f"{url}: download interrupted after {have + fetched:,} bytes ({exc.__class__.__name__}); "
                             "run the import again to resume") from None
    actual = sha256_of(part) if expected else None
    if expected and actual != expected:
        part.unlink()
        raise DumpFetchError(f"{url}: SHA-256 {actual} does not match the published {expected}; the download was "
                             "deleted, run the import again")
    part.replace(final)
    return final, fetched


def update(source: str, cache_path: Path, *, checksum: str | None = None, verify: bool = True,
           day: date | None = None, keep: bool = False, today: date | None = None,
           report: Callable[[str, int, int], None] | None = None) -> UpdateOutcome:
    """Import `source` (a path, a URL or `latest`) into the cache unless that dump is already there.

    `checksum` is a CHECKSUM file's path or URL; by default the one beside the dump. `verify=False`
    imports a local file nobody published a checksum for.
    """
    session = _session()
    is_url = source == "latest" or re.match(r"https?://", source) is not None
    if source == "latest":
        day, url = newest_published(session, today)
    elif is_url:
        url = source
        day = dated(url, day)
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{source}: no such dump file (give a path, a URL or `latest`)")
        day = dated(source, day)
    if _imported(cache_path, day):
        return UpdateOutcome(day.isoformat(), source, None)
    expected = _expected_sha256(session, source if not is_url else url, day, checksum, verify, is_url)
    fetched = 0
    if is_url:
        with MasterCache(cache_path) as cache:  # published: until imported, dump rows wait for it, not the API
            cache.note_dump(day.isoformat(), url)
        path, fetched = download(session, url, config.cache_dir() / "dumps", expected,
                                 report=(lambda done, total: report("download", done, total)) if report else None)
    elif expected and sha256_of(path) != expected:
        raise DumpFetchError(f"{path}: SHA-256 does not match the published checksum; the file is damaged or "
                             "not the dump it is named after")
    result = import_dump(path, cache_path, day=day, url=url if is_url else str(path), sha256=expected or "",
                         report=(lambda done, total: report("import", done, total)) if report else None)
    if is_url and not keep:
        path.unlink(missing_ok=True)
    return UpdateOutcome(day.isoformat(), source, result, fetched)


def _imported(cache_path: Path, day: date) -> bool:
    if not cache_path.exists():
        return False
    with MasterCache(cache_path) as cache:
        return any(d["date"] == day.isoformat() and d["imported_at"] for d in cache.dumps())


def _expected_sha256(session: requests.Session, source: str, day: date, checksum: str | None, verify: bool,
                     is_url: bool) -> str | None:
    if not verify:
        return None
    name = source.rsplit("/", 1)[-1] if is_url else Path(source).name
    where = checksum or (checksum_url(source, day) if is_url else str(Path(source).with_name(checksum_name(day))))
    if re.match(r"https?://", where):
        try:
            answer = session.get(where, timeout=config.timeout_seconds())
        except requests.RequestException as exc:
            raise DumpFetchError(f"cannot fetch the checksum file {where}: {exc.__class__.__name__}") from None
        if answer.status_code != 200:
            raise DumpFetchError(f"checksum file {where}: HTTP {answer.status_code}")
        text = answer.text
    else:
        try:
            text = Path(where).read_text(encoding="utf-8")
        except OSError:
            raise ConfigError(f"{where}: no checksum file beside the dump; pass --checksum FILE, or --no-verify to "
                              "import it unchecked") from None
    return parse_checksums(text, name, where)
