"""Compute: stats (Polars) and rendering for 1,000, 10,000 and 100,000 items, CPU time and peak memory.

Each size runs in its own process so its peak memory is its own. The growth exponent between sizes
(log of the time ratio over log of the size ratio) says whether the work stays linear (about 1).
Targets: 100,000 items in under 5 s and 1 GiB.

    .venv/bin/python -m benchmarks.compute [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(items: int) -> dict[str, float]:
    """Runs inside the child: build the input (not timed), then time stats + pages + publish."""
    import polars as pl

    from pipeline.accounts.registry import load_users
    from pipeline.collection.rows import frame_of, row_of
    from pipeline.fakes.discogs import generate_world
    from pipeline.masters.cache import MASTER_SCHEMA
    from pipeline.site.publish import publish_site
    from pipeline.site.staging import stage_user
    from pipeline.site.static_files import site_assets
    from pipeline.stats.collection import compute_stats, enriched

    world = generate_world(f"bench:{items}", catalog_size=max(600, items // 2))
    table = frame_of([row_of(i) for i in world.items("bench")])
    masters = pl.DataFrame([{"master_id": m, "master_found": True, "master_year": v["year"],
                             "master_genres": v.get("genres") or [], "master_styles": v.get("styles") or []}
                            for m, v in world.masters.items()], schema=MASTER_SCHEMA)
    site_assets()  # the Chart.js download is not compute
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        registry = "users:\n  - name: bench\n    discogs_username: bench\n    visibility: public\n"
        (root / "users.yaml").write_text(registry)
        users = load_users(root / "users.yaml")
        before_wall, before_cpu = time.perf_counter(), time.process_time()
        frame = enriched(table, masters)
        stats = compute_stats(frame, synced_at="2026-11-25T00:00:00+00:00")
        stats_cpu = time.process_time() - before_cpu
        stage_user(users[0].name, frame, stats, root / "staging")
        publish_site(users, root / "staging", root / "output")
        cpu, wall = time.process_time() - before_cpu, time.perf_counter() - before_wall
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"items": items, "stats_cpu": stats_cpu, "cpu": cpu, "wall": wall, "peak_mib": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run([sys.executable, "-m", "benchmarks.compute", "--child", str(size)],
                              capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'items':>8} {'stats cpu s':>11} {'total cpu s':>11} {'wall s':>7} {'peak MiB':>9} {'growth':>7}")
    previous = None
    for r in results:
        growth = (math.log(r["cpu"] / previous["cpu"]) / math.log(r["items"] / previous["items"])
                  if previous else float("nan"))
        print(f"{r['items']:>8,} {r['stats_cpu']:>11.2f} {r['cpu']:>11.2f} {r['wall']:>7.2f} {r['peak_mib']:>9.0f} "
              f"{growth:>7.2f}")
        previous = r
    print("targets: 100,000 items in under 5 s and 1 GiB (peak includes building the input); growth about 1")


if __name__ == "__main__":
    main()
