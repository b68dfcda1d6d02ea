"""The Dagster code location: `dagster dev` from the repository root loads `defs` (see pyproject.toml)."""

from pipeline.defs.factory import build_definitions

defs = build_definitions()
