"""Collection sync: the first time every page, later only what changed, a full reconciliation daily.

Costs (what the tests and benchmarks hold it to): a first sync of N items is ceil(N/100) pages; an
unchanged collection costs one request, the newest page, whose `pagination.items` is the folder's
count; k additions cost at most ceil(k/100)+1 pages. Removals and new ratings are invisible to that
cheap check (unless they change the count), so a full pass runs at most every `reconcile_after`. A
record moved between folders is seen where the folders' counts are fetched anyway (an owner who
publishes folders or keeps some private): a folder whose count differs from its stored rows sends the
refresh to a full pass at once, since a record moved into a private folder must leave the site now.

A full pass is checked by identity, not by count. Pages are read newest first, so an item added
mid-pass lands on a page already read and pushes later pages down (an item read twice, kept once);
an item removed from a page already read pulls later pages up, so one item slips past a page
boundary unseen while the removed one is still held. Either changes the total the next page
reports. A pass whose pages all report one total, with no item twice and that many items, saw a
still collection and is done; otherwise the newest pages are read again (the closing read finds the
additions), each page's total tells between which two reads a removal happened, and the pages read
before it are read again, newest first, until the first item read after it: only the pages that
moved. The one change a still-looking pass cannot see (an addition and the removal of an item
already read, both between the same two reads) leaves the count off by one, so the next refresh's
count check sends it to a full pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from pipeline.collection.rows import READ_RULE, BadItem, Unreadable, frame_of, newest_first, row_of
from pipeline.collection.store import SyncState
from pipeline.common import progress
from pipeline.discogs.client import DiscogsClient

log = logging.getLogger(__name__)
PER_PAGE = 100
STAGE = "collection pages"
FULL_SYNC_ATTEMPTS = 4


@dataclass
class SyncResult:
    table: pl.DataFrame
    state: SyncState
    mode: str  # "full" or "incremental"
    pages: int = 0
    added: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)
    unreadable: Unreadable = field(default_factory=Unreadable)

    @property
    def skipped(self) -> list[int]:
        """The instance ids of the unreadable items (those without one are in `unreadable` only)."""
        return sorted(self.unreadable.folders)


def rows_by_instance(items: list[dict[str, Any]], warnings: list[str], skipped: Unreadable, user: str,
          keep_fields: frozenset[int]) -> dict[int, dict]:
    """Rows by instance id; an item seen twice (the collection moved mid-sync) is kept once.

    An unreadable item is named in `warnings` and remembered in `skipped` (with its folder), so later
    refreshes count it as known instead of reconciling in full every time.
    """
    rows: dict[int, dict[str, Any]] = {}
    for item in items:
        try:
            row = row_of(item, keep_fields)
        except BadItem as exc:
            warnings.append(f"user {user!r}: {exc}; skipped")
            skipped.add(exc)
            continue
        rows[row["instance_id"]] = row
    return rows


def unreadable_of(state: SyncState) -> Unreadable:
    """The unreadable items a stored sync state remembers."""
    folders = {int(k): v for k, v in state.skipped_folders.items()}
    return Unreadable({i: folders.get(i) for i in state.skipped}, list(state.anonymous))


def read_again(state: SyncState) -> bool:
    """Items were skipped under an older reading rule (one that took a missing date for unreadable): only a
    full pass reads them again, as the cheap refresh never looks past the newest pages."""
    return bool(state.skipped or state.anonymous) and state.read_rule != READ_RULE


def _state(result: SyncResult, synced_at: str, reconciled_at: str | None, keep_fields: frozenset[int]) -> SyncState:
    unreadable = result.unreadable
    return SyncState(synced_at, reconciled_at, result.state.folder_count, result.warnings, result.skipped,
                     kept_fields=sorted(keep_fields),
                     skipped_folders={str(i): f for i, f in unreadable.folders.items() if f is not None},
                     anonymous=list(unreadable.anonymous), read_rule=READ_RULE)


def _instance(item: Any) -> int | None:
    value = item.get("instance_id") if isinstance(item, dict) else None
    return value if isinstance(value, int) else None


def sync_collection(client: DiscogsClient, user: str, username: str, previous: pl.DataFrame | None,
                    state: SyncState, *, reconcile_after: timedelta = timedelta(days=1),
                    now: datetime | None = None, keep_fields: frozenset[int] = frozenset(),
                    folder_counts: dict[int, int] | None = None) -> SyncResult:
    """Bring `previous` (None on the first sync) up to date with folder 0 of `username`.

    `keep_fields`: the custom fields whose values are stored (the ones the owner publishes); when it
    differs from the last sync's, every row is read again so that each holds exactly those.
    `folder_counts`: each folder's count as Discogs gave it just now, when fetched; an incremental result
    that does not match them is replaced by a full pass."""
    now = now or datetime.now(UTC)
    reconciled = datetime.fromisoformat(state.reconciled_at) if state.reconciled_at else None
    due = (previous is None or reconciled is None or now - reconciled >= reconcile_after
           or set(state.kept_fields) != set(keep_fields) or read_again(state))
    if not due:
        result = _incremental(client, user, username, previous, unreadable_of(state), keep_fields)
        if result is not None and folder_counts and not folders_agree(result.table, folder_counts,
                                                                      len(result.unreadable)):
            log.info("user %r: a folder's count differs from its stored records (a record moved); "
                     "reconciling in full", user)
            result = None
        if result is not None:
            result.state = _state(result, now.isoformat(), state.reconciled_at, keep_fields)
            return result
        log.info("user %r: the folder count moved unexpectedly; reconciling in full", user)
    result = _full(client, user, username, previous, keep_fields)
    result.state = _state(result, now.isoformat(), now.isoformat(), keep_fields)
    return result


def folders_agree(table: pl.DataFrame, counts: dict[int, int], unreadable: int = 0) -> bool:
    """Whether every folder (but 0, the whole collection) holds as many stored rows as Discogs counts in it;
    an unreadable item, or a row whose folder Discogs did not say, may sit in any folder, so each may count
    up to that many more."""
    stored = dict(table.group_by("folder_id").len().iter_rows()) if table.height else {}
    anywhere = unreadable + stored.get(None, 0)
    for folder, count in counts.items():
        have = stored.get(folder, 0)
        if folder != 0 and not have <= count <= have + anywhere:
            return False
    return all(folder in counts for folder in stored if folder is not None)  # a folder gone: its records moved


def held(previous: pl.DataFrame, unreadable: Unreadable) -> tuple[set[int], int]:
    """(the instance ids a stored collection knows, the count Discogs reports for it when nothing changed):
    its rows and its unreadable items, those without an instance id counted too. The one rule for "is the
    count unchanged", for the refresh in a run and the check before one (quick_refresh)."""
    known = set(previous["instance_id"].to_list()) | set(unreadable.folders)
    return known, len(known) + len(unreadable.anonymous)


def _incremental(client: DiscogsClient, user: str, username: str, previous: pl.DataFrame,
                 skipped: Unreadable, keep_fields: frozenset[int]) -> SyncResult | None:
    """Newest pages until one holds a known item; None when only a full pass can explain the count.

    The newest page's total is the folder's count: an unchanged collection costs that one request. Items
    without an instance id cannot be told apart: those the last full pass counted are counted again, and
    one more (or fewer) leaves the count unexplained."""
    known, count = held(previous, skipped)
    warnings: list[str] = []
    fresh: dict[int, dict[str, Any]] = {}
    bad = Unreadable()
    page_number, pages, folder_count = 1, 1, None
    while page_number <= pages:
        page = client.collection_page(username, page_number, per_page=PER_PAGE, sort="added", sort_order="desc")
        pages = page.pages
        folder_count = page.items if folder_count is None else folder_count
        progress.report(user, STAGE, page_number, pages, client.rate.seconds_per_request)
        fresh.update(rows_by_instance(page.releases, warnings, bad, user, keep_fields))
        seen = {_instance(item) for item in page.releases}
        if seen & known or not page.releases:
            break
        page_number += 1
    new = {i: r for i, r in fresh.items() if i not in known}
    if count + len(new) + len(set(bad.folders) - known) != folder_count:
        return None
    # Known items seen on the newest pages come back fresh too (a new rating costs nothing extra), and an
    # item skipped before that reads now is a row, no longer skipped.
    updated = previous.filter(~pl.col("instance_id").is_in(list(fresh)))
    table = newest_first(pl.concat([frame_of(list(fresh.values())), updated]))
    still = {i: f for i, f in skipped.folders.items() if i not in fresh} | bad.folders
    return SyncResult(table, SyncState(folder_count=folder_count), "incremental", pages=page_number,
                      added=len(new), warnings=warnings, unreadable=Unreadable(still, list(skipped.anonymous)))


@dataclass
class _Read:
    """One page as it was read: its items' instance ids in order and the collection's size at that moment."""

    ids: list[int | None]
    total: int


class _Pass:
    """Reads of the collection, newest first, with every item kept by instance id (the latest copy wins)."""

    def __init__(self, client: DiscogsClient, user: str, username: str) -> None:
        self.client, self.user, self.username = client, user, username
        self.items: dict[int, dict[str, Any]] = {}
        # Items without an instance id: reported, never kept; keyed by their text, as a re-read repeats them.
        self.anonymous: dict[str, dict[str, Any]] = {}
        self.requests = 0

    def read(self, number: int) -> tuple[_Read, int]:
        """Page `number`; returns what it held and how many pages the collection has now."""
        page = self.client.collection_page(self.username, number, per_page=PER_PAGE, sort="added",
                                           sort_order="desc")
        self.requests += 1
        progress.report(self.user, STAGE, number, page.pages, self.client.rate.seconds_per_request)
        ids = []
        for item in page.releases:
            instance = _instance(item)
            ids.append(instance)
            if instance is None:
                self.anonymous[repr(item)] = item
            else:
                self.items[instance] = item
        return _Read(ids, page.items), page.pages

    def until(self, stop: set[int]) -> list[_Read]:
        """Pages from the newest until one holds an id in `stop` (or the last page); every page when `stop` is empty."""
        reads, number, pages = [], 1, 1
        while number <= pages:
            read, pages = self.read(number)
            reads.append(read)
            if stop & set(read.ids) or not read.ids:
                break
            number += 1
        return reads


def _moved_since(reads: list[_Read], closing_total: int, additions: int) -> int | None:
    """Index of the first read that saw the collection as it is now (0: nothing was removed), or None when
    a removal cannot be placed between two reads.

    Between two reads the total changes by additions minus removals; additions push the next page
    down by as many items, which arrive again at its start. A change the repeated items do not
    explain is a removal: the pages read before it may have moved.
    """
    removals = additions - (closing_total - reads[0].total)
    if removals <= 0:
        return 0
    seen: set[int | None] = set()
    placed, last, repeats = 0, None, 0
    for index in range(1, len(reads)):
        seen |= set(reads[index - 1].ids)
        repeated = sum(1 for i in reads[index].ids if i in seen)
        repeats += repeated
        unexplained = repeated - (reads[index].total - reads[index - 1].total)
        if unexplained > 0:
            placed, last = placed + unexplained, index
    if (additions - repeats) - (closing_total - reads[-1].total) > 0:  # removed after the last page was read
        return None
    return last if last is not None and placed >= removals else None


def _still(reads: list[_Read]) -> bool:
    """True when the pass shows the collection did not move: one total on every page, each item once, all of them."""
    ids = [i for r in reads for i in r.ids]
    return len({r.total for r in reads}) == 1 and len(ids) == len(set(ids)) == reads[0].total


def _full(client: DiscogsClient, user: str, username: str, previous: pl.DataFrame | None,
          keep_fields: frozenset[int]) -> SyncResult:
    """Every page once, then the newest pages again to see what changed meanwhile; re-read what moved."""
    sync = _Pass(client, user, username)
    reads = sync.until(set())
    total, patched = reads[0].total, False
    attempts = 0 if _still(reads) else FULL_SYNC_ATTEMPTS
    for attempt in range(1, attempts + 1):
        held = set(sync.items)
        closing = sync.until(held)
        added = {i for r in closing for i in r.ids if i is not None} - held
        total = closing[0].total
        moved = _moved_since(reads, total, len(added))
        if patched and moved:
            moved = None  # a removal while re-reading: the kept older pages may hold it; read everything
        if moved == 0 or attempt == FULL_SYNC_ATTEMPTS:
            break
        log.info("user %r: items were removed mid-sync (attempt %d); reading again what moved", user, attempt)
        kept: dict[int, dict[str, Any]] = {}
        anchor: set[int] = set()
        if moved is not None:
            kept = {i: sync.items[i] for r in reads[moved:] for i in r.ids if i in sync.items}
            anchor = {next(i for r in reads[moved:] for i in r.ids if i is not None)}
        sync.items, sync.anonymous = {}, {}
        reads = sync.until(anchor)
        for instance, item in kept.items():
            sync.items.setdefault(instance, item)
        patched = moved is not None
    warnings: list[str] = []
    bad = Unreadable()
    rows = rows_by_instance([*sync.items.values(), *sync.anonymous.values()], warnings, bad, user, keep_fields)
    if len(rows) + len(bad) != total:
        warnings.append(f"user {user!r}: Discogs reports {total} items but {len(rows) + len(bad)} arrived")
    table = newest_first(frame_of(list(rows.values())))
    before = set(previous["instance_id"].to_list()) if previous is not None else set()
    after = set(rows)
    return SyncResult(table, SyncState(folder_count=total), "full", pages=sync.requests,
                      added=len(after - before), removed=len(before - after), warnings=warnings,
                      unreadable=bad)
