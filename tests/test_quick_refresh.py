"""`discogs-site build` over many users: an unchanged collector costs one request and no Dagster run (an
observation records the check); anything that could have changed still gets its run, with the page the
check read handed over so it is not asked for twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from pipeline.fakes.discogs import add_generated_items
from pipeline.runs.build import build


def _runs(instance) -> int:
    return len(instance.get_runs(dg.RunsFilter(job_name="refresh_user")))


def _synced(settings, user: str) -> str:
    stats = Path(settings.site.output_dir) / "u" / user / "collection" / "stats.json"
    return json.loads(stats.read_text())["totals"]["last_synced"]


def test_unchanged_users_cost_one_request_and_no_run_and_a_changed_one_is_not_asked_twice(site, pipeline_world):
    settings, fake, instance = site
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert all(o.ok for o in outcomes)
    runs, before = _runs(instance), _synced(settings, "al")
    new = add_generated_items(pipeline_world, "obi", 3)
    fake.reset_log()
    outcomes, published = build(settings, instance=instance, report=lambda _: None)
    assert published and all(o.ok for o in outcomes)
    assert _runs(instance) == runs + 1, "only the changed collector ran"
    assert fake.count("/users/alice/") == 1 and fake.count("/users/obi/collection/") == 1
    # Alice's pages say she was synced just now; Dagster counts the collectors checked without a run.
    assert _synced(settings, "al") > before
    seen = instance.fetch_observations(dg.AssetKey("collection"), limit=1).records
    assert seen and seen[0].asset_observation.metadata["unchanged_collectors"].value == 1
    assert seen[0].asset_observation.partition is None
    staged = Path(settings.stores.pages_staging) / "ob" / "collection" / "releases.json"  # ob is unlisted
    published_ids = {row[0] for row in json.loads(staged.read_text())["rows"]}
    assert {i["instance_id"] for i in new} <= published_ids


def test_a_due_reconciliation_a_publishing_choice_or_a_rebuild_on_demand_still_runs(site, pipeline_world):
    settings, fake, instance = site
    build(settings, instance=instance, report=lambda _: None)
    state = Path(settings.stores.state_dir) / "collections" / "al.json"
    data = json.loads(state.read_text())
    data["reconciled_at"] = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    state.write_text(json.dumps(data))
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("discogs_username: obi\n",
                                               "discogs_username: obi\n    publish:\n      value: true\n"))
    runs = _runs(instance)
    build(settings, instance=instance, report=lambda _: None)
    assert _runs(instance) == runs + 2  # alice's daily full pass, obi's new choice
    runs = _runs(instance)
    build(settings, ["al"], instance=instance, report=lambda _: None)
    assert _runs(instance) == runs + 1  # one person rebuilt on demand: their run, as asked


def test_a_collector_made_private_leaves_no_observation_in_dagster(site):
    settings, _, instance = site
    for _ in range(2):  # the second build finds al unchanged: an observation without a run
        outcomes, _ = build(settings, instance=instance, report=lambda _: None)
        assert all(o.ok for o in outcomes)

    def observed() -> list:
        return instance.fetch_observations(dg.AssetRecordsFilter(asset_key=dg.AssetKey("collection"),
                                                                 asset_partitions=["al"]), limit=10).records

    # The second build recorded al's check without a run: on no partition of hers (Dagster's storages cannot
    # delete one partition's events, so nothing of it could be forgotten).
    assert instance.fetch_observations(dg.AssetKey("collection"), limit=1).records and not observed()
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("discogs_username: alice\n    visibility: public",
                                               "discogs_username: alice\n    visibility: private"))
    build(settings, instance=instance, report=lambda _: None)
    assert not observed()
    assert not instance.fetch_materializations(dg.AssetRecordsFilter(
        asset_key=dg.AssetKey("collection"), asset_partitions=["al"]), limit=10).records
