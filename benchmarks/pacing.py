"""Pacing: how close each client runs to Discogs' rate limit without a 429, on identical work.

One collection walk (every page, then every distinct master) against the fake Discogs API running in
its own process with a compressed window (60 requests per 2 s: one real minute is 2 s here, so every
real-API time is scaled by window/60). Three contenders, each on a fresh cache and an empty window:

- this project: `sync_collection` + `enrich` with the shared moving-window limiter;
- this project with three users in flight, each a third of the items, each in its own process;
- the old algorithm: sleep 1 s of real-API time between calls, retry only on 429;
- python3-discogs-client (`pip install -e '.[bench]'`): its collection list and masters, with its own
  429 back-off (its sleeps scaled like everything else).

The fake server delays every answer by a round trip (`--latency-ms`, in real-API milliseconds, scaled),
since whether a client overlaps that wait with its pacing is most of the difference. Sustained rate is
the mean number of requests the server admitted per full window after the first (the first window may
hold a burst), divided by the limit; "÷ ceiling" is the time from the first admitted request to the
last, over the least time a moving window allows between them (floor((n - 1) / limit) windows).
Targets: >= 0.97 of the allowed rate, 0 429s, and wall time <= 0.75 x the old algorithm's; with users
in flight, 0 429s and time ÷ ceiling <= 1.05.

    .venv/bin/python -m benchmarks.pacing [--items 1000] [--latency-ms 0,300]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import requests

from pipeline.accounts.credentials import PersonalToken
from pipeline.collection.store import SyncState
from pipeline.collection.sync import sync_collection
from pipeline.config import RateLimit
from pipeline.discogs.client import DiscogsClient
from pipeline.discogs.ratelimit import SharedRateLimiter
from pipeline.fakes.discogs import personal_token_for
from pipeline.fakes.discogs.process import FakeProcess
from pipeline.masters.cache import MasterCache
from pipeline.masters.enrich import enrich

USER = "bench"
IN_FLIGHT = ("bench-a", "bench-b", "bench-c")  # each a third of USER's items
REAL_WINDOW = 60.0
USER_AGENT = "discogs-site-pacing-benchmark/1.0"


def ours(url: str, rate: RateLimit, workdir: Path, user: str = USER) -> None:
    limiter = SharedRateLimiter(rate, workdir / "ratelimit", url)
    client = DiscogsClient(PersonalToken(personal_token_for(user)), user=user, api_url=url, rate=rate,
                           limiter=limiter)
    with client, MasterCache(workdir / "masters.sqlite") as cache:
        result = sync_collection(client, user, user, None, SyncState())
        enrich(client, cache, result.table["master_id"].to_list())


def ours_in_flight(url: str, rate: RateLimit, workdir: Path) -> None:
    """Three users at once, each in its own process (as `discogs-site build --jobs 3` runs them), drawing on
    one request window and one master cache."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(IN_FLIGHT), mp_context=context) as pool:
        for done in [pool.submit(ours, url, rate, workdir, user) for user in IN_FLIGHT]:
            done.result()


def old_algorithm(url: str, rate: RateLimit, workdir: Path) -> None:
    """The seed's loop: a fixed 1 s (real time) pause after every call, another try only after a 429."""
    pause = rate.seconds / REAL_WINDOW
    session = requests.Session()
    session.headers.update({"User-Agent": USER_AGENT, "Authorization": f"Discogs token={personal_token_for(USER)}"})

    def get(path: str, **params) -> dict:
        while True:
            answer = session.get(url + path, params=params, timeout=30)
            time.sleep(pause)
            if answer.status_code == 404:  # a master Discogs no longer has: skipped, as any script would
                return {}
            if answer.status_code != 429:
                answer.raise_for_status()
                return answer.json()

    masters, page, pages = [], 1, 1
    while page <= pages:
        body = get(f"/users/{USER}/collection/folders/0/releases", per_page=100, page=page)
        pages = body["pagination"]["pages"]
        masters += [item["basic_information"]["master_id"] for item in body["releases"]]
        page += 1
    for master in dict.fromkeys(m for m in masters if m):
        get(f"/masters/{master}")


def discogs_client_package(url: str, rate: RateLimit, workdir: Path) -> None:
    import discogs_client
    import discogs_client.utils
    from discogs_client.models import CollectionFolder

    scale = rate.seconds / REAL_WINDOW
    discogs_client.utils.sleep = lambda seconds: time.sleep(seconds * scale)  # its back-off, in window time
    client = discogs_client.Client(USER_AGENT, user_token=personal_token_for(USER))
    client._base_url = url  # the package has no public setting for the API's address
    folder = CollectionFolder(client, {"id": 0, "resource_url": f"{url}/users/{USER}/collection/folders/0"})
    releases = folder.releases
    releases.per_page = 100
    masters = [item.data["basic_information"]["master_id"] for item in releases]
    for master in dict.fromkeys(m for m in masters if m):
        try:
            client.master(master).year  # noqa: B018 - reading a field is what fetches the master
        except discogs_client.exceptions.HTTPError as exc:
            if exc.status_code != 404:
                raise


CONTENDERS: dict[str, Callable[[str, RateLimit, Path], None]] = {
    "this project": ours,
    "this project, 3 users in flight": ours_in_flight,
    "old algorithm (sleep 1 s)": old_algorithm,
    "python3-discogs-client": discogs_client_package,
}


def sustained(arrivals: list[float], rate: RateLimit) -> float:
    """Mean admitted requests per full window after the first, over the limit."""
    if not arrivals:
        return math.nan
    start, end = arrivals[0], arrivals[-1]
    windows = int((end - start) // rate.seconds)
    counts = [sum(1 for t in arrivals if start + k * rate.seconds <= t < start + (k + 1) * rate.seconds)
              for k in range(1, windows)]
    return sum(counts) / len(counts) / rate.requests if counts else math.nan


def measure(fake: FakeProcess, name: str, rate: RateLimit) -> dict[str, object]:
    time.sleep(rate.seconds * 1.1)  # the previous contender's window empties
    fake.clear()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        try:
            CONTENDERS[name](fake.url, rate, Path(tmp))
            error = ""
        except ImportError:
            return {"name": name, "error": "not installed: pip install -e '.[bench]'"}
        except Exception as exc:  # a contender that breaks is a result, not a crash of the benchmark
            error = f"{type(exc).__name__}: {exc}"[:60]
        wall = time.perf_counter() - started
    log = [r for r in fake.log() if not r["path"].startswith("/_fake/")]
    admitted = sorted(r["at"] for r in log if r["status"] != 429)
    # A moving window admits request i only a full window after request i - limit, so from the first
    # admitted request to the last takes at least floor((n - 1) / limit) windows; the time the server saw
    # them take, over that, is how close to the ceiling the client ran (process start-up left out).
    ceiling = (len(admitted) - 1) // rate.requests * rate.seconds
    span = admitted[-1] - admitted[0] if admitted else math.nan
    return {"name": name, "requests": len(log), "429s": sum(r["status"] == 429 for r in log), "wall": wall,
            "sustained": sustained(admitted, rate), "vs_ceiling": span / ceiling if ceiling else math.nan,
            "error": error}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--rate", default="60/2", help="the compressed limit, REQUESTS/SECONDS (default 60/2)")
    parser.add_argument("--latency-ms", default="0,300", help="answer delays to try, in real-API milliseconds")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rate = RateLimit(*[float(p) if i else int(p) for i, p in enumerate(args.rate.split("/"))])
    rows = []
    for latency_ms in (float(x) for x in args.latency_ms.split(",")):
        third = max(args.items // len(IN_FLIGHT), 1)
        world = f"{USER}:{args.items}," + ",".join(f"{u}:{third}" for u in IN_FLIGHT)
        fake = FakeProcess(world, rate_limit=rate.requests, window=rate.seconds,
                           latency=latency_ms / 1000 * rate.seconds / REAL_WINDOW)
        try:
            results = [measure(fake, name, rate) for name in CONTENDERS]
        finally:
            fake.close()
        baseline = next(r for r in results if r["name"].startswith("old"))
        for r in results:
            r["latency_ms"] = latency_ms
            r["wall_ratio"] = r["wall"] / baseline["wall"] if "wall" in r else math.nan
        rows += results
    print(f"{args.items:,} items at {rate} (1 real minute = {rate.seconds:g} s); latency in real-API ms")
    print(f"{'latency':>7} {'client':<32} {'requests':>8} {'429s':>5} {'sustained':>9} {'÷ ceiling':>9} "
          f"{'wall s':>7} {'vs old':>6}  note")
    for r in rows:
        if "requests" not in r:
            print(f"{r['latency_ms']:>7.0f} {r['name']:<32} {r['error']}")
            continue
        print(f"{r['latency_ms']:>7.0f} {r['name']:<32} {r['requests']:>8,} {r['429s']:>5} {r['sustained']:>9.3f} "
              f"{r['vs_ceiling']:>9.3f} {r['wall']:>7.1f} {r['wall_ratio']:>6.2f}  {r['error']}")
    print("targets for this project: sustained >= 0.97, 0 429s, wall <= 0.75 x the old algorithm's; with users "
          "in flight: 0 429s, time ÷ ceiling <= 1.05")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
