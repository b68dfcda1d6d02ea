"""Load: 200,000 items (25 collectors of 8,000) through every step of one `discogs-site build`, memory bounded.

The build runs as its own process (as an operator runs it) so that its peak memory is measured alone;
the fake API serves the collections from this process. Fewer, larger collections keep the rows and the
memory at stake while spending a third of the time that 200 users of 1,000 did (per-user run set-up
dominated that); the per-user cost at scale is the scale issue's benchmark, not this test's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from pipeline.fakes.discogs import FakeDiscogs, generate_world
from tests.conftest import register

USERS, ITEMS_EACH = 25, 8000
PEAK_MIB_BOUND = 1024


@pytest.mark.timeout(1200)
def test_two_hundred_thousand_items_in_one_build_with_bounded_memory(tmp_path):
    names = [f"collector-{i:03d}" for i in range(USERS)]
    world = generate_world(",".join(f"{n}:{ITEMS_EACH}" for n in names), catalog_size=3000)
    register(tmp_path, "users:\n" + "".join(f"  - name: {n}\n    discogs_username: {n}\n    visibility: public\n"
                                            for n in names), {n: n for n in names})
    output = tmp_path / "output"
    with FakeDiscogs(world, rate_limit=100_000, window=1) as fake:
        env = {**os.environ, "DISCOGS_API_URL": fake.url, "DISCOGS_RATE_LIMIT": "100000/1",
               "DISCOGS_SITE_STATE": str(tmp_path / "state"), "DISCOGS_SITE_OUTPUT": str(output),
               "DAGSTER_HOME": str(tmp_path / "dagster")}
        started = time.monotonic()
        build = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "--users", str(tmp_path / "users.yaml"),
                                  "--vault", str(tmp_path / "vault.json"), "build"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        stdout = build.stdout.read()
        _, status, usage = os.wait4(build.pid, 0)
        build.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
    peak_mib = usage.ru_maxrss / 1024
    assert build.returncode == 0, stdout[-2000:]
    figures = f"{USERS} users, {USERS * ITEMS_EACH:,} items: {seconds:.0f} s, peak {peak_mib:.0f} MiB"
    print(figures)
    assert peak_mib < PEAK_MIB_BOUND, figures

    index = (output / "index.html").read_text()
    assert all(f'href="/u/{n}/collection/"' in index for n in names)
    rows = 0
    for n in names:
        pages = output / "u" / n / "collection"
        rows += len(json.loads((pages / "releases.json").read_text())["rows"])
        assert (pages / "index.html").is_file() and (pages / "all" / "index.html").is_file()
    assert rows == USERS * ITEMS_EACH
    summary = [line.split() for line in stdout.splitlines() if line.startswith("collector-")]
    assert len(summary) == USERS and all(row[1] == "ok" for row in summary)
