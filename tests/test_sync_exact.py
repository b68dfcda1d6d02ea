"""A full sync stores exactly what Discogs holds at its end, even when the collection changes while pages are read.

Changes are made to the fake world between two page reads: the sync reports each page it has read to
its progress listeners, and the test's listener edits the collection at the chosen read.
"""

from __future__ import annotations

import io
import math

import pytest

from pipeline.collection.store import SyncState
from pipeline.collection.sync import STAGE, sync_collection
from pipeline.common import progress
from pipeline.fakes.discogs import add_generated_items, generate_world

ITEMS = 1000  # ten pages


@pytest.fixture
def world():
    return generate_world(f"alice:{ITEMS}", catalog_size=1200)


def _after_reads(changes: dict[int, callable]):
    """A progress listener that runs changes[n] right after the n-th page read of the sync."""
    reads = [0]

    def listener(step: progress.Step) -> None:
        if step.stage == STAGE:
            reads[0] += 1
            if reads[0] in changes:
                changes[reads[0]]()
    return progress.listening(listener)


def _sync(client):
    return sync_collection(client, "alice", "alice", None, SyncState())


def _truth(world) -> set[int]:
    return {i["instance_id"] for i in world.items("alice")}


def _newest_first(world) -> list[dict]:
    return sorted(world.items("alice"), key=lambda i: i["date_added"], reverse=True)


def test_a_still_collection_costs_its_pages_and_nothing_more(client_for, fake, world):
    result = _sync(client_for())
    assert set(result.table["instance_id"].to_list()) == _truth(world)
    assert fake.count() == math.ceil(ITEMS / 100)  # no count call, no closing read: every page saw one total


def test_the_one_change_a_still_looking_pass_misses_is_put_right_by_the_next_refresh(client_for, fake, world):
    """An addition and the removal of an item already read, between the same two reads, keep every total
    equal: the pass cannot see them, but the count it stores is then off, and the next refresh reconciles."""
    gone = _newest_first(world)[50]["instance_id"]  # on page 1, read when it goes

    def swap() -> None:
        world.remove_items("alice", {gone})
        add_generated_items(world, "alice", 1)

    client = client_for()
    with _after_reads({3: swap}):
        first = _sync(client)
    assert fake.count() == math.ceil(ITEMS / 100)
    assert set(first.table["instance_id"].to_list()) != _truth(world)  # what no pass without re-reading sees
    again = sync_collection(client, "alice", "alice", first.table, first.state)
    assert set(again.table["instance_id"].to_list()) == _truth(world) and again.mode == "full"


def test_an_addition_mid_sync_is_found_by_the_closing_read_without_reading_again(client_for, fake, world):
    with _after_reads({4: lambda: add_generated_items(world, "alice", 3)}):
        result = _sync(client_for())
    assert set(result.table["instance_id"].to_list()) == _truth(world) and result.table.height == ITEMS + 3
    # The three push the last items onto an eleventh page; then the closing read. Nothing is read again.
    assert fake.count("/users/alice/collection/folders/0/releases") == 11 + 1


def test_a_removal_and_an_addition_mid_sync_end_with_the_exact_collection_rereading_only_what_moved(
        client_for, fake, world):
    newest = _newest_first(world)
    gone = newest[150]["instance_id"]  # on page 2, long read when it goes
    changes = {5: lambda: world.remove_items("alice", {gone}),
               8: lambda: add_generated_items(world, "alice", 2)}
    with _after_reads(changes):
        result = _sync(client_for())
    stored = set(result.table["instance_id"].to_list())
    assert stored == _truth(world), f"missing {_truth(world) - stored}, stale {stored - _truth(world)}"
    assert gone not in stored and result.table.height == ITEMS + 1 and result.warnings == []
    pages = fake.count("/users/alice/collection/folders/0/releases")
    # 11 pages (the additions push items onto an eleventh) + closing read + pages 1-6 again (the removal
    # moved pages 2-5; the first item read after it is on page 6 now) + a last closing read. Repeating the
    # whole pass would cost 24.
    assert pages == 11 + 1 + 6 + 1, pages


def test_a_removal_after_the_last_page_is_read_is_found_by_the_next_refresh(client_for, fake, world):
    gone = _newest_first(world)[420]["instance_id"]
    client = client_for()
    with _after_reads({10: lambda: world.remove_items("alice", {gone})}):
        first = _sync(client)
    assert gone in set(first.table["instance_id"].to_list())  # the collection as every page showed it
    fake.reset_log()
    again = sync_collection(client, "alice", "alice", first.table, first.state)
    assert set(again.table["instance_id"].to_list()) == _truth(world) and again.removed == 1


def test_an_unreadable_item_is_remembered_so_refreshes_stay_cheap(client_for, fake, world):
    with world.lock:
        broken = world.user("alice").items[3]
        broken["id"] = "not a release id"  # without an integer id an item is unreadable (a missing date is not)
        world.version += 1
    client = client_for()
    first = _sync(client)
    assert first.table.height == ITEMS - 1 and first.state.skipped == [broken["instance_id"]]
    fake.reset_log()
    again = sync_collection(client, "alice", "alice", first.table, first.state)
    assert again.mode == "incremental" and again.table.height == ITEMS - 1
    assert [s.path for s in fake.requests()] == ["/users/alice/collection/folders/0/releases"]


def test_a_lone_surrogate_is_repaired_not_fatal(client_for, world):
    with world.lock:
        world.user("alice").items[5]["basic_information"]["title"] = "Broken \ud800 title"
        world.user("alice").items[6]["basic_information"]["artists"][0]["name"] = "\udfff"
        world.version += 1
    result = _sync(client_for())
    assert result.table.height == ITEMS and result.warnings == []
    assert "Broken \ufffd title" in result.table["title"].to_list()
    result.table.write_parquet(io.BytesIO())  # storable as it is


def _folder_counts(world) -> dict[int, int]:
    counts: dict[int, int] = {0: len(world.items("alice"))}
    for item in world.items("alice"):
        counts[item["folder_id"]] = counts.get(item["folder_id"], 0) + 1
    return counts


def test_a_move_or_an_old_dated_addition_with_a_removal_is_settled_by_the_folder_counts(client_for, fake, world):
    """Neither changes the newest page nor the count; where the folders' counts are fetched anyway (an owner
    who publishes folders or keeps some private), a folder whose count differs from its rows sends the
    refresh to a full pass at once instead of the next daily one."""
    client = client_for()
    first = _sync(client)
    oldest = sorted(world.items("alice"), key=lambda i: i["date_added"])
    moved, gone = oldest[0], oldest[1]
    elsewhere = next(f for f in _folder_counts(world) if f not in (0, moved["folder_id"]))
    world.update_item("alice", moved["instance_id"], folder_id=elsewhere)
    # An addition dated long ago (on no page a refresh reads) and a removal, in different folders.
    added = {**oldest[2], "instance_id": 777_000_001, "folder_id": elsewhere}
    world.add_items("alice", [added])
    assert gone["folder_id"] != elsewhere
    world.remove_items("alice", {gone["instance_id"]})
    refresh = sync_collection(client, "alice", "alice", first.table, first.state,
                              folder_counts=_folder_counts(world))
    assert refresh.mode == "full"
    table = refresh.table
    assert set(table["instance_id"].to_list()) == _truth(world)
    assert table.filter(table["instance_id"] == moved["instance_id"])["folder_id"].item() == elsewhere
    # Nothing moved since: the next refresh is the newest page alone.
    fake.reset_log()
    again = sync_collection(client, "alice", "alice", refresh.table, refresh.state, folder_counts=_folder_counts(world))
    assert again.mode == "incremental" and fake.count() == 1
