"""The Dagster code location: `dagster dev` from the repository root loads `defs` (see pyproject.toml)."""

import os

from pipeline.build import PRIVATE_UMASK
from pipeline.defs import definitions

os.umask(PRIVATE_UMASK)  # runs launched from the UI write the same private state as `discogs-site build`

defs = definitions()
