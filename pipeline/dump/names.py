"""Where Discogs publishes the masters dump, what its files are called, and how their checksums are taken.

Dumps appear monthly under CC0 at `https://discogs-data-dumps.s3.us-west-2.amazonaws.com/`, one folder
per year, each dated the first of its month: `data/2026/discogs_20261101_masters.xml.gz` beside
`discogs_20261101_CHECKSUM.txt` (SHA-256 sums of that month's files). `DISCOGS_DUMP_URL` replaces the
pattern (the fake server serves generated dumps under the same layout).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline import config
from pipeline.errors import ConfigError

DEFAULT_URL = "https://discogs-data-dumps.s3.us-west-2.amazonaws.com/data/{year}/discogs_{date}_masters.xml.gz"
_NAME = re.compile(r"discogs_(\d{8})_masters\.xml(?:\.gz)?")


def dump_name(dump_date: date) -> str:
    return f"discogs_{dump_date:%Y%m%d}_masters.xml.gz"


def checksum_name(dump_date: date) -> str:
    return f"discogs_{dump_date:%Y%m%d}_CHECKSUM.txt"


def url_pattern() -> str:
    pattern = config.environment().dump_url or DEFAULT_URL
    if "{date}" not in pattern:
        raise ConfigError(f"DISCOGS_DUMP_URL={pattern!r} has no {{date}} placeholder (and may use {{year}}), "
                          f"e.g. {DEFAULT_URL}")
    return pattern


def dump_url(dump_date: date) -> str:
    return url_pattern().format(year=f"{dump_date:%Y}", date=f"{dump_date:%Y%m%d}")


def checksum_url(url: str, dump_date: date) -> str:
    """The CHECKSUM file sits beside the dump."""
    return url.rsplit("/", 1)[0] + "/" + checksum_name(dump_date)


def date_of(name: str) -> date | None:
    """The dump date in a file name or URL such as `discogs_20261101_masters.xml.gz`."""
    found = _NAME.search(name)
    if not found:
        return None
    try:
        return datetime.strptime(found[1], "%Y%m%d").date()
    except ValueError:
        return None


def dated(name: str, day: date | None) -> date:
    """`day`, or the date in the dump's file name; a clear error when neither says."""
    day = day or date_of(name)
    if day is None:
        raise ConfigError(f"{name}: cannot tell the dump's date from its name (discogs_YYYYMMDD_masters.xml.gz); "
                          "pass --date")
    return day


def sha256_of(path: Path) -> str:
    """The SHA-256 a CHECKSUM file lists for `path`, computed a block at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def recent_months(today: date | None = None, count: int = 3) -> list[date]:
    """First days of this month and the ones before it, newest first: where the newest dump may be."""
    today = today or datetime.now(UTC).date()
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months
