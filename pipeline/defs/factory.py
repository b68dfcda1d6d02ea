"""Builds the Dagster definitions for one registry and set of paths (the code location and `build` use it)."""

from __future__ import annotations

import dagster as dg

from pipeline.defs.assets import build_assets
from pipeline.defs.dump_asset import masters_dump, masters_dump_job, monthly_masters_dump
from pipeline.defs.partitions import user_partitions
from pipeline.defs.resources import PipelineSettings
from pipeline.defs.schedules import build_automation


def build_definitions(settings: PipelineSettings | None = None) -> dg.Definitions:
    """Everything Dagster shows, for the registry and paths in `settings` (default: the environment's)."""
    settings = settings or PipelineSettings.from_env()
    partitions = user_partitions(settings.users_file)
    assets = build_assets(partitions)
    jobs, schedules, sensors = build_automation(assets, partitions)
    return dg.Definitions(assets=[*assets, masters_dump], jobs=[*jobs, masters_dump_job],
                          schedules=[*schedules, monthly_masters_dump], sensors=sensors,
                          resources={"settings": settings})

