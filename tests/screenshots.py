"""The README's screenshots, taken again from the demo's site: `python -m tests.screenshots` (writes docs/*.png).

Builds the demo (generated world, no network) into a temporary folder, serves it on loopback and
photographs it with Debian's Chromium, refusing every request that would leave the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.browser import CHROMIUM, CHROMIUM_ARGS, serve, watch

DOCS = Path(__file__).resolve().parent.parent / "docs"
# (file, viewport, path below the site, what the page sets once drawn, full page)
SHOTS = (
    ("dashboard.png", (1200, 1500), "u/vera/collection/", "data-charts-drawn"),
    ("list.png", (1200, 1100), "u/vera/collection/all/?view=covers&genre=Rock", "data-list-ready"),
    ("list-phone.png", (390, 844), "u/vera/collection/all/?genre=Jazz", "data-list-ready"),
    ("index.png", (1200, 500), "", ""),
    ("wantlist.png", (1200, 900), "u/vera/wantlist/?view=covers", "data-list-ready"),
    ("shared.png", (1200, 1100), "u/vera/shared/sam/", ""),
)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        home, output = Path(tmp) / "demo", Path(tmp) / "output"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCOGS_", "DAGSTER_"))}
        subprocess.run([sys.executable, "-m", "pipeline.cli", "demo", "--home", str(home), "--output", str(output),
                        "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
        with serve(output) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, (width, height), path, ready in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": height})
                seen = watch(page)
                page.goto(url + path)
                if ready:
                    page.wait_for_selector(f"html[{ready}]")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(DOCS / name))
                page.close()
                if seen.escaped or seen.errors:
                    raise SystemExit(f"{name}: {seen.escaped or seen.errors}")
                print(f"docs/{name}: {width}×{height}, {url}{path}")
            browser.close()


if __name__ == "__main__":
    main()
