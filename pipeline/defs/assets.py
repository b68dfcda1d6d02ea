"""The asset graph: collection -> master_enrichment -> collection_stats -> user_pages -> site_index.

Each asset calls plain functions (sync, masters, stats, site) and reports what happened as metadata.
The Discogs-calling steps share the `discogs_api` pool so that, whatever runs at once, one step at a
time spends the machine's request budget (the client's limiter still paces inside that step).
"""

import json
import time
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from pipeline import progress
from pipeline.defs.resources import PipelineSettings
from pipeline.instance import POOL
from pipeline.masters import enrich
from pipeline.registry import Visibility
from pipeline.site.publish import publish_site
from pipeline.site.render import stage_user
from pipeline.state_prune import forget_users
from pipeline.stats import compute_stats, coverage, enriched
from pipeline.sync import sync_collection

COVERAGE_TARGET = 0.9


def _refuse_private(context: dg.AssetExecutionContext, settings: PipelineSettings) -> None:
    """Private users have no partition; one switched to private since the definitions loaded is not built.

    Their stored data is deleted by the next publish; reloading the definitions retires the partition.
    """
    if settings.user(context.partition_key).visibility is Visibility.PRIVATE:
        raise dg.Failure("this user is private now: nothing is fetched or published; reload the definitions")


def _stats_usage(before, after) -> dict[str, dg.MetadataValue]:
    spent = after.since(before)
    return {"requests": dg.MetadataValue.int(spent.requests),
            "rate_limited_429": dg.MetadataValue.int(spent.rate_limited),
            "retries": dg.MetadataValue.int(spent.retries),
            "seconds_waited_on_rate_limit": dg.MetadataValue.float(round(spent.limiter_wait_seconds, 2))}


def _progress_in_log(context: dg.AssetExecutionContext, user: str):
    """Pages and masters done so far, in the run's log every half minute (the UI shows it live)."""
    return progress.listening(progress.LineReporter(context.log.info, user=user, every=30.0))


class EnrichmentConfig(dg.Config):
    budget: int = Field(default=0, ge=0, description="At most this many master requests in one run (0: no limit).")


def build_assets(user_partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The graph for one set of user partitions (the registry is read by whoever builds the definitions)."""

    @dg.asset(
        partitions_def=user_partitions,
        pool=POOL,
        group_name="discogs",
        check_specs=[
            dg.AssetCheckSpec("size_matches_discogs", asset="collection",
                              description="The stored collection holds as many items as Discogs' folder 0 reports."),
        ],
    )
    def collection(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
        """A user's whole Discogs collection (folder 0), synced with their own tokens.

        The first sync reads every page (100 items each); later runs read the folder count and the newest
        page, plus the pages that hold additions; a full reconciliation runs at most once per
        `reconcile_hours`. Private users are never fetched, and anything stored for them is deleted.
        """
        started = time.monotonic()
        store = settings.collections()
        name = context.partition_key
        _refuse_private(context, settings)
        user = settings.user(name)
        with settings.client(user) as client, _progress_in_log(context, name):
            before = client.stats.snapshot()
            result = sync_collection(client, name, user.discogs_username, store.load(name), store.load_state(name),
                                     reconcile_after=settings.reconcile_after)
            usage = _stats_usage(before, client.stats)
        store.save(name, result.table, result.state)
        for warning in result.warnings:
            context.log.warning(warning)
        size = result.table.height
        skipped = len(result.skipped)  # unreadable items, remembered from earlier syncs too
        return dg.MaterializeResult(
            metadata={"items": size, "added": result.added, "removed": result.removed, "mode": result.mode,
                      "pages_fetched": result.pages, "warnings": len(result.warnings), **usage,
                      "duration_seconds": round(time.monotonic() - started, 2)},
            check_results=[
                dg.AssetCheckResult(check_name="size_matches_discogs",
                                    passed=size + skipped == result.state.folder_count,
                                    metadata={"stored": size, "skipped_bad_items": skipped,
                                              "discogs_folder_count": result.state.folder_count}),
            ],
        )


    @dg.asset(
        partitions_def=user_partitions,
        pool=POOL,
        group_name="discogs",
        deps=[collection],
        check_specs=[dg.AssetCheckSpec("coverage", asset="master_enrichment",
                                       description=f"At least {COVERAGE_TARGET:.0%} of items with a master are "
                                                   "enriched (a warning below that).")],
    )
    def master_enrichment(context: dg.AssetExecutionContext, settings: PipelineSettings,
                          config: EnrichmentConfig) -> dg.MaterializeResult:
        """Master releases (original year, genres, styles) for the user's items, into the cache all users share.

        Only masters the cache lacks or holds past their TTL are fetched, each stored the moment it
        arrives; a run may be capped with `budget` so that a schedule converges on big collections.
        """
        started = time.monotonic()
        name = context.partition_key
        _refuse_private(context, settings)
        table = settings.collections().load(name)
        ids = table["master_id"].to_list() if table is not None else []
        user = settings.user(name)
        with settings.client(user) as client, settings.master_cache() as cache, _progress_in_log(context, name):
            before = client.stats.snapshot()
            result = enrich(client, cache, ids, budget=config.budget or None)
            usage = _stats_usage(before, client.stats)
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
            check_results=[dg.AssetCheckResult(check_name="coverage", passed=share >= COVERAGE_TARGET,
                                               severity=dg.AssetCheckSeverity.WARN,
                                               metadata={"coverage": round(share, 4)})],
        )


    @dg.asset(
        partitions_def=user_partitions,
        group_name="site",
        deps=[master_enrichment],
    )
    def collection_stats(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
        """Counts by genre, style, format, decade, year, label, artist, month added and rating, with totals (Polars)."""
        name = context.partition_key
        path = settings.stats_json(name)
        _refuse_private(context, settings)
        store = settings.collections()
        table = store.load(name)
        if table is None:
            raise dg.Failure(f"user {name!r} has no synced collection yet; materialize `collection` first")
        with settings.master_cache() as cache:
            frame = enriched(table, cache.frame(table["master_id"].to_list()))
        stats = compute_stats(frame, synced_at=store.load_state(name).synced_at)
        settings.stats_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")
        frame.write_parquet(settings.stats_parquet(name))
        totals = stats["totals"]
        return dg.MaterializeResult(
            metadata={"items": totals["items"], "artists": totals["artists"], "genres": totals["genres"],
                      "coverage": totals["enrichment_coverage"], "path": dg.MetadataValue.path(str(path))},
        )


    @dg.asset(partitions_def=user_partitions, group_name="site", deps=[collection_stats])
    def user_pages(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
        """The user's list data (releases.json), exports and statistics, staged for the next publish.

        The HTML is drawn at publish time from this and the user's current registry entry."""
        name = context.partition_key
        _refuse_private(context, settings)
        stats = json.loads(settings.stats_json(name).read_text(encoding="utf-8"))
        frame = pl.read_parquet(settings.stats_parquet(name))
        target = stage_user(name, frame, stats, settings.pages_staging)
        return dg.MaterializeResult(metadata={"items": frame.height, "staged": dg.MetadataValue.path(str(target))})


    @dg.asset(group_name="site", deps=[user_pages])
    def site_index(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
        """The published site: every non-private user's pages, the index of public users, sitemap, robots, 404.

        Pages are drawn from each user's staged data and their current registry entry, written file by
        file into the output directory, and what is no longer published is deleted last; state kept
        for private or unregistered users is deleted first.
        """
        users = settings.users()
        published = {u.name for u in users if u.visibility is not Visibility.PRIVATE}
        forget_users(settings.state, context.instance, published)
        summary = publish_site(users, settings.pages_staging, Path(settings.output_dir), settings.base_path,
                               settings.site_url, keep=settings.protected_paths())
        for warning in summary.warnings:
            context.log.warning(warning)
        return dg.MaterializeResult(metadata={"public_users": summary.public, "files": summary.files,
                                              "warnings": "\n".join(summary.warnings),
                                              "output": dg.MetadataValue.path(settings.output_dir)})

    return [collection, master_enrichment, collection_stats, user_pages, site_index]
