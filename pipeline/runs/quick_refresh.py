"""An unchanged user's refresh without a Dagster run: the newest page's one request, then an observation.

A `refresh_user` run costs Dagster about 35 stored events and 0.6 CPU s whatever it does, so with
thousands of unchanged collectors that bookkeeping, not Discogs' rate limit, set the build's pace.
`discogs-site build` therefore first checks, outside Dagster, whether anything can have changed for a
user who publishes nothing optional: a full reconciliation not due, every master already cached and
fresh, the enriched table's fingerprint equal to the one their stats and staged pages were made from,
and the newest page of their collection (the one request any refresh costs) holding the same count
and the same items. Then only the sync time moves (state, stats, staged pages), and an
observation on the `collection` asset counts, per build, the collectors checked this way
(`record_unchanged`). It names nobody and sits on no user's partition: Dagster's own storages cannot
delete one partition's events, so an observation per user would outlive a collector who went private.

Anything else, or any doubt, goes to the usual run; the page just read is handed to it, so a changed
collection is not asked for twice.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from pipeline.accounts.registry import Publishing, Visibility
from pipeline.collection.published import published, unreadable_shown
from pipeline.collection.rows import Unreadable, frame_of
from pipeline.collection.sync import PER_PAGE, held, read_again, rows_by_instance, unreadable_of
from pipeline.common.atomic import write_atomically
from pipeline.common.fingerprint import fingerprint
from pipeline.defs.resources import PipelineSettings
from pipeline.discogs.client import hand_over
from pipeline.discogs.records import CollectionPage
from pipeline.site.staging import DEFAULT_CHOICES, FINGERPRINT, restage_sync_time
from pipeline.stats.collection import enriched

UNCHANGED = "unchanged (no run)"


def refresh_if_unchanged(settings: PipelineSettings, instance: dg.DagsterInstance, name: str,
                         now: datetime | None = None) -> dict[str, Any] | None:
    """The outcome's metadata when `name` was unchanged and is now recorded as synced; None when a run must
    do the refresh (nothing was changed here then)."""
    now = now or datetime.now(UTC)
    stores, discogs = settings.stores, settings.discogs
    user = stores.user(name)
    if user.visibility is Visibility.PRIVATE or user.publish != Publishing():
        return None
    store = stores.collections()
    previous, state = store.load(name), store.load_state(name)
    if previous is None or not state.reconciled_at or state.kept_fields or state.choices != DEFAULT_CHOICES:
        return None  # never synced, or synced under other choices: the run resolves them again
    if now - datetime.fromisoformat(state.reconciled_at) >= discogs.reconcile_after or read_again(state):
        return None  # the daily full pass is the run's (and one that reads again what an older rule skipped)
    marker, staged = stores.stats_fingerprint(name), stores.pages_staging / name
    choices = stores.stats_choices(name)
    if not marker.is_file() or not stores.stats_json(name).is_file() or not (staged / FINGERPRINT).is_file():
        return None
    if not choices.is_file() or choices.read_text(encoding="utf-8") != DEFAULT_CHOICES:
        return None
    current = marker.read_text(encoding="utf-8")
    entry = json.loads((staged / "entry.json").read_text(encoding="utf-8"))
    if (staged / FINGERPRINT).read_text(encoding="utf-8") != current or entry.get("publish") != DEFAULT_CHOICES:
        return None
    ids = previous["master_id"].to_list()
    with stores.master_cache() as cache:
        if cache.due(ids):
            return None  # masters to fetch
        frame = published(enriched(previous, cache.frame(ids)), state, user.publish)
    if fingerprint(frame) != current:
        return None  # the cache learnt something since (another user's run): recompute in a run
    path = f"/users/{user.discogs_username}/collection/folders/0/releases"
    params = {"page": 1, "per_page": PER_PAGE, "sort": "added", "sort_order": "desc"}
    with discogs.client(user, stores) as client:
        body = client.get_json(path, params=params)
        requests, waited = client.stats.requests, client.stats.limiter_wait_seconds
    if not _same(previous, unreadable_of(state), CollectionPage.parse(body), name):
        hand_over(user.name, path, params, body)
        return None
    state.synced_at = now.isoformat()
    store.save_state(name, state)
    stats = json.loads(stores.stats_json(name).read_text(encoding="utf-8"))
    stats["totals"]["last_synced"] = state.synced_at
    write_atomically(stores.stats_json(name), json.dumps(stats, ensure_ascii=False).encode())
    if not restage_sync_time(name, stats, current, stores.pages_staging, DEFAULT_CHOICES):
        return None  # restaged meanwhile by a run of theirs: that run's pages stand
    return {"collection.items": previous.height, "collection.added": 0, "collection.removed": 0,
            "collection.skipped": unreadable_shown(state),
            "collection.requests": requests, "collection.mode": UNCHANGED,
            "collection.seconds_waited_on_rate_limit": round(waited, 2),
            "master_enrichment.requests": 0, "master_enrichment.masters_wanted": len({m for m in ids if m > 0}),
            "master_enrichment.masters_fetched": 0,
            "master_enrichment.coverage": stats["totals"]["enrichment_coverage"]}


def record_unchanged(instance: dg.DagsterInstance, outcomes: list) -> None:
    """One observation on `collection` saying how many collectors were found unchanged without a run, and
    what that cost; nothing when there were none."""
    quick = [o for o in outcomes if o.ok and o.metadata.get("collection.mode") == UNCHANGED]
    if quick:
        instance.report_runless_asset_event(dg.AssetObservation(asset_key="collection", metadata={
            "unchanged_collectors": len(quick),
            "requests": sum(int(o.metadata.get("collection.requests", 0)) for o in quick),
            "seconds_waited_on_rate_limit": round(sum(
                float(o.metadata.get("collection.seconds_waited_on_rate_limit", 0)) for o in quick), 2),
            "checked_by": "discogs-site build (no run)"}))


def _same(previous, unreadable: Unreadable, page: CollectionPage, user: str) -> bool:
    """The newest page shows the collection as stored: the same count (sync.held), every item on it known and
    unchanged."""
    known, count = held(previous, unreadable)
    warnings: list[str] = []
    rows = rows_by_instance(page.releases, warnings, Unreadable(), user, frozenset())
    if warnings or set(rows) - known or page.items != count:
        return False
    fresh = frame_of(list(rows.values())).sort("instance_id")
    stored = previous.filter(previous["instance_id"].is_in(list(rows))).sort("instance_id")
    return fresh.equals(stored)
