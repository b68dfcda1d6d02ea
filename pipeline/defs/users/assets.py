"""A user's assets: collection -> master_enrichment -> collection_stats -> user_pages, one partition per user.

Each asset calls plain functions (sync, masters, stats, site) and reports what happened as metadata.
The Discogs-calling steps share the `discogs_api` pool so that, whatever runs at once, one step at a
time spends the machine's request budget (the client's limiter still paces inside that step).
"""


import json
import time

import dagster as dg
import polars as pl
from pydantic import Field

from pipeline.accounts.registry import Visibility
from pipeline.collection.published import (
    FIELD_PREFIX,
    ChoicesChanged,
    PublishingError,
    field_entries,
    published,
    resolve_fields,
    resolve_private_folders,
    unreadable_shown,
    without_private,
)
from pipeline.collection.sync import sync_collection
from pipeline.collection.value import ValueHistory, today, value_stats
from pipeline.collection.wants import WantsStore, sync_wants
from pipeline.common import progress
from pipeline.common.atomic import write_atomically
from pipeline.common.fingerprint import fingerprint
from pipeline.defs.resources import DiscogsAccess, StateStores
from pipeline.defs.users import checks
from pipeline.defs.users.partitions import USERS
from pipeline.discogs.errors import DiscogsError
from pipeline.masters.enrich import enrich
from pipeline.runs.instance import POOL
from pipeline.site.staging import restage_sync_time, stage_user
from pipeline.stats.collection import compute_stats, coverage, enriched


def _refuse_private(context: dg.AssetExecutionContext, stores: StateStores) -> None:
    """A user switched to private since their partition was made is not built; the next sync of the
    partitions removes it, and the next publish deletes what is stored for them."""
    if stores.user(context.partition_key).visibility is Visibility.PRIVATE:
        raise dg.Failure("this user is private now: nothing is fetched or published for them")


def _usage(before, after) -> dict[str, dg.MetadataValue]:
    spent = after.since(before)
    return {"requests": dg.MetadataValue.int(spent.requests),
            "rate_limited_429": dg.MetadataValue.int(spent.rate_limited),
            "retries": dg.MetadataValue.int(spent.retries),
            "seconds_waited_on_rate_limit": dg.MetadataValue.float(round(spent.limiter_wait_seconds, 2))}


def _progress_in_log(context: dg.AssetExecutionContext, user: str):
    """Pages and masters done so far, in the run's log every half minute (the UI shows it live)."""
    return progress.listening(progress.LineReporter(context.log.info, user=user, every=30.0))


@dg.asset(partitions_def=USERS, pool=POOL, group_name="discogs",
          check_specs=[checks.SIZE_MATCHES_DISCOGS, checks.PUBLISHED_FIELDS_EXIST, checks.VALUE_SNAPSHOT_TODAY,
                       checks.WANTLIST_SIZE_MATCHES_DISCOGS])
def collection(context: dg.AssetExecutionContext, stores: StateStores, discogs: DiscogsAccess) -> dg.MaterializeResult:
    """A user's whole Discogs collection (folder 0), synced with their own tokens.

    The first sync reads every page (100 items each); later runs read the newest page, plus the pages
    that hold changes; a full reconciliation runs at most once per `reconcile_hours`. Folder names and
    custom fields cost one request each, only when the user's `publish:` choices need them, and so does
    the day's snapshot of the collection's value (once a day). A published wantlist is synced here too
    (one request when unchanged).
    """
    started = time.monotonic()
    name = context.partition_key
    _refuse_private(context, stores)
    user = stores.user(name)
    store = stores.collections()
    publish = user.publish
    with discogs.client(user, stores) as client, _progress_in_log(context, name):
        before = client.stats.snapshot()
        fields, missing = (resolve_fields(publish.fields, client.collection_fields(user.discogs_username))
                           if publish.fields else ([], []))
        folders = client.folders(user.discogs_username) if publish.needs_folders else []
        private = _private_folders(publish, folders, name)
        previous = store.load(name)
        result = sync_collection(client, name, user.discogs_username, previous, store.load_state(name),
                                 reconcile_after=discogs.reconcile_after,
                                 keep_fields=frozenset(f.id for f in fields),
                                 folder_counts={f.id: f.count for f in folders} or None)
        snapshot = _value_snapshot(context, client, stores, user) if publish.value else "not published"
        wants = None
        if publish.wantlist:
            wanted = WantsStore(stores.state)
            wants = sync_wants(client, name, user.discogs_username, wanted.load(name), wanted.load_state(name),
                               reconcile_after=discogs.reconcile_after)
            wanted.save(name, wants.table, wants.state)
        usage = _usage(before, client.stats)
    result.state.fields = field_entries(fields)
    result.state.folders = {str(f.id): f.name for f in folders if f.id != 0} if publish.folders else {}
    result.state.private_folders = private
    result.state.choices = publish.key  # what everything made from this sync may be published under
    for warning in [*result.warnings, *(wants.warnings if wants else [])]:
        context.log.warning(warning)
    shown = {**_shown_counts(previous, result, private), "skipped": unreadable_shown(result.state)}
    # Far from Discogs' count (every item unreadable, say): fail, storing nothing, rather than publish a part.
    problem = checks.too_far_from_discogs(name, result.table.height, result.state.folder_count,
                                          private_folders=bool(private))
    if problem:
        raise dg.Failure(description=problem, metadata={**shown, **usage})
    store.save(name, result.table, result.state)
    for field in missing:
        context.log.warning(f"user {name!r}: users.yaml publishes the field {field!r}, which their Discogs "
                            "collection does not have; nothing is published for it")
    return dg.MaterializeResult(
        metadata={**shown,
                  "mode": result.mode, "pages_fetched": result.pages, "warnings": len(result.warnings),
                  "folders_synced": len(folders), "private_folders": len(private),
                  "fields_published": ", ".join(f.name for f in fields) or "none",
                  "value_snapshot": snapshot, "wants": wants.table.height if wants else 0,
                  "wants_skipped": wants.skipped if wants else 0,
                  "wants_pages_fetched": wants.pages if wants else 0, **usage,
                  "duration_seconds": round(time.monotonic() - started, 2)},
        # unreadable items count as present: they are remembered from earlier syncs too
        check_results=[checks.size_matches_discogs(result.table.height, len(result.unreadable),
                                                   result.state.folder_count),
                       checks.published_fields_exist(missing, [f.name for f in fields]),
                       checks.value_snapshot_today(publish.value, snapshot.startswith("taken"), snapshot),
                       checks.wantlist_size(publish.wantlist, wants.table.height if wants else 0,
                                            wants.state.count if wants else None, wants.skipped if wants else 0)],
    )


def _private_folders(publish, folders, name: str) -> list[int]:
    """The ids of the folders the owner keeps private; a Failure naming only what is missing when users.yaml
    names a folder they do not have (their folder names go to the event's metadata, not to the build log)."""
    if not publish.private_folders:
        return []
    try:
        return resolve_private_folders(publish.private_folders, folders, name)
    except PublishingError as exc:
        raise dg.Failure(description=str(exc),
                         metadata={"folders_on_discogs": ", ".join(map(repr, exc.folders))}) from None


def _shown_counts(previous: pl.DataFrame | None, result, private: list[int]) -> dict[str, int]:
    """Items, additions and removals as the site shows them: the build's summary (a public log, often) never
    counts what sits in a private folder, so neither its size nor its activity can be read from it."""
    if not private:
        return {"items": result.table.height, "added": result.added, "removed": result.removed}

    def public_ids(table: pl.DataFrame | None) -> set[int]:
        if table is None:
            return set()
        return set(without_private(table, result.state)["instance_id"].to_list())

    before, after = public_ids(previous), public_ids(result.table)
    return {"items": len(after), "added": len(after - before), "removed": len(before - after)}


def _value_snapshot(context: dg.AssetExecutionContext, client, stores: StateStores, user) -> str:
    """Today's snapshot of the collection's value, taken once a day; a failure costs the sync nothing."""
    history, day = ValueHistory(stores.state), today()
    if history.has(user.name, day):
        return "taken earlier today"
    try:
        history.add(user.name, day, client.collection_value(user.discogs_username))
    except DiscogsError as exc:
        context.log.warning(f"user {user.name!r}: the collection's value could not be read today: {exc}")
        return f"failed: {exc}"
    return "taken"


class EnrichmentConfig(dg.Config):
    budget: int = Field(default=0, ge=0, description="At most this many master requests in one run (0: no limit).")


@dg.asset(partitions_def=USERS, pool=POOL, group_name="discogs", deps=[collection], check_specs=[checks.COVERAGE])
def master_enrichment(context: dg.AssetExecutionContext, stores: StateStores, discogs: DiscogsAccess,
                      config: EnrichmentConfig) -> dg.MaterializeResult:
    """Master releases (original year, genres, styles) for the user's items, into the cache all users share.

    Only masters the cache lacks or holds past their TTL are fetched, each stored the moment it
    arrives; a run may be capped with `budget` so that a schedule converges on big collections.
    """
    started = time.monotonic()
    name = context.partition_key
    _refuse_private(context, stores)
    store = stores.collections()
    table = store.load(name)
    if table is not None:  # a private folder's masters are neither fetched nor cached for it
        table = without_private(table, store.load_state(name))
    ids = table["master_id"].to_list() if table is not None else []
    with (discogs.client(stores.user(name), stores) as client, stores.master_cache() as cache,
          _progress_in_log(context, name)):
        before = client.stats.snapshot()
        result = enrich(client, cache, ids, budget=config.budget or None)
        usage = _usage(before, client.stats)
        frame = enriched(table, cache.frame(ids)) if table is not None else None
        sources = cache.sources(ids)
    for error in result.errors:
        context.log.warning(f"user {name!r}: {error}")
    share = coverage(frame) if frame is not None else 1.0
    return dg.MaterializeResult(
        metadata={"masters_wanted": result.wanted, "masters_fetched": result.fetched,
                  "masters_from_dump": sources["dump"], "masters_from_api": sources["api"],
                  "masters_not_found": result.not_found, "masters_left": result.remaining,
                  "errors": len(result.errors), "coverage": round(share, 4), **usage,
                  "duration_seconds": round(time.monotonic() - started, 2)},
        check_results=[checks.coverage(share)],
    )


def in_order(stats: dict, state) -> None:
    """A dropdown field's values in the owner's own order (Mint first, Poor last), not alphabetically."""
    for entry in state.fields:
        counted = (stats.get("published") or {}).get(f"{FIELD_PREFIX}{entry['name']}")
        if counted is not None and entry.get("options"):
            rank = {option: position for position, option in enumerate(entry["options"])}
            counted["order"] = list(entry["options"])
            counted["counts"].sort(key=lambda row: (rank.get(row[0], len(rank)), row[0]))


@dg.asset(partitions_def=USERS, group_name="site", deps=[master_enrichment])
def collection_stats(context: dg.AssetExecutionContext, stores: StateStores) -> dg.MaterializeResult:
    """Counts by genre, style, format, decade, year, label, artist, month added and rating, with totals (Polars)."""
    name = context.partition_key
    _refuse_private(context, stores)
    table = stores.collections().load(name)
    if table is None:
        raise dg.Failure(f"user {name!r} has no synced collection yet; materialize `collection` first")
    with stores.master_cache() as cache:
        frame = enriched(table, cache.frame(table["master_id"].to_list()))
    state = stores.collections().load_state(name)
    # From here on only what the owner publishes: private folders out, chosen folders and fields in, under
    # the choices the sync resolved them for (users.yaml may have changed since: then nothing is made).
    publish = stores.user(name).publish
    try:
        frame = published(frame, state, publish)
    except ChoicesChanged as exc:
        raise dg.Failure(f"user {name!r}: {exc}") from None
    # Removed first, written last: stats killed half-way are never taken as filtered under these choices.
    stores.stats_choices(name).unlink(missing_ok=True)
    synced_at = state.synced_at
    path, marker = stores.stats_json(name), stores.stats_fingerprint(name)
    current = fingerprint(frame)
    unchanged = (path.is_file() and stores.stats_parquet(name).is_file() and marker.is_file()
                 and marker.read_text(encoding="utf-8") == current)
    if unchanged:  # same data: only the sync time moves (and the value's history, a snapshot a day)
        stats = json.loads(path.read_text(encoding="utf-8"))
        stats["totals"]["last_synced"] = synced_at
    else:
        stats = compute_stats(frame, synced_at=synced_at)
        stores.stats_dir.mkdir(parents=True, exist_ok=True)
        marker.unlink(missing_ok=True)  # a kill before the new fingerprint lands means "recompute"
        frame.write_parquet(stores.stats_parquet(name))
    stats["value"] = value_stats(ValueHistory(stores.state).load(name)) if publish.value else None
    # Items Discogs sent that could not be read are in no row, so no count over the rows can have them: the
    # sync's (outside private folders), every time, as they may change while the rows stay the same.
    stats["totals"]["unreadable"] = unreadable_shown(state)
    in_order(stats, state)
    write_atomically(path, json.dumps(stats, ensure_ascii=False).encode())
    if not unchanged:
        write_atomically(marker, current.encode())
    write_atomically(stores.stats_choices(name), publish.key.encode())
    totals = stats["totals"]
    return dg.MaterializeResult(
        metadata={"items": totals["items"], "artists": totals["artists"], "genres": totals["genres"],
                  "coverage": totals["enrichment_coverage"], "recomputed": not unchanged,
                  "fingerprint": current[:16], "path": dg.MetadataValue.path(str(path))},
    )


def _enriched_wants(stores: StateStores, name: str) -> pl.DataFrame:
    """The stored wantlist with what the master cache already knows (original year, genres): no request."""
    table = WantsStore(stores.state).load(name)
    if table is None:
        raise dg.Failure(f"user {name!r} publishes a wantlist that has not been synced yet")
    with stores.master_cache() as cache:
        return enriched(table, cache.frame(table["master_id"].to_list())).drop("notes")


def _stats_choices(stores: StateStores, name: str) -> str | None:
    """The `publish:` choices the user's statistics were filtered under (None: unknown, older stats)."""
    path = stores.stats_choices(name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


@dg.asset(partitions_def=USERS, group_name="site", deps=[collection_stats])
def user_pages(context: dg.AssetExecutionContext, stores: StateStores) -> dg.MaterializeResult:
    """The user's list data (releases.json), exports and statistics, staged for the next publish.

    The HTML is drawn at publish time from this and the user's current registry entry."""
    name = context.partition_key
    _refuse_private(context, stores)
    stats = json.loads(stores.stats_json(name).read_text(encoding="utf-8"))
    current = stores.stats_fingerprint(name).read_text(encoding="utf-8")
    publish = stores.user(name).publish
    choices = _stats_choices(stores, name)
    if choices != publish.key:  # the stats were filtered under other choices: staging them would mislabel them
        raise dg.Failure(f"user {name!r}: users.yaml's publish: choices changed since their statistics were "
                         "computed; nothing is staged until `collection` and `collection_stats` run under them")
    wants = _enriched_wants(stores, name) if publish.wantlist else None
    if wants is not None:  # the pages show the wantlist too: its changes count as the data's
        current = f"{current}+{fingerprint(wants)}"
    if restage_sync_time(name, stats, current, stores.pages_staging, choices):  # same data: no re-render
        return dg.MaterializeResult(metadata={"items": stats["totals"]["items"], "rendered": False,
                                              "staged": dg.MetadataValue.path(str(stores.pages_staging / name))})
    frame = pl.read_parquet(stores.stats_parquet(name))
    target = stage_user(name, frame, stats, stores.pages_staging, fingerprint=current, choices=choices,
                        wants=wants)
    return dg.MaterializeResult(metadata={"items": frame.height, "rendered": True,
                                          "staged": dg.MetadataValue.path(str(target))})
