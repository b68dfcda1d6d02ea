"""API efficiency: requests the pipeline spends against the theoretical minimum, on the fake Discogs API.

First sync: ceil(N/100) pages + distinct masters is the least any tool can do, and what this one spends
when the pages agree that nothing moved mid-pass. Refresh of an unchanged collection: 1 request (the
newest page carries the folder's count). After k additions: their pages + new masters.
Two users sharing half their masters: the shared ones must be fetched once.

    .venv/bin/python -m benchmarks.api_efficiency [--sizes 100,1500,10000]
"""

from __future__ import annotations

import argparse
import copy
import math
import tempfile
from pathlib import Path

from pipeline.accounts.credentials import PersonalToken
from pipeline.collection.store import SyncState
from pipeline.collection.sync import sync_collection
from pipeline.config import RateLimit
from pipeline.discogs.client import DiscogsClient
from pipeline.discogs.ratelimit import SharedRateLimiter
from pipeline.fakes.discogs import FakeDiscogs, add_generated_items, generate_world, personal_token_for
from pipeline.masters.cache import MasterCache
from pipeline.masters.enrich import enrich

FAST = RateLimit(5000, 1.0)  # counts, not time, are measured here


class Collector:
    """One user's pipeline state between runs: their table and sync state, the shared master cache."""

    def __init__(self, fake: FakeDiscogs, username: str, cache: MasterCache, limiter: SharedRateLimiter) -> None:
        self.fake, self.username, self.cache = fake, username, cache
        self.client = DiscogsClient(PersonalToken(personal_token_for(username)), user=username, api_url=fake.url,
                                    rate=FAST, limiter=limiter)
        self.table, self.state = None, SyncState()

    def run(self) -> int:
        """One scheduled refresh (sync, then enrichment); returns the requests it made."""
        before = self.fake.count()
        result = sync_collection(self.client, self.username, self.username, self.table, self.state)
        self.table, self.state = result.table, result.state
        enrich(self.client, self.cache, self.table["master_id"].to_list())
        return self.fake.count() - before


def masters_of(world, username: str) -> set[int]:
    return {i["basic_information"]["master_id"] for i in world.items(username)} - {0}


def share_half(world, giver: str, taker: str) -> None:
    """Swap half of `taker`'s masters for masters `giver` owns (their releases copied, instances kept)."""
    by_master = {}
    for item in world.items(giver):
        by_master.setdefault(item["basic_information"]["master_id"], item)
    own = sorted(masters_of(world, taker))
    given = [m for m in by_master if m and m not in own][:len(own) // 2]
    swap = dict(zip(own[:len(given)], given, strict=True))
    with world.lock:
        items = world.user(taker).items
        for position, item in enumerate(items):
            master = item["basic_information"]["master_id"]
            if master in swap:
                copied = copy.deepcopy(by_master[swap[master]])
                copied["instance_id"], copied["date_added"] = item["instance_id"], item["date_added"]
                items[position] = copied
        world.version += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1500,10000")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            world = generate_world(f"solo:{size}", catalog_size=max(600, size))
            with FakeDiscogs(world, rate_limit=FAST.requests, window=FAST.seconds) as fake, \
                    MasterCache(Path(tmp) / f"masters-{size}.sqlite") as cache:
                limiter = SharedRateLimiter(FAST, Path(tmp) / "rl", fake.url)
                user = Collector(fake, "solo", cache, limiter)
                minimum = math.ceil(size / 100) + len(masters_of(world, "solo"))
                first = user.run()
                unchanged = user.run()
                known = masters_of(world, "solo")
                after = {}
                for added in (5, 250):
                    new = add_generated_items(world, "solo", added)
                    fresh = {i["basic_information"]["master_id"] for i in new} - {0} - known
                    known |= fresh
                    spent = user.run()
                    after[added] = (spent, math.ceil(added / 100) + 2 + len(fresh), len(fresh))
                rows.append((f"{size:,} items", first, minimum, unchanged, after))
        world = generate_world("ann:1500,ben:1500", catalog_size=40000)
        share_half(world, "ann", "ben")
        both = masters_of(world, "ann") | masters_of(world, "ben")
        shared = masters_of(world, "ann") & masters_of(world, "ben")
        with FakeDiscogs(world, rate_limit=FAST.requests, window=FAST.seconds) as fake, \
                MasterCache(Path(tmp) / "masters-pair.sqlite") as cache:
            limiter = SharedRateLimiter(FAST, Path(tmp) / "rl", fake.url)
            spent = sum(Collector(fake, name, cache, limiter).run() for name in ("ann", "ben"))
            minimum = 2 * 15 + len(both)
    print(f"{'collection':<14} {'first sync':>10} {'minimum':>8} {'ratio':>6} {'unchanged':>9} "
          f"{'+5 items':>9} {'(bound)':>8} {'+250 items':>10} {'(bound)':>8}")
    for label, first, minimum_, unchanged, after in rows:
        print(f"{label:<14} {first:>10,} {minimum_:>8,} {first / minimum_:>6.3f} {unchanged:>9} "
              f"{after[5][0]:>9} {after[5][1]:>8} {after[250][0]:>10} {after[250][1]:>8}")
    print(f"\ntwo users of 1,500 items, {len(shared)} masters shared of {len(masters_of(world, 'ben'))} and "
          f"{len(masters_of(world, 'ann'))}: {spent:,} requests, "
          f"minimum {minimum:,} (ratio {spent / minimum:.3f})")
    print("bounds: +k items may cost ceil(k/100)+1 pages and their new masters; the minimum for a first sync is "
          "ceil(N/100) pages + distinct masters, for an unchanged refresh 1 request")


if __name__ == "__main__":
    main()
