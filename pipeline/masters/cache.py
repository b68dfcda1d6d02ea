"""The master cache shared by every user: one SQLite database of masters and of the dumps seen.

The cache is one SQLite database written through after every master, so a run killed at any moment
(even with SIGKILL) loses nothing and the next run never fetches a stored master again. Entries are
refreshed after a TTL stretched by up to a quarter per master, so a big first sync does not turn
into one day of refreshes every month. 404s are remembered like any other answer.

Rows come from the API (`source` 'api', `fetched_at` the answer's time) or from Discogs' monthly dump
(`source` 'dump', `fetched_at` the dump's date; see `pipeline.dump`). Whatever filled a row, it is
used; a dump row past its TTL is refreshed through the API only while no newer dump is waiting to be
imported, since importing that one costs no requests at all.

The dump's rows are everybody's; the API's (404s included) tell which masters some collector holds
and when their run asked. `write_fetched`, `drop_fetched` and `merge_fetched` let the sealed state
(`pipeline.state.seal`) carry the latter while the plain file keeps the former.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipeline.discogs.records import Master

DEFAULT_TTL_DAYS = 30.0
MASTER_SCHEMA = {"master_id": pl.Int64, "master_found": pl.Boolean, "master_year": pl.Int64,
                 "master_genres": pl.List(pl.String), "master_styles": pl.List(pl.String)}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS masters (
    id INTEGER PRIMARY KEY,
    found INTEGER NOT NULL,          -- 0: Discogs answered 404 (deleted or merged)
    title TEXT NOT NULL DEFAULT '',
    year INTEGER NOT NULL DEFAULT 0,
    genres TEXT NOT NULL DEFAULT '[]',
    styles TEXT NOT NULL DEFAULT '[]',
    main_release INTEGER,
    fetched_at REAL NOT NULL,        -- unix time of the answer this row holds
    source TEXT NOT NULL DEFAULT 'api'   -- 'api' or 'dump'
);
CREATE TABLE IF NOT EXISTS dumps (
    date TEXT PRIMARY KEY,           -- YYYY-MM-DD, the dump's date
    url TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL DEFAULT '',
    masters INTEGER NOT NULL DEFAULT 0,
    imported_at REAL                 -- NULL: published, not imported yet
);
"""


CACHE_FILE = "masters.sqlite"
_COLUMNS = "id, found, title, year, genres, styles, main_release, fetched_at, source"
_FETCHED = "source != 'dump'"  # the API's answers, remembered 404s included: what collectors asked for


def cache_path(state: Path) -> Path:
    """The master cache every user shares, in the state directory."""
    return Path(state) / CACHE_FILE


def day_start(day: str) -> float:
    """Unix time of midnight UTC starting `day` (YYYY-MM-DD): when a dump's data was current."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


def _wanted(master_ids: Iterable[int]) -> list[int]:
    """Real master ids (0 means "no master"), once each, in order."""
    return sorted({m for m in master_ids if m and m > 0})


def _spread(master_id: int) -> float:
    """A stable factor in [1, 1.25) per master that staggers refreshes."""
    return 1 + (zlib.crc32(str(master_id).encode()) % 1000) / 4000


class MasterCache:
    def __init__(self, path: Path, ttl_days: float = DEFAULT_TTL_DAYS) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ttl_seconds = ttl_days * 86400
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a master written is a master kept, even on power loss
        self._db.executescript(_SCHEMA)
        self._db.commit()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open database, for the dump merge (`pipeline.dump.merge`), which writes both tables in one
        transaction."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> MasterCache:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def due(self, master_ids: Iterable[int], now: float | None = None) -> list[int]:
        """The ids (> 0) the cache lacks or holds past their TTL: absent ones first, then the stalest."""
        now = now or time.time()
        wanted = _wanted(master_ids)
        stored = {i: (at, source) for i, at, source in self._rows("id, fetched_at, source", wanted)}
        waiting = self.pending_dump_time()
        absent = [m for m in wanted if m not in stored]
        stale = sorted((m for m in wanted if m in stored and now - stored[m][0] >= self.ttl_seconds * _spread(m)
                        and not (stored[m][1] == "dump" and stored[m][0] < waiting)),
                       key=lambda m: stored[m][0])
        return absent + stale

    def _rows(self, columns: str, ids: list[int]) -> Iterable[tuple]:
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            chunk = ids[start:start + 900]
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(f"SELECT {columns} FROM masters WHERE id IN ({marks})", chunk)

    def sources(self, master_ids: Iterable[int] | None = None) -> dict[str, int]:
        """How many of these masters (default: all) the cache holds from each source ('api', 'dump')."""
        counts = {"api": 0, "dump": 0}
        if master_ids is None:
            counts.update(self._db.execute("SELECT source, COUNT(*) FROM masters GROUP BY source"))
            return counts
        for (source,) in self._rows("source", _wanted(master_ids)):
            counts[source] = counts.get(source, 0) + 1
        return counts

    def pending_dump_time(self) -> float:
        """Unix time of the newest dump known to be published but not imported (0 when none waits)."""
        row = self._db.execute("SELECT MAX(date) FROM dumps WHERE imported_at IS NULL").fetchone()
        return day_start(row[0]) if row and row[0] else 0.0

    def note_dump(self, day: str, url: str) -> None:
        """Record that the dump of `day` (YYYY-MM-DD) is published; until imported it holds back API refreshes."""
        self._db.execute("INSERT OR IGNORE INTO dumps (date, url) VALUES (?, ?)", (day, url))
        self._db.commit()

    def dumps(self) -> list[dict[str, object]]:
        """Every dump recorded, newest first."""
        rows = self._db.execute("SELECT date, url, sha256, masters, imported_at FROM dumps ORDER BY date DESC")
        return [dict(zip(("date", "url", "sha256", "masters", "imported_at"), row, strict=True)) for row in rows]

    def put(self, master: Master, fetched_at: float | None = None, source: str = "api") -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO masters VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
            (master.id, master.title, master.year, json.dumps(list(master.genres)), json.dumps(list(master.styles)),
             master.main_release, fetched_at or time.time(), source),
        )
        self._db.commit()

    def put_missing(self, master_id: int, fetched_at: float | None = None) -> None:
        self._db.execute("INSERT OR REPLACE INTO masters (id, found, fetched_at) VALUES (?, 0, ?)",
                         (master_id, fetched_at or time.time()))
        self._db.commit()

    def frame(self, master_ids: Iterable[int] | None = None) -> pl.DataFrame:
        """Cached answers: master_id, found (False for a remembered 404), year, genres, styles."""
        columns = "id, found, year, genres, styles"
        if master_ids is None:
            rows = self._db.execute(f"SELECT {columns} FROM masters")
        else:  # the dump puts millions of rows here: read only the ones asked for
            rows = self._rows(columns, _wanted(master_ids))
        data = [(i, bool(f), y, json.loads(g), json.loads(s)) for i, f, y, g, s in rows]
        return pl.DataFrame(data, schema=MASTER_SCHEMA, orient="row")

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM masters").fetchone()[0]

    def write_fetched(self, target: Path) -> int:
        """Copy every row the API answered into a new master cache at `target`; returns how many."""
        with closing(sqlite3.connect(target)) as db:
            db.executescript(_SCHEMA)
        with self._attached(target):
            return self._db.execute(f"INSERT INTO other.masters ({_COLUMNS}) SELECT {_COLUMNS} FROM main.masters "
                                    f"WHERE {_FETCHED}").rowcount

    def drop_fetched(self, written: Path) -> int:
        """Delete the rows `write_fetched` copied to `written` (those still as they were: one answered again
        meanwhile stays), then rebuild the file so that nothing of any deleted or replaced row lingers in its
        free pages; returns how many went."""
        with self._attached(written):
            dropped = self._db.execute(
                "DELETE FROM main.masters WHERE EXISTS (SELECT 1 FROM other.masters o WHERE o.id = main.masters.id "
                "AND o.fetched_at = main.masters.fetched_at AND o.source = main.masters.source)").rowcount
        # SQLite builds with SECURE_DELETE (Debian's) zero a deleted row, others leave it in free space, and
        # any build keeps some deleted ids as dividers inside the table's tree: only a rebuild drops them all.
        self._db.execute("VACUUM")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file itself, not only its journal, is clean
        return dropped

    def merge_fetched(self, written: Path) -> int:
        """Take back the API's rows from a cache `write_fetched` made, one master at a time: a row replaces
        only an older answer for its master (as the dump merge keeps newer ones), and a row there marked as
        the dump's is ignored, so that file can never stand in for the dump's data; returns how many."""
        with self._attached(written):
            return self._db.execute(
                f"INSERT OR REPLACE INTO main.masters ({_COLUMNS}) SELECT {_COLUMNS} FROM other.masters o "
                f"WHERE o.source != 'dump' AND NOT EXISTS (SELECT 1 FROM main.masters m WHERE m.id = o.id "
                "AND m.fetched_at >= o.fetched_at)").rowcount

    @contextmanager
    def _attached(self, other: Path) -> Iterator[None]:
        """`other` attached as `other`, the statements inside in one transaction."""
        self._db.execute("ATTACH DATABASE ? AS other", (str(other),))
        try:
            with self._db:
                yield
        finally:
            self._db.execute("DETACH DATABASE other")
