"""The Dagster layer, one folder per area (users, site, masters_dump); the logic lives below it.

`definitions(settings)` gathers the module-level definitions and binds the settings as resources: the
code location (`pipeline.definitions`) uses the environment's, `discogs-site build` and tests their own.
"""

from __future__ import annotations

import dagster as dg

from pipeline.defs.masters_dump.assets import masters_dump
from pipeline.defs.masters_dump.jobs import masters_dump_job
from pipeline.defs.masters_dump.schedules import monthly_masters_dump
from pipeline.defs.resources import PipelineSettings
from pipeline.defs.site.assets import shared_taste, site_index
from pipeline.defs.site.jobs import publish_site
from pipeline.defs.site.sensors import publish_after_refreshes
from pipeline.defs.users.assets import collection, collection_stats, master_enrichment, user_pages
from pipeline.defs.users.jobs import refresh_user
from pipeline.defs.users.schedules import every_six_hours
from pipeline.defs.users.sensors import registered_users


def definitions(settings: PipelineSettings | None = None) -> dg.Definitions:
    """Everything Dagster shows, with `settings` (default: the environment's) as its resources."""
    settings = settings or PipelineSettings.from_env()
    return dg.Definitions(
        assets=[collection, master_enrichment, collection_stats, user_pages, shared_taste, site_index, masters_dump],
        jobs=[refresh_user, publish_site, masters_dump_job],
        schedules=[every_six_hours, monthly_masters_dump],
        sensors=[registered_users, publish_after_refreshes],
        resources=settings.resources(),
    )
