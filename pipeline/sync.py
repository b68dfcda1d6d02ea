"""Collection sync: the first time every page, later only what changed, a full reconciliation daily.

Costs (what the tests and benchmarks hold it to): a first sync of N items is ceil(N/100) pages plus
one folder call; an unchanged collection costs the folder count and the newest page; k additions
cost at most ceil(k/100)+1 pages. Removals, moved folders and new ratings are invisible to that cheap
check (unless they change the count), so a full pass runs at most every `reconcile_after`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from pipeline import progress
from pipeline.collection import BadItem, SyncState, frame_of, row_of
from pipeline.discogs.client import DiscogsClient

log = logging.getLogger(__name__)
PER_PAGE = 100
STAGE = "collection pages"
FULL_SYNC_ATTEMPTS = 3


@dataclass
class SyncResult:
    table: pl.DataFrame
    state: SyncState
    mode: str  # "full" or "incremental"
    pages: int = 0
    added: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)


def _rows(items: list[dict[str, Any]], warnings: list[str], user: str) -> dict[int, dict[str, Any]]:
    """Rows by instance id; an item seen twice (the collection moved mid-sync) is kept once."""
    rows: dict[int, dict[str, Any]] = {}
    for item in items:
        try:
            row = row_of(item)
        except BadItem as exc:
            warnings.append(f"user {user!r}: {exc}; skipped")
            continue
        rows[row["instance_id"]] = row
    return rows


def sync_collection(client: DiscogsClient, user: str, username: str, previous: pl.DataFrame | None,
                    state: SyncState, *, reconcile_after: timedelta = timedelta(days=1),
                    now: datetime | None = None) -> SyncResult:
    """Bring `previous` (None on the first sync) up to date with folder 0 of `username`."""
    now = now or datetime.now(UTC)
    folder_count = client.folder(username, 0).count
    reconciled = datetime.fromisoformat(state.reconciled_at) if state.reconciled_at else None
    due = previous is None or reconciled is None or now - reconciled >= reconcile_after
    if not due:
        result = _incremental(client, user, username, previous, folder_count)
        if result is not None:
            result.state = SyncState(now.isoformat(), state.reconciled_at, folder_count, result.warnings)
            return result
        log.info("user %r: the folder count moved unexpectedly; reconciling in full", user)
    result = _full(client, user, username, previous)
    result.state = SyncState(now.isoformat(), now.isoformat(), folder_count, result.warnings)
    return result


def _incremental(client: DiscogsClient, user: str, username: str, previous: pl.DataFrame,
                 folder_count: int) -> SyncResult | None:
    """Newest pages until one holds a known item; None when only a full pass can explain the count."""
    known = set(previous["instance_id"].to_list())
    warnings: list[str] = []
    fresh: dict[int, dict[str, Any]] = {}
    page_number, pages = 1, 1
    while page_number <= pages:
        page = client.collection_page(username, page_number, per_page=PER_PAGE, sort="added", sort_order="desc")
        pages = page.pages
        progress.report(user, STAGE, page_number, pages, client.rate.seconds_per_request)
        rows = _rows(page.releases, warnings, user)
        fresh.update(rows)
        if any(instance in known for instance in rows) or not page.releases:
            break
        page_number += 1
    new = {i: r for i, r in fresh.items() if i not in known}
    if len(known) + len(new) != folder_count:
        return None
    # Known items seen on the newest pages come back fresh too (a new rating costs nothing extra).
    updated = previous.filter(~pl.col("instance_id").is_in(list(fresh)))
    table = pl.concat([frame_of(list(fresh.values())), updated]).sort("added_at", descending=True)
    return SyncResult(table, SyncState(), "incremental", pages=page_number, added=len(new), warnings=warnings)


def _full(client: DiscogsClient, user: str, username: str, previous: pl.DataFrame | None) -> SyncResult:
    """Every page; repeated when the collection changed underneath so that an item was missed."""
    pages_fetched = 0
    for attempt in range(1, FULL_SYNC_ATTEMPTS + 1):
        warnings: list[str] = []
        items: list[dict[str, Any]] = []
        first = client.collection_page(username, 1, per_page=PER_PAGE, sort="added", sort_order="desc")
        items += first.releases
        total, pages = first.items, first.pages
        progress.report(user, STAGE, 1, pages, client.rate.seconds_per_request)
        for number in range(2, pages + 1):
            page = client.collection_page(username, number, per_page=PER_PAGE, sort="added", sort_order="desc")
            progress.report(user, STAGE, number, pages, client.rate.seconds_per_request)
            items += page.releases
            total = page.items
        pages_fetched += pages
        rows = _rows(items, warnings, user)
        skipped = len(warnings)
        if len(rows) + skipped >= total or attempt == FULL_SYNC_ATTEMPTS:
            if len(rows) + skipped < total:
                warnings.append(f"user {user!r}: Discogs reports {total} items but {len(rows) + skipped} arrived")
            break
        log.info("user %r: %d of %d items arrived (the collection changed mid-sync); again", user,
                 len(rows), total)
    table = frame_of(list(rows.values())).sort("added_at", descending=True)
    before = set(previous["instance_id"].to_list()) if previous is not None else set()
    after = set(rows)
    return SyncResult(table, SyncState(), "full", pages=pages_fetched, added=len(after - before),
                      removed=len(before - after), warnings=warnings)
