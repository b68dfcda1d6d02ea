"""A private folder or a withdrawn field is never published under choices the data was not filtered by.

users.yaml is read live, so it can change between a run's `collection` step (which resolves the private
folders and the published fields) and the steps that filter and stage; and the UI lets an operator
materialize the downstream assets alone. Either way the data carries the choices of the sync that
produced it, and nothing made under other choices is staged or published. Over real HTTP against the
fake API.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from pipeline.definitions import definitions
from pipeline.fakes.discogs import generate_world
from pipeline.runs.build import build
from tests.conftest import built_site

USERS = """users:
  - name: al
    discogs_username: alice
    visibility: public
    publish:
      folders: true
      fields: [Media Condition, Notes]
"""
SHELF = 2001  # "Shelf A" in generated worlds
NOTES = 3


@pytest.fixture
def built(tmp_path):
    with built_site(tmp_path, generate_world("alice:230", catalog_size=600), USERS, {"al": "alice"}) as site:
        yield site


def _published_text(settings) -> str:
    root = Path(settings.site.output_dir)
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("*")
                     if p.is_file() and p.suffix in (".json", ".csv", ".html", ".xml"))


def _shelf_ids(world) -> set[int]:
    return {i["instance_id"] for i in world.items("alice") if i["folder_id"] == SHELF}


def _published_ids(settings) -> set[int]:
    path = Path(settings.site.output_dir) / "u" / "al" / "collection" / "releases.json"
    if not path.is_file():
        return set()
    data = json.loads(path.read_text())
    column = data["columns"].index("instance_id")
    return {row[column] for row in data["rows"]}


def _notes(world) -> set[str]:
    return {n["value"] for i in world.items("alice") for n in i.get("notes", []) if n["field_id"] == NOTES}


def test_a_folder_made_private_while_a_run_is_in_flight_is_never_published(built):
    world, fake, settings, instance = built
    shelf = _shelf_ids(world)
    assert shelf and shelf <= _published_ids(settings)  # public so far
    users, state = Path(settings.stores.users_file), Path(settings.stores.state_dir) / "collections" / "al.json"
    # The next run's collection step stores the sync, then master enrichment waits on a slow master while
    # the owner makes "Shelf A" private: the later steps see the new users.yaml, the sync the old one.
    synced_before = json.loads(state.read_text())["synced_at"]
    (Path(settings.stores.state_dir) / "masters.sqlite").unlink()  # masters to fetch: enrichment takes a while
    fake.faults.add(_slow_master())
    edited = threading.Event()

    def make_private_once_synced() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if json.loads(state.read_text())["synced_at"] != synced_before:
                users.write_text(users.read_text().replace("folders: true", "folders: true\n      "
                                                                            "private_folders: [Shelf A]"))
                edited.set()
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=make_private_once_synced)
    watcher.start()
    lines: list[str] = []
    outcomes, _ = build(settings, instance=instance, report=lines.append)
    watcher.join()
    assert edited.is_set(), "the edit came too late to race the run"
    failed = {o.name: o.error for o in outcomes if not o.ok}
    assert "publish: choices changed" in failed.get("al", ""), failed
    assert not shelf & _published_ids(settings)
    assert not any(str(i) in _published_text(settings) for i in shelf)
    # The owner's token stops working: their pages stay out, never published under the new choices.
    world.revoke("alice")
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert not shelf & _published_ids(settings)
    world.personal_tokens["fake-token-alice"] = "alice"
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    published = _published_ids(settings)
    assert published and not shelf & published
    assert published == {i["instance_id"] for i in world.items("alice")} - shelf


def _slow_master():
    from pipeline.fakes.discogs.faults import Fault
    return Fault("slow", path=r"^/masters/", delay=2.0)


def test_downstream_assets_materialized_alone_after_a_change_of_choices_publish_nothing_new(built):
    world, _, settings, instance = built
    shelf, notes = _shelf_ids(world), _notes(world)
    assert notes and any(n in _published_text(settings) for n in notes)
    users = Path(settings.stores.users_file)
    # Shelf A made private and Notes withdrawn; the operator then materializes only the downstream assets
    # from the UI's job (no `collection`), and publishes.
    users.write_text(users.read_text().replace("folders: true", "folders: true\n      private_folders: [Shelf A]")
                     .replace("[Media Condition, Notes]", "[Media Condition]"))
    defs = definitions(settings)
    job = defs.resolve_job_def("refresh_user")
    result = job.execute_in_process(instance=instance, partition_key="al", raise_on_error=False,
                                    asset_selection=[dg.AssetKey("collection_stats"), dg.AssetKey("user_pages")])
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert "publish: choices changed" in str(failures[0].step_failure_data.error.message)
    assert defs.resolve_job_def("publish_site").execute_in_process(instance=instance, raise_on_error=False).success
    text = _published_text(settings)
    assert not any(n in text for n in notes), "a withdrawn field's values are published"
    assert not shelf & _published_ids(settings)
    # user_pages alone, with stats filtered under the old choices: refused too.
    result = job.execute_in_process(instance=instance, partition_key="al", raise_on_error=False,
                                    asset_selection=[dg.AssetKey("user_pages")])
    assert not result.success
    assert defs.resolve_job_def("publish_site").execute_in_process(instance=instance, raise_on_error=False).success
    assert not shelf & _published_ids(settings) and not any(n in _published_text(settings) for n in notes)
    # A whole refresh then publishes under the new choices.
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    published = _published_ids(settings)
    assert published == {i["instance_id"] for i in world.items("alice")} - shelf
    assert not any(n in _published_text(settings) for n in notes)
