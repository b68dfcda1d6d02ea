"""The Dagster code location: `dagster dev` from the repository root loads `defs` (see pyproject.toml)."""

import os

from pipeline.defs import definitions
from pipeline.runs.build import PRIVATE_UMASK

os.umask(PRIVATE_UMASK)  # runs launched from the UI write the same private state as `discogs-site build`

defs = definitions()
