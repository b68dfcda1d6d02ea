"""Browser benchmark: how the site feels at 1,000 and 10,000 items, measured in Debian's Chromium.

Reports per size: releases.json raw and gzipped, time to the first rendered list, per-keystroke search
latency and per-change filter latency (the handler plus the layout it forces), and chart drawing time,
with cover images and without them.
Targets: under 16 ms per keystroke at 10,000 items, charts under 1 s. With `--throttle N` the page's CPU
is slowed N times (Chromium's own emulation, as DevTools does: 4 is a mid-range phone) and the figures
are checked against the budgets below, meant for 50,000 items on such a phone.

    .venv/bin/python -m benchmarks.site_browser [--sizes 1000,10000] [--runs 5]
    .venv/bin/python -m benchmarks.site_browser --sizes 50000 --throttle 4 --runs 3
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
from pathlib import Path

import polars as pl

from pipeline.collection.rows import frame_of, row_of
from pipeline.fakes.discogs import generate_world
from pipeline.masters.cache import MASTER_SCHEMA
from pipeline.registry import load_users
from pipeline.site.publish import publish_site
from pipeline.site.staging import stage_user
from pipeline.stats import compute_stats, enriched
from tests.browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing, serve, watch

WORDS = ("lost harbour", "blue note", "bjork")
TYPE = """async (words) => {
  const input = document.querySelector('input[type=search]');
  const times = [];
  for (const word of words) {
    input.value = '';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    for (const ch of word) {
      const t0 = performance.now();
      input.value += ch;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      void document.body.offsetHeight;  // include the layout the change forces
      times.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  return times;
}"""
SELECT = """async () => {
  const select = document.querySelector('select[name=genre]');
  const times = [];
  for (const option of [...select.options].slice(1, 9)) {
    const t0 = performance.now();
    select.value = option.value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    void document.body.offsetHeight;
    times.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return times;
}"""


def build_site(items: int, root: Path, covers: bool = True) -> Path:
    """A one-user site from a generated collection (no API: this measures the pages, not the sync)."""
    world = generate_world(f"bench:{items}", catalog_size=max(600, items // 2))
    table = enriched(frame_of([row_of(i) for i in world.items("bench")]), pl.DataFrame(schema=MASTER_SCHEMA))
    if not covers:
        table = table.with_columns(thumb=pl.lit(""))
    root.mkdir(parents=True, exist_ok=True)
    users_file = root / "users.yaml"
    users_file.write_text("users:\n  - name: bench\n    discogs_username: bench\n    visibility: public\n")
    users = load_users(users_file)
    stage_user(users[0].name, table, compute_stats(table, synced_at="2026-11-25T00:00:00+00:00"), root / "staging")
    publish_site(users, root / "staging", root / "output")
    return root / "output"


# Issue 15's budgets for 50,000 items on a mid-range phone (--throttle 4): figure -> most ms (gzip: KB).
BUDGETS = {"gzip_kb": 2500, "first_list_ms": 1500, "key_p95_ms": 16}


def measure(browser, url: str, runs: int, throttle: float = 1) -> dict[str, float]:
    first, ready, keys, selects, charts = [], [], [], [], []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        if throttle > 1:
            context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        seen = watch(page)
        page.goto(url + "u/bench/collection/all/")
        page.wait_for_selector("html[data-list-ready]")
        ready.append(page.evaluate("performance.getEntriesByName('list-ready')[0].startTime"))
        # The first rows show before the whole list has loaded (or at the same time, for a small one).
        first.append(page.evaluate("(performance.getEntriesByName('first-rows')[0]"
                                   " || performance.getEntriesByName('list-ready')[0]).startTime"))
        keys += page.evaluate(TYPE, list(WORDS))
        selects += page.evaluate(SELECT)
        page.goto(url + "u/bench/collection/")
        page.wait_for_selector("html[data-charts-drawn]")
        charts.append(page.evaluate("performance.getEntriesByName('charts')[0].duration"))
        context.close()
        if seen.errors or seen.escaped:
            raise SystemExit(f"the page misbehaved: {seen.errors or seen.escaped}")
    return {"first_list_ms": statistics.median(first), "whole_list_ms": statistics.median(ready),
            "key_median_ms": statistics.median(keys),
            "key_p95_ms": sorted(keys)[int(len(keys) * 0.95)], "key_max_ms": max(keys),
            "filter_median_ms": statistics.median(selects), "filter_max_ms": max(selects),
            "charts_ms": statistics.median(charts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--throttle", type=float, default=1, help="slow the page's CPU this many times (4: a phone)")
    args = parser.parse_args()
    if missing := chromium_missing():
        raise SystemExit(missing)
    from playwright.sync_api import sync_playwright

    results = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size in (int(s) for s in args.sizes.split(",")):
            for covers in (True, False):
                output = build_site(size, Path(tmp) / f"{size}-{covers}", covers)
                data = (output / "u/bench/collection/releases.json").read_bytes()
                with serve(output) as url:
                    figures = measure(browser, url, args.runs, args.throttle)
                results.append((size, covers, len(data), len(gzip.compress(data, 6)), figures))
        browser.close()
    print(f"{'items':>7} {'covers':>6} {'json KB':>8} {'gzip KB':>8} {'1st rows ms':>11} {'all ms':>7} {'key med':>8} "
          f"{'key p95':>8} "
          f"{'key max':>8} {'filter med':>10} {'filter max':>10} {'charts ms':>9}")
    for size, covers, raw, packed, f in results:
        print(f"{size:>7,} {'yes' if covers else 'no':>6} {raw / 1024:>8.0f} {packed / 1024:>8.0f} "
              f"{f['first_list_ms']:>11.0f} {f['whole_list_ms']:>7.0f} "
              f"{f['key_median_ms']:>8.2f} {f['key_p95_ms']:>8.2f} {f['key_max_ms']:>8.2f} "
              f"{f['filter_median_ms']:>10.2f} {f['filter_max_ms']:>10.2f} {f['charts_ms']:>9.0f}")
    if args.throttle > 1:
        print(f"CPU slowed {args.throttle:g}×; budgets (most ms): "
              + ", ".join(f"{name} {limit:,}" for name, limit in BUDGETS.items()))
        for size, covers, _, packed, f in results:
            shown = {**f, "gzip_kb": packed / 1024}
            over = [f"{name} {shown[name]:,.0f} > {limit:,}" for name, limit in BUDGETS.items() if shown[name] > limit]
            print(f"{size:,} items, covers {'yes' if covers else 'no'}: {'; '.join(over) or 'within every budget'}")
    print("targets at 10,000 items: keystroke under 16 ms, charts under 1,000 ms\n"
          "covers 'yes': every cover request goes through Playwright's interception, which costs the page "
          "more than a real image host would; 'no' isolates the list's own work")


if __name__ == "__main__":
    main()
