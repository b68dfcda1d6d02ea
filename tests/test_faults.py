"""Faults during real pipeline runs against the fake API, and the invariants that must hold after each.

After every fault: each master stored before it is still stored; the published site is the old one
or a complete new one; the user the fault did not touch builds normally; and a rerun without the
fault completes without fetching any stored master again.
"""

from __future__ import annotations

import json
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.fakes.discogs import add_generated_items
from pipeline.runs.build import build
from tests.conftest import found_share


def stored_masters(settings) -> set[int]:
    with sqlite3.connect(Path(settings.stores.state_dir) / "masters.sqlite") as db:
        return {row[0] for row in db.execute("SELECT id FROM masters")}


def site_files(settings) -> dict[str, bytes]:
    output = Path(settings.site.output_dir)
    return {str(p.relative_to(output)): p.read_bytes() for p in output.rglob("*") if p.is_file()}


FAULTS = {
    "429 storm on collection pages": dict(kind="ratelimit", count=4, path="/collection/folders/0/releases",
                                          retry_after=0.2),
    "5xx burst on masters": dict(kind="error", count=3, path="/masters/", status=502),
    "dropped connections": dict(kind="drop", count=2, path="/masters/"),
    "answers slower than the timeout": dict(kind="slow", count=2, path="/masters/", delay=1.5),
    "malformed JSON on a page": dict(kind="malformed", count=1, path="/collection/folders/0/releases"),
    "malformed JSON on a master, every time": dict(kind="malformed", count=6, path="/masters/"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_invariants(fault, site, pipeline_world, monkeypatch):
    settings, fake, instance = site
    monkeypatch.setenv("DISCOGS_TIMEOUT", "0.5")
    assert all(o.ok for o in build(settings, instance=instance, report=lambda _: None)[0])
    before_masters, before_site = stored_masters(settings), site_files(settings)
    add_generated_items(pipeline_world, "alice", 150)  # new pages and new masters for the fault to hit
    fake.reset_log()
    fake.inject(**FAULTS[fault])
    outcomes, published = build(settings, instance=instance, report=lambda _: None)
    assert fake.faults.pending() == [], "the fault never fired (or not as often as armed)"
    by_name = {o.name: o for o in outcomes}
    assert by_name["ob"].ok and "hid" not in by_name, "users the fault did not touch build normally"
    assert stored_masters(settings) >= before_masters
    after_site = site_files(settings)
    if not (published and by_name["al"].ok):
        assert {k: v for k, v in after_site.items() if "/al/" in k} == \
            {k: v for k, v in before_site.items() if "/al/" in k}, "al's last good pages stay published"
    assert "index.html" in after_site and any(k.startswith("u/al/collection/") for k in after_site)

    fake.faults.clear()
    stored = stored_masters(settings)
    fake.reset_log()
    outcomes, published = build(settings, instance=instance, report=lambda _: None)
    assert published and all(o.ok for o in outcomes)
    refetched = {int(s.path.rsplit("/", 1)[1]) for s in fake.requests("/masters/")} & stored
    assert refetched == set()
    assert outcomes[0].metadata["collection.items"] == 380
    found = found_share(pipeline_world, "alice")  # masters found, counted from the world
    assert outcomes[0].metadata["master_enrichment.coverage"] == pytest.approx(found, abs=1e-4)


def test_a_token_revoked_mid_run_fails_that_user_only(site, pipeline_world):
    settings, fake, instance = site
    build(settings, instance=instance, report=lambda _: None)
    add_generated_items(pipeline_world, "alice", 150)
    before = stored_masters(settings)
    fake.inject("slow", count=1000, path="/masters/", delay=0.02)
    revoker = threading.Thread(target=lambda: (
        _wait_for(lambda: fake.count("/masters/") >= 10), pipeline_world.revoke("alice")))
    revoker.start()
    outcomes, published = build(settings, instance=instance, report=lambda _: None)
    revoker.join()
    by_name = {o.name: o for o in outcomes}
    assert not by_name["al"].ok and "discogs-site connect al" in by_name["al"].error
    assert by_name["ob"].ok and published
    assert stored_masters(settings) >= before | {int(s.path.rsplit("/", 1)[1])
                                                 for s in fake.requests("/masters/") if s.status == 200}


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


PUBLISH_FOREVER = """
import sys
from pathlib import Path
from pipeline.accounts.registry import load_users
from pipeline.site.publish import publish_site
users = load_users(sys.argv[1])
print("ready", flush=True)
while True:
    publish_site(users, Path(sys.argv[2]), Path(sys.argv[3]))
"""


def complete_site(output: Path) -> list[str]:
    """What a reader would miss right now: pages absent, links to absent files, unreadable JSON."""
    missing = [name for name in ("index.html", "404.html", "robots.txt", "u/index.html")
               if not (output / name).is_file()]
    def served(path: Path) -> bool:  # hidden names are work in progress no host serves (README: deny them)
        return not any(part.startswith(".") for part in path.relative_to(output).parts)

    for page in filter(served, output.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for ref in re.findall(r'(?:src|href)="([^"#?:]+)"', text):
            target = (page.parent / ref).resolve() if not ref.startswith("/") else output / ref.lstrip("/")
            if not (target.is_file() or (target / "index.html").is_file()):
                missing.append(f"{page.relative_to(output)} -> {ref}")
    for data in filter(served, output.rglob("*.json")):
        try:
            json.loads(data.read_bytes())
        except ValueError:
            missing.append(f"{data.relative_to(output)} unreadable")
    return missing


def test_sigkill_at_random_instants_while_publishing_always_leaves_a_complete_site(site):
    settings, fake, instance = site
    build(settings, instance=instance, report=lambda _: None)
    output = Path(settings.site.output_dir)
    before = set(site_files(settings))
    users = Path(settings.stores.users_file)
    flipped = users.read_text().replace("visibility: unlisted", "visibility: public")
    variants = [users.read_text(), flipped]  # alternate registries so that every publish moves files
    rng = random.Random(7)
    for attempt in range(50):
        users.write_text(variants[attempt % 2])
        writer = subprocess.Popen([sys.executable, "-c", PUBLISH_FOREVER, settings.stores.users_file,
                                   str(settings.stores.pages_staging), settings.site.output_dir],
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert complete_site(output) == [], f"kill #{attempt} left an incomplete site"
    users.write_text(variants[0])
    outcomes, published = build(settings, instance=instance, report=lambda _: None)
    assert published and set(site_files(settings)) == before
    assert not [p for p in output.rglob(".*") if p.name != ".discogs-site-output"], "temporary files left behind"
