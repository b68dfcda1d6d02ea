"""Unchanged refreshes of many users against the API floor: how close `discogs-site build` gets to it.

Registers USERS collectors with small generated collections, builds them once at full speed (not
measured), then runs `discogs-site build` again with nothing changed against the fake API at a
compressed limit. Reports requests per user, wall time ÷ the API floor and CPU seconds per user (the build
process and its children). The floor is the least time a moving window of LIMIT requests per WINDOW
seconds allows from the first of N requests to the last: floor((N − 1) / LIMIT) windows (the pacing
benchmark's ceiling). Entries before 2026-11-26's third used (N − LIMIT) / LIMIT windows, a continuous
rate no moving window allows, which read 2% lower at 1,000 users.

    .venv/bin/python -m benchmarks.refresh_floor [--users 1000] [--items 20] [--limit 60] [--window 20]

With 1,000 users at 60 requests per 20 s the floor is 320 s. Target: wall ÷ floor ≤ 1.10.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.accounts.credentials import PersonalToken
from pipeline.accounts.vault import Vault, generate_key
from pipeline.fakes.discogs import FakeDiscogs, generate_world, personal_token_for


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _build(root: Path, fake: FakeDiscogs, rate: str) -> tuple[float, float, float, float]:
    """One `discogs-site build` of everyone; returns (wall seconds, CPU seconds, start and end as epoch times)."""
    env = {**os.environ, "DISCOGS_API_URL": fake.url, "DISCOGS_RATE_LIMIT": rate,
           "DISCOGS_SITE_USERS": str(root / "users.yaml"), "DISCOGS_SITE_VAULT": str(root / "vault.json"),
           "DISCOGS_SITE_STATE": str(root / "state"), "DISCOGS_SITE_OUTPUT": str(root / "output"),
           "DISCOGS_RATELIMIT_DIR": str(root / "ratelimit"), "DAGSTER_HOME": str(root / "state" / "dagster")}
    cpu, started, began = _children_cpu(), time.monotonic(), time.time()
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stderr[-2000:]}")
    return wall, _children_cpu() - cpu, began, time.time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--limit", type=int, default=60, help="requests per window at the fake API")
    parser.add_argument("--window", type=float, default=20.0, help="seconds")
    args = parser.parse_args()
    names = [f"c{i:04d}" for i in range(args.users)]
    world = generate_world(",".join(f"{n}:{args.items}" for n in names), catalog_size=max(600, args.users))
    with tempfile.TemporaryDirectory(prefix="refresh-floor-") as tmp:
        root = Path(tmp)
        os.environ["DISCOGS_SITE_KEY"] = generate_key()
        (root / "users.yaml").write_text("users:\n" + "".join(
            f"  - name: {n}\n    discogs_username: {n}\n    visibility: public\n" for n in names))
        vault = Vault.open(root / "vault.json")
        for n in names:
            vault.put(n, PersonalToken(personal_token_for(n)), account=n)
        with FakeDiscogs(world, rate_limit=1_000_000, window=1) as fake:
            first_wall, *_ = _build(root, fake, "1000000/1")
            print(f"first build of {args.users} users ({args.items} items each): {first_wall:.0f} s (not measured)")
            fake.window.limit, fake.window.window = args.limit, args.window
            fake.reset_log()
            wall, cpu, began, ended = _build(root, fake, f"{args.limit}/{args.window:g}")
            requests, limited = fake.count(), fake.count(status=429)
            arrivals = sorted(s.at for s in fake.requests())
    floor = (max(requests - 1, 0) // args.limit) * args.window
    print(f"{'users':>6} {'requests/user':>13} {'429s':>5} {'API floor s':>11} {'wall s':>7} {'wall/floor':>10} "
          f"{'CPU s/user':>10}")
    print(f"{args.users:>6} {requests / args.users:>13.2f} {limited:>5} {floor:>11.1f} {wall:>7.1f} "
          f"{wall / floor if floor else float('nan'):>10.2f} {cpu / args.users:>10.3f}")
    # Where the wall time went: before the first request (start-up), between the first and the last (the
    # requests themselves, against the floor), after the last (what only the end of everyone's refresh allows).
    if arrivals:
        print(f"before the first request {arrivals[0] - began:.1f} s · first to last request "
              f"{arrivals[-1] - arrivals[0]:.1f} s · after the last request {ended - arrivals[-1]:.1f} s")


if __name__ == "__main__":
    main()
