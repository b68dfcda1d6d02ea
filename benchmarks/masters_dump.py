"""Masters dump: import throughput and memory on a big generated dump, and enrichment through the dump vs the API.

1. Import: a generated dump of `--masters` masters (default 2,000,000) in Discogs' format, imported into
   an empty master cache in a child process: masters per second, compressed MB per second, peak memory.
   Extrapolated to the real file by its compressed size (`--real-mb`, about 570 MB for the masters file:
   a community-reported figure, not measured here). Bytes are the conservative yardstick: generated
   masters carry fewer long texts per element than real ones, and parsing costs per element.
2. Enrichment of one 1,500-item collection: through the dump (its masters imported first, then
   `enrich` asks the API only for what the dump lacks) versus through the API alone, both against the
   fake API at 60 requests per 2 s; API time is scaled by 30 to the real limit of 60 per minute.
Targets: the real-size dump in under 3 minutes and 300 MB; 1,500-item enrichment in seconds, not ~25 minutes.

    .venv/bin/python -m benchmarks.masters_dump [--masters 2000000] [--real-mb 570]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from pipeline.accounts.credentials import PersonalToken
from pipeline.collection.store import SyncState
from pipeline.collection.sync import sync_collection
from pipeline.config import RateLimit
from pipeline.discogs.client import DiscogsClient
from pipeline.discogs.ratelimit import SharedRateLimiter
from pipeline.dump.importer import import_dump
from pipeline.fakes.discogs import FakeDiscogs, generate_world, personal_token_for
from pipeline.fakes.dumps import first_masters, world_masters, write_dump
from pipeline.masters.cache import MasterCache
from pipeline.masters.enrich import enrich

COMPRESSED = RateLimit(60, 2.0)
SCALE = 60.0 / COMPRESSED.seconds
DAY = date(2026, 11, 1)


def child_import(dump: Path, cache: Path) -> None:
    """Runs in its own process so that its peak memory is the import's alone."""
    result = import_dump(dump, cache)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"masters": result.masters, "seconds": result.seconds, "bytes": result.file_bytes,
                      "peak_mib": peak}))


def measure_import(masters: int, workdir: Path) -> dict[str, float]:
    started = time.perf_counter()
    dump = write_dump(workdir / "big", DAY, first_masters(masters), level=6)
    took = time.perf_counter() - started
    print(f"generated {masters:,} masters ({dump.stat().st_size / 1e6:,.0f} MB) in {took:.0f} s", flush=True)
    done = subprocess.run([sys.executable, "-m", "benchmarks.masters_dump", "--child", str(dump),
                           str(workdir / "big.sqlite")], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def enrichment(workdir: Path, via_dump: bool) -> dict[str, float]:
    world = generate_world("bench:1500")
    cache_path = workdir / f"enrich-{via_dump}.sqlite"
    import_seconds = 0.0
    if via_dump:
        dump = write_dump(workdir / "small", DAY, world_masters(world))
        import_seconds = import_dump(dump, cache_path).seconds
    with FakeDiscogs(world, rate_limit=COMPRESSED.requests, window=COMPRESSED.seconds) as fake:
        limiter = SharedRateLimiter(COMPRESSED, workdir / f"ratelimit-{via_dump}", fake.url)
        client = DiscogsClient(PersonalToken(personal_token_for("bench")), user="bench", api_url=fake.url,
                               rate=COMPRESSED, limiter=limiter)
        with client, MasterCache(cache_path) as cache:
            table = sync_collection(client, "bench", "bench", None, SyncState()).table
            time.sleep(COMPRESSED.seconds * 1.1)  # the sync's requests leave the window
            fake.reset_log()
            started = time.perf_counter()
            result = enrich(client, cache, table["master_id"].to_list())
            seconds = time.perf_counter() - started
    requests = fake.count("/masters/")
    # At the real limit (60 a minute, moving window) the first 60 requests go at once, then one a second.
    real = seconds + max(0, requests - COMPRESSED.requests) * (1 - 1 / SCALE)
    return {"wanted": result.wanted, "requests": requests, "seconds": seconds, "import_seconds": import_seconds,
            "real_seconds": real}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masters", type=int, default=2_000_000)
    parser.add_argument("--real-mb", type=float, default=570.0, help="the real masters file's compressed size")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        big = measure_import(args.masters, workdir)
        via_dump, via_api = enrichment(workdir, True), enrichment(workdir, False)
    mb = big["bytes"] / 1e6
    rate, mb_rate = big["masters"] / big["seconds"], mb / big["seconds"]
    print(f"\nimport of {big['masters']:,} generated masters ({mb:,.0f} MB compressed)")
    print(f"{'seconds':>8} {'masters/s':>10} {'MB/s':>6} {'peak MiB':>9} {'real-size estimate':>19}")
    print(f"{big['seconds']:>8.1f} {rate:>10,.0f} {mb_rate:>6.2f} {big['peak_mib']:>9.0f} "
          f"{args.real_mb / mb_rate:>17.0f} s")
    print(f"real-size estimate: {args.real_mb:,.0f} MB at {mb_rate:.2f} MB/s; target under 180 s and 300 MB")
    print("\nenrichment of a 1,500-item collection")
    print(f"{'path':<10} {'masters':>8} {'requests':>9} {'measured s':>11} {'at 60/min':>10}")
    for name, r in (("dump", via_dump), ("API only", via_api)):
        print(f"{name:<10} {r['wanted']:>8,} {r['requests']:>9,} {r['seconds']:>11.1f} {r['real_seconds']:>9.0f}s")
    print(f"(the dump path also imported its {via_dump['wanted']:,}-master dump in {via_dump['import_seconds']:.1f} s; "
          f"the monthly import serves every collection)")


if __name__ == "__main__":
    main()
