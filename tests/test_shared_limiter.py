"""Two processes share one request budget: together they stay within the limit and never see a 429."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from pipeline.fakes.discogs import FakeDiscogs

# A 2 s window: the margin past its edge is capped at 5% of it (100 ms), wider than the stalls two busy cores
# put between booking a request and the fake stamping it (a 1 s window's 50 ms cap was not, once in CI).
LIMIT, WINDOW, PER_PROCESS = 20, 2.0, 40

WORKER = """
import json, sys
from pipeline.config import RateLimit
from pipeline.discogs.client import DiscogsClient
from pipeline.accounts.credentials import PersonalToken
client = DiscogsClient(PersonalToken("fake-token-" + sys.argv[2]), user=sys.argv[2], api_url=sys.argv[1],
                       rate=RateLimit(int(sys.argv[3]), float(sys.argv[4])))
for _ in range(int(sys.argv[5])):
    client.identity()
print(json.dumps({"requests": client.stats.requests, "rate_limited": client.stats.rate_limited}))
"""


def test_two_processes_never_exceed_the_shared_limit(world, isolated_env):
    with FakeDiscogs(world, rate_limit=LIMIT, window=WINDOW) as fake:
        started = time.monotonic()
        workers = [
            subprocess.Popen([sys.executable, "-c", WORKER, fake.url, user, str(LIMIT), str(WINDOW), str(PER_PROCESS)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
            for user in ("alice", "carol")
        ]
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
        elapsed = time.monotonic() - started
        served = fake.requests()

    assert [r["rate_limited"] for r in results] == [0, 0]
    assert len(served) == 2 * PER_PROCESS and all(s.status == 200 for s in served)
    stamps = sorted(s.at for s in served)
    busiest = max(sum(1 for t in stamps if start <= t < start + WINDOW) for start in stamps)
    assert busiest <= LIMIT
    # 80 requests at 20 per window need at least three full windows after the first burst.
    assert elapsed >= (2 * PER_PROCESS / LIMIT - 1) * WINDOW


def test_slow_answers_widen_the_margin_past_the_window_edge_up_to_a_cap(tmp_path):
    from pipeline.config import RateLimit
    from pipeline.discogs.ratelimit import SharedRateLimiter

    def fourth_request_after(round_trip: float, directory) -> float:
        limiter = SharedRateLimiter(RateLimit(3, 1.0), directory, "http://127.0.0.1:1")
        limiter.note_round_trip(round_trip)
        started = time.monotonic()
        for _ in range(4):
            limiter.acquire()
        return time.monotonic() - started

    # The server may stamp a request as late as its answer: wait out the slowest recent round trip too.
    assert fourth_request_after(0.04, tmp_path / "a") >= 1.04
    # An absurd round trip never stalls the pacing by more than 5% of the window.
    assert fourth_request_after(30.0, tmp_path / "b") < 1.5


def test_another_processs_slow_round_trip_widens_this_ones_margin_too(tmp_path):
    """With users in flight, a request another process booked and the server stamped late counts in the same
    window: every process keeps the margin the slowest round trip needs."""
    from pipeline.config import RateLimit
    from pipeline.discogs.ratelimit import SharedRateLimiter

    slow = ("from pathlib import Path; from pipeline.config import RateLimit; "
            "from pipeline.discogs.ratelimit import SharedRateLimiter; "
            f"SharedRateLimiter(RateLimit(3, 4.0), Path({str(tmp_path)!r}), 'http://127.0.0.1:1').note_round_trip(0.18)")
    subprocess.run([sys.executable, "-c", slow], check=True, timeout=60)
    limiter = SharedRateLimiter(RateLimit(3, 4.0), tmp_path, "http://127.0.0.1:1")
    limiter.note_round_trip(0.001)  # this process's own answers are quick
    started = time.monotonic()
    for _ in range(4):
        limiter.acquire()
    assert time.monotonic() - started >= 4.17  # a window and the other process's round trip


def test_two_hosts_with_their_own_state_share_one_budget_in_postgresql(world, tmp_path):
    """Dagster on several machines behind one egress IP: separate state and window folders, one database."""
    from tests.postgres import binaries, temporary_server

    if binaries() is None:
        pytest.skip("no PostgreSQL server binaries (Debian's postgresql package); `make test` installs them")
    # A three-second window: the margin past its edge (1% of it, widened up to 5% by slow round trips)
    # must cover a database round trip between taking a slot and sending on a loaded CI machine.
    limit, window, each = 30, 3.0, 30
    with temporary_server() as pg, FakeDiscogs(world, rate_limit=limit, window=window) as fake:
        conninfo = (f"host={pg['DAGSTER_PG_HOST']} port={pg['DAGSTER_PG_PORT']} user={pg['DAGSTER_PG_USERNAME']} "
                    f"dbname={pg['DAGSTER_PG_DB']}")
        workers = []
        for user in ("alice", "carol"):
            env = {**os.environ, "DISCOGS_RATELIMIT_POSTGRES": conninfo,
                   "DISCOGS_RATELIMIT_DIR": str(tmp_path / f"host-{user}" / "ratelimit"),
                   "DISCOGS_SITE_STATE": str(tmp_path / f"host-{user}" / "state")}
            workers.append(subprocess.Popen(
                [sys.executable, "-c", WORKER, fake.url, user, str(limit), str(window), str(each)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
        served = fake.requests()
    assert [r["rate_limited"] for r in results] == [0, 0]
    assert len(served) == 2 * each and all(s.status == 200 for s in served)
    stamps = sorted(s.at for s in served)
    assert max(sum(1 for t in stamps if start <= t < start + window) for start in stamps) <= limit
    assert not list(tmp_path.rglob("ratelimit-*.sqlite")), "the window lives in the database, not in a file"


def test_an_unreachable_budget_database_is_one_clear_error_within_seconds(tmp_path):
    from pipeline.config import RateLimit
    from pipeline.discogs.ratelimit import SharedRateLimiter
    from pipeline.errors import ConfigError

    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        SharedRateLimiter(RateLimit(3, 1.0), tmp_path, "http://127.0.0.1:1", postgres="host=127.0.0.1 port=1 dbname=x")
    assert time.monotonic() - started < 15
    message = str(caught.value)
    assert message.startswith("DISCOGS_RATELIMIT_POSTGRES: cannot use the rate-limit database:") and "\n" not in message
