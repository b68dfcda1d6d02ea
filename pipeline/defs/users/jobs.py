"""`refresh_user`: the per-user steps, run by the schedule, the UI and `discogs-site build` alike."""

import dagster as dg

from pipeline.defs.users.assets import collection, collection_stats, master_enrichment, user_pages

refresh_user = dg.define_asset_job(
    "refresh_user",
    selection=dg.AssetSelection.assets(collection, master_enrichment, collection_stats, user_pages),
    description="Sync one user's collection, enrich its masters, recompute the stats and stage the pages.",
)
