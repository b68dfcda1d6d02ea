"""The request budget: one moving window shared by every process that calls one Discogs host.

Discogs throttles by source IP, so every process behind that IP draws from one budget. On one machine
the window lives in a SQLite file guarded by a file lock (pyrate-limiter's SQLiteBucket), keyed by API
host; when several hosts share the egress IP (Dagster on several machines), it lives in PostgreSQL
(pyrate-limiter's PostgresBucket, the database's clock for every host) named by
DISCOGS_RATELIMIT_POSTGRES. The
server's `X-Discogs-Ratelimit-*` headers tighten the local count when they disagree with it (another
tool on the same IP, a restarted process, a server with a lower limit): the difference is booked as
phantom requests, so the next calls wait instead of collecting 429s.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pyrate_limiter import Limiter, Rate, SQLiteBucket

from pipeline.config import RateLimit
from pipeline.errors import ConfigError

ITEM = "discogs"


@dataclass(frozen=True)
class ServerBudget:
    """What the server said about its window in one response's headers."""

    limit: int | None
    used: int | None
    remaining: int | None

    @classmethod
    def from_headers(cls, headers) -> ServerBudget:
        def number(name: str) -> int | None:
            try:
                return int(headers.get(name, ""))
            except ValueError:
                return None

        return cls(
            number("X-Discogs-Ratelimit"),
            number("X-Discogs-Ratelimit-Used"),
            number("X-Discogs-Ratelimit-Remaining"),
        )


class SharedRateLimiter:
    """Blocks until a request fits into the budget shared by all processes calling `api_url`."""

    def __init__(self, rate: RateLimit, directory: Path, api_url: str, postgres: str = "") -> None:
        self.rate = rate
        self._window_ms = int(rate.seconds * 1000)
        host = urlsplit(api_url).netloc or api_url
        digest = hashlib.sha1(f"{host}|{rate}".encode()).hexdigest()[:16]
        rates = [Rate(rate.requests, self._window_ms)]
        self.path: Path | None = None
        self._margins: _SharedMargins | None = None
        if postgres:
            self._bucket = _postgres_bucket(postgres, f"discogs_{digest}", rates)
        else:
            directory.mkdir(parents=True, exist_ok=True)
            self.path = directory / f"ratelimit-{digest}.sqlite"
            self._bucket = SQLiteBucket.init_from_file(rates, table=f"window_{digest}", db_path=str(self.path),
                                                       use_file_lock=True)
            self._margins = _SharedMargins(self.path, self._window_ms)
        # A small margin past the window's edge absorbs the gap between our clock and the moment the
        # server logs the request; 1% of the window keeps the sustained rate above 0.97 of the limit.
        self._base_buffer_ms = max(5, self._window_ms // 100)
        self._limiter = Limiter(self._bucket, buffer_ms=self._base_buffer_ms)
        # Every request still in the window may have been stamped late, so remember a window's worth.
        self._round_trips: deque[float] = deque(maxlen=rate.requests)
        self._thread_lock = threading.Lock()

    def acquire(self) -> float:
        """Take one slot, waiting as long as needed; returns the seconds spent waiting."""
        started = time.monotonic()
        with self._thread_lock:
            while not self._limiter.try_acquire(ITEM):
                pass  # a blocking acquire only returns False on timeout; keep waiting
        return time.monotonic() - started

    def note_round_trip(self, seconds: float) -> None:
        """Keep the margin past the window's edge at least the slowest round trip within the last window.

        The server stamps a request somewhere between the moment we booked its slot and its answer, so
        when that stretches (a busy server, a stalled process, a loaded machine) the server's window
        closes later than ours; a margin as long as the slowest such stretch among the requests still
        in the window keeps that from turning into a 429. Capped at 5% of the window.
        """
        self._round_trips.append(seconds)
        slowest = int(max(self._round_trips) * 1000) + 1
        if self._margins is not None:  # another process's slow request stamped late matters as much as ours
            slowest = self._margins.share(slowest)
        self._limiter.buffer_ms = max(self._base_buffer_ms, min(slowest, self._window_ms // 20))

    def used_in_window(self) -> int:
        if self.path is None:  # PostgreSQL: drop what left the window, count the rest (the bucket's own API)
            self._bucket.leak(self._bucket.now())
            return self._bucket.count()
        now_ms = time.time_ns() // 1_000_000
        with self._bucket.lock:
            cursor = self._bucket.conn.execute(
                f"SELECT COUNT(*) FROM '{self._bucket.table}' WHERE item_timestamp >= ?",
                (now_ms - self._window_ms,),
            )
            (count,) = cursor.fetchone()
            cursor.close()
        return count

    def observe(self, budget: ServerBudget) -> int:
        """Book phantom requests when the server has less left than we think; returns how many."""
        if budget.remaining is None:
            return 0
        local_remaining = self.rate.requests - self.used_in_window()
        missing = local_remaining - max(0, budget.remaining)
        if missing <= 0:
            return 0
        with self._thread_lock:
            # timeout=0 rather than blocking=False: the latter trips over filelock 4's API.
            booked = self._limiter.try_acquire(ITEM, weight=missing, timeout=0)
        return missing if booked else 0

    def exhaust(self) -> int:
        """After a 429 without usable headers: treat the whole window as spent."""
        return self.observe(ServerBudget(limit=None, used=None, remaining=0))


def _postgres_bucket(conninfo: str, table: str, rates: list[Rate]):
    """A PostgresBucket on a small pool; the driver is the `postgres` extra's, named when missing."""
    try:
        import psycopg
        from psycopg_pool import ConnectionPool
        from pyrate_limiter import PostgresBucket
    except ImportError:
        raise ConfigError("DISCOGS_RATELIMIT_POSTGRES is set but the PostgreSQL driver is not installed: "
                          "pip install 'discogs-site[postgres]'") from None
    try:
        # One plain connection first: an unreachable server fails in seconds and in one line, before a
        # pool would retry (and log every retry) for half a minute.
        timeout = {} if "connect_timeout" in conninfo else {"connect_timeout": 10}
        psycopg.connect(conninfo, **timeout).close()
        pool = ConnectionPool(conninfo, min_size=1, max_size=4, open=True, timeout=30)
        return PostgresBucket(pool, table, rates)
    except Exception as exc:  # psycopg's errors carry the server's words, never the password
        raise ConfigError(f"DISCOGS_RATELIMIT_POSTGRES: cannot use the rate-limit database: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None


class _SharedMargins:
    """The slowest recent round trip of every process drawing on one window file, so that each keeps the margin
    the slowest needs: a request booked by one process and stamped late by the server can push another
    process's next request into a 429 (seen with three users in flight)."""

    def __init__(self, path: Path, window_ms: int) -> None:
        self._window_ms = window_ms
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS round_trips (pid INTEGER PRIMARY KEY, slowest_ms INTEGER, "
                         "at_ms INTEGER)")
        self._lock = threading.Lock()
        self._told = (0, 0)  # (slowest_ms, at_ms) last written: rewritten only when it changed or grew old

    def share(self, slowest_ms: int) -> int:
        """Record this process's slowest round trip; returns the slowest any process saw within a window."""
        now = time.time_ns() // 1_000_000
        with self._lock:
            if slowest_ms != self._told[0] or now - self._told[1] > self._window_ms // 2:
                self._db.execute("INSERT OR REPLACE INTO round_trips VALUES (?, ?, ?)", (os.getpid(), slowest_ms, now))
                self._told = (slowest_ms, now)
            (found,) = self._db.execute("SELECT MAX(slowest_ms) FROM round_trips WHERE at_ms >= ?",
                                        (now - self._window_ms,)).fetchone()
        return max(found or 0, slowest_ms)


_shared: dict[tuple[str, str, str, str], SharedRateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(rate: RateLimit, directory: Path, api_url: str, postgres: str = "") -> SharedRateLimiter:
    """One limiter per process for each (budget's home, host, rate): clients share its connection."""
    key = (postgres or str(directory.resolve()), api_url, str(rate), "pg" if postgres else "file")
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = SharedRateLimiter(rate, directory, api_url, postgres)
        return limiter
