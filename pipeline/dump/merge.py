"""Merge a fully staged dump into the master cache in one transaction."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.masters.cache import MasterCache, day_start


def merge_dump(cache: MasterCache, staged: Path, day: str, url: str, sha256: str, masters: int) -> tuple[int, int]:
    """Take every master of a fully staged dump in one transaction; returns (written, kept_newer).

    A master the API answered after the dump's date keeps the API's answer. Until the commit the
    cache is exactly as it was, so a failed or killed import changes nothing.
    """
    dumped_at = day_start(day)
    db = cache.connection
    db.execute("ATTACH DATABASE ? AS staged", (str(staged),))
    try:
        with db:
            kept = db.execute(
                "SELECT COUNT(*) FROM staged.masters s JOIN masters m ON m.id = s.id "
                "WHERE m.source = 'api' AND m.fetched_at >= ?", (dumped_at,)).fetchone()[0]
            written = db.execute(
                "INSERT OR REPLACE INTO masters (id, found, title, year, genres, styles, main_release, fetched_at, "
                "source) SELECT s.id, 1, s.title, s.year, s.genres, s.styles, s.main_release, ?, 'dump' "
                "FROM staged.masters s WHERE NOT EXISTS "
                "(SELECT 1 FROM masters m WHERE m.id = s.id AND m.fetched_at >= ?)",
                (dumped_at, dumped_at)).rowcount
            db.execute("INSERT OR REPLACE INTO dumps VALUES (?, ?, ?, ?, ?)",
                   (day, url, sha256, masters, time.time()))
    finally:
        db.execute("DETACH DATABASE staged")
    return written, kept

