"""The Dagster pipeline against the fake Discogs API over real HTTP, with a real instance on disk."""

from __future__ import annotations

import calendar
import json
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import polars as pl

from pipeline.defs import definitions
from pipeline.defs.users.partitions import sync_user_partitions
from pipeline.fakes.discogs import add_generated_items, personal_token_for
from pipeline.runs.build import build
from tests.conftest import CLI, cli_env, masters_of


def test_first_sync_costs_pages_plus_distinct_masters_and_shared_masters_once(site, pipeline_world):
    settings, fake, instance = site
    outcomes, published = build(settings, instance=instance, report=lambda _: None)
    assert published and all(o.ok for o in outcomes)
    for username, items in (("alice", 230), ("obi", 120)):
        # Every page once: the pages agree on the total, so nothing moved; no separate count call.
        assert fake.count(f"/users/{username}/collection/folders/0") == math.ceil(items / 100)
    shared = masters_of(pipeline_world, "alice") & masters_of(pipeline_world, "obi")
    assert shared, "the generated world should make the two users share masters"
    fetched = Counter(s.path for s in fake.requests("/masters/"))
    assert set(fetched.values()) == {1}  # no master fetched twice, shared ones included
    assert len(fetched) == len(masters_of(pipeline_world, "alice") | masters_of(pipeline_world, "obi"))
    assert fake.count(status=429) == 0


def test_refresh_costs_one_request_and_additions_only_their_pages(site, pipeline_world):
    settings, fake, instance = site
    build(settings, instance=instance, report=lambda _: None)
    fake.reset_log()
    build(settings, ["al"], instance=instance, report=lambda _: None)
    assert [s.path for s in fake.requests()] == ["/users/alice/collection/folders/0/releases"]
    known = masters_of(pipeline_world, "alice") | masters_of(pipeline_world, "obi")
    added = add_generated_items(pipeline_world, "alice", 105)
    new_masters = {i["basic_information"]["master_id"] for i in added} - {0} - known
    fake.reset_log()
    outcomes, _ = build(settings, ["al"], instance=instance, report=lambda _: None)
    assert outcomes[0].metadata["collection.added"] == 105
    pages = fake.count("/users/alice/collection/folders/0/releases")
    assert pages <= math.ceil(105 / 100) + 1
    assert fake.count("/masters/") == len(new_masters)
    assert outcomes[0].metadata["collection.items"] == 335


def test_private_user_is_never_fetched_nor_published(site):
    settings, fake, instance = site
    build(settings, instance=instance, report=lambda _: None)
    assert not [s for s in fake.requests() if "hidden-one" in s.path]
    for path in Path(settings.site.output_dir).rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "hidden-one" not in text and "/u/hid" not in text, path


def test_revoked_token_fails_only_its_user_and_keeps_their_pages(site, pipeline_world):
    settings, fake, instance = site
    build(settings, instance=instance, report=lambda _: None)
    unlisted = [p.name for p in (Path(settings.site.output_dir) / "u").iterdir() if p.name.startswith("ob-")]
    pipeline_world.revoke("obi")
    outcomes, published = build(settings, instance=instance, report=lambda _: None)
    by_name = {o.name: o for o in outcomes}
    assert set(by_name) == {"al", "ob"}  # a private user is not built at all
    assert by_name["al"].ok and not by_name["ob"].ok
    assert "run `discogs-site connect ob` again" in by_name["ob"].error
    assert published and (Path(settings.site.output_dir) / "u" / unlisted[0] / "collection" / "index.html").exists()


def test_stats_equal_counts_computed_from_the_raw_json(site, pipeline_world):
    import json

    settings, fake, instance = site
    with pipeline_world.lock:  # added on the last evening of its month in California: the next month in UTC
        item = pipeline_world.user("alice").items[100]
        year, month = map(int, item["date_added"][:7].split("-"))
        item["date_added"] = f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]}T17:09:00-08:00"
        pipeline_world.version += 1
    build(settings, ["al"], instance=instance, report=lambda _: None)
    stats = json.loads((Path(settings.stores.stats_dir) / "al.json").read_text())
    genres, decades, formats, months, unknown = Counter(), Counter(), Counter(), Counter(), Counter()
    artists, compilations, found, with_master = set(), 0, 0, 0
    for item in pipeline_world.items("alice"):
        info = item["basic_information"]
        master = pipeline_world.masters.get(info["master_id"])  # None: Discogs answers 404 for it
        genres.update(set(master["genres"] if master and master["genres"] else info.get("genres", [])))
        # The master's year; a release without a master is its own original; a pressing's year is never the
        # original's when its master is missing.
        year = (master["year"] if master else 0) if info["master_id"] else info["year"]
        if year > 0:
            decades[f"{year // 10 * 10}s"] += 1
        else:
            unknown["master_missing" if info["master_id"] and not master else "no_year"] += 1
        with_master += bool(info["master_id"])
        found += bool(master)
        formats.update({f["name"] for f in info["formats"]})
        months[item["date_added"][:7]] += 1  # the month as Discogs wrote the date, its own offset kept
        names = {re.sub(r" \(\d+\)$", "", a["name"]) for a in info["artists"]}
        artists |= names - {"Various"}
        compilations += "Various" in names
    assert dict(stats["counts"]["genres"]) == dict(genres)
    assert dict(stats["counts"]["decades"]) == dict(decades)
    assert dict(stats["counts"]["formats"]) == dict(formats)
    assert dict(stats["counts"]["months_added"]) == dict(months)
    totals = stats["totals"]
    assert totals["items"] == 230 and unknown["master_missing"] > 0 and compilations > 0
    assert totals["unknown_year_because"] == {"master_missing": unknown["master_missing"], "master_pending": 0,
                                              "master_unsaid": 0, "no_year": unknown["no_year"]}
    assert totals["original_year_known"] == 230 - sum(unknown.values())
    assert totals["enrichment_coverage"] == round(found / with_master, 4) < 1  # found, not merely looked up
    assert totals["artists"] == len(artists) and totals["compilations"] == compilations
    assert "Various" not in dict(stats["counts"]["artists"])


def test_checks_pass_and_coverage_warns_on_a_small_budget(site):
    settings, fake, instance = site
    sync_user_partitions(instance, settings.stores.users())
    assets = list(definitions(settings).assets)
    result = dg.materialize(assets, selection=["collection", "master_enrichment"], partition_key="al",
                            instance=instance, resources=settings.resources(),
                            run_config={"ops": {"master_enrichment": {"config": {"budget": 5}}}})
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"size_matches_discogs": True, "coverage": False, "published_fields_exist": True,
                      "value_snapshot_today": True, "wantlist_size_matches_discogs": True}
    assert result.success  # a WARN check never fails the run
    assert fake.count("/masters/") == 5


def test_killed_mid_enrichment_loses_nothing_and_refetches_nothing(site, tmp_path):
    settings, fake, instance = site
    fake.window.limit = 40  # slow enough to kill in the middle
    env = cli_env(settings, tmp_path / "dagster", DISCOGS_RATE_LIMIT="40/1")
    command = [*CLI, "build", "--user", "al"]
    runner = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while fake.count("/masters/") < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    first = Counter(s.path for s in fake.requests("/masters/"))
    assert 30 <= len(first) < len(masters_of(fake.world, "alice")), "the kill should land mid-enrichment"
    with sqlite3.connect(Path(settings.stores.state_dir) / "masters.sqlite") as db:
        stored = {row[0] for row in db.execute("SELECT id FROM masters")}
    assert len(stored) >= len(first) - 1  # at most the one in flight was lost
    fake.window.limit = 1000
    done = subprocess.run(command, env={**env, "DISCOGS_RATE_LIMIT": "1000/1"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    again = Counter(s.path for s in fake.requests("/masters/"))
    refetched = [p for p, n in again.items() if n > 1 and int(p.rsplit("/", 1)[1]) in stored]
    assert refetched == []


def test_dagster_definitions_validate(tmp_path):
    root = Path(__file__).resolve().parent.parent
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run([str(dagster), "definitions", "validate"], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "DAGSTER_HOME": str(tmp_path)}, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_malformed_release_is_named_and_skipped(site, pipeline_world):
    settings, fake, instance = site
    with pipeline_world.lock:
        undated, broken = pipeline_world.user("alice").items[3:5]
        undated["date_added"] = "yesterday"  # no date: the record stays, its date unknown
        broken["id"] = "r1"  # no integer id: unreadable
        pipeline_world.version += 1
    outcomes, published = build(settings, ["al"], instance=instance, report=lambda _: None)
    assert outcomes[0].ok and published
    assert outcomes[0].metadata["collection.items"] == 229
    assert outcomes[0].metadata["collection.skipped"] == 1
    assert outcomes[0].metadata["collection.warnings"] == 1
    state = (Path(settings.stores.state_dir) / "collections" / "al.json").read_text()
    assert "release r1: item lacks an integer id, an integer instance_id or basic_information" in state


def test_daily_reconciliation_picks_up_ratings_and_removals(site, pipeline_world):
    settings, fake, instance = site
    build(settings, ["al"], instance=instance, report=lambda _: None)
    items = pipeline_world.items("alice")
    rerated, gone = items[50], items[60]
    pipeline_world.update_item("alice", rerated["instance_id"], rating=5 if rerated["rating"] != 5 else 1)
    pipeline_world.remove_items("alice", {gone["instance_id"]})
    daily = settings.with_changes(reconcile_hours=0.0)  # the day has passed
    outcomes, _ = build(daily, ["al"], instance=instance, report=lambda _: None)
    assert outcomes[0].metadata["collection.mode"] == "full" and outcomes[0].metadata["collection.removed"] == 1
    table = pl.read_parquet(Path(settings.stores.state_dir) / "collections" / "al.parquet")
    assert gone["instance_id"] not in table["instance_id"].to_list()
    new_rating = table.filter(pl.col("instance_id") == rerated["instance_id"])["rating"][0]
    assert new_rating == pipeline_world.items("alice")[50]["rating"] != rerated["rating"]


def test_no_token_is_left_in_output_state_or_dagster_storage(site, pipeline_world):
    settings, fake, instance = site
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert all(o.ok for o in outcomes)
    tokens = [personal_token_for(u).encode() for u in ("alice", "obi", "hidden-one")]
    roots = [Path(settings.site.output_dir), Path(settings.stores.state_dir), Path(os.environ["DAGSTER_HOME"])]
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)  # Dagster's SQLite storage is among them
    leaked = [(p, t) for p in files for t in tokens if t in p.read_bytes()]
    assert leaked == []
    vault = Path(settings.stores.vault_file).read_bytes()
    assert not any(t in vault for t in tokens)  # ciphertext only


def test_an_unchanged_user_is_neither_recomputed_nor_re_rendered_yet_shows_the_new_sync(site, pipeline_world):
    settings, fake, instance = site
    first, _ = build(settings, ["al"], instance=instance, report=lambda _: None)
    assert first[0].metadata["collection_stats.recomputed"] and first[0].metadata["user_pages.rendered"]
    staged = settings.stores.pages_staging / "al" / "collection" / "releases.json"
    made = staged.stat().st_mtime_ns
    again, published = build(settings, ["al"], instance=instance, report=lambda _: None)
    assert published and not again[0].metadata["collection_stats.recomputed"]
    assert not again[0].metadata["user_pages.rendered"] and staged.stat().st_mtime_ns == made
    synced = settings.stores.collections().load_state("al").synced_at
    shown = json.loads((Path(settings.site.output_dir) / "u" / "al" / "collection" / "stats.json").read_text())
    assert shown["totals"]["last_synced"] == synced
    # One new rating is a change: everything is made again from it.
    item = pipeline_world.items("alice")[0]
    with pipeline_world.lock:
        item["rating"] = 5 if item["rating"] != 5 else 4
        pipeline_world.version += 1
    daily = settings.with_changes(reconcile_hours=0.0)  # a rating shows at the daily reconciliation
    changed, _ = build(daily, ["al"], instance=instance, report=lambda _: None)
    assert changed[0].metadata["collection_stats.recomputed"] and changed[0].metadata["user_pages.rendered"]
