"""Import a masters dump into the shared master cache: every master of the file, or nothing at all.

The file is streamed into a staging database beside the cache (`masters.sqlite.import`), then merged in
one transaction, so the cache is untouched until the whole file has been read: a truncated or corrupt
dump, or a killed import, leaves it exactly as it was. A killed import starts again from the top (the
staging file is thrown away); the download, which is the slow part on a real line, resumes instead.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.dump.merge import merge_dump
from pipeline.dump.names import dated
from pipeline.dump.reader import DumpReader
from pipeline.masters.cache import MasterCache


@dataclass
class ImportResult:
    day: str                 # the dump's date, YYYY-MM-DD
    masters: int = 0         # read from the file
    written: int = 0         # rows the cache took from the dump
    kept_newer: int = 0      # masters the API had answered after the dump's date: left as they were
    seconds: float = 0.0
    file_bytes: int = 0
    skipped: int = 0         # <master> elements without a numeric id

    @property
    def per_second(self) -> float:
        return self.masters / self.seconds if self.seconds else 0.0


def import_dump(path: Path, cache_path: Path, *, day: date | None = None, url: str = "", sha256: str = "",
                report: Callable[[int, int], None] | None = None) -> ImportResult:
    """Stream `path` into the master cache at `cache_path`; `report(bytes_read, file_bytes)` follows progress."""
    path, cache_path = Path(path), Path(cache_path)
    day = dated(str(path), day)
    started = time.monotonic()
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    staging = cache_path.with_name(cache_path.name + ".import")
    staging.unlink(missing_ok=True)  # what a killed import left: start over
    reader = DumpReader(path)
    result = ImportResult(day=day.isoformat(), file_bytes=reader.size)
    try:
        result.masters = _stage(reader, staging, report)
        result.skipped = reader.skipped
        with MasterCache(cache_path) as cache:
            result.written, result.kept_newer = merge_dump(cache, staging, result.day, url or str(path), sha256,
                                                                 result.masters)
    finally:
        staging.unlink(missing_ok=True)
    result.seconds = time.monotonic() - started
    return result


def _stage(reader: DumpReader, staging: Path, report: Callable[[int, int], None] | None) -> int:
    db = sqlite3.connect(staging)
    try:
        # A throwaway file rebuilt from scratch after any failure: no journal, no syncs.
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE TABLE masters (id INTEGER PRIMARY KEY, title TEXT, year INTEGER, genres TEXT, "
                   "styles TEXT, main_release INTEGER)")
        count = 0
        for rows in reader.batches():
            db.executemany("INSERT OR REPLACE INTO masters VALUES (?, ?, ?, ?, ?, ?)", rows)
            count += len(rows)
            if report:
                report(reader.offset, reader.size)
        db.commit()
        if report:
            report(reader.size, reader.size)
        return count
    finally:
        db.close()
