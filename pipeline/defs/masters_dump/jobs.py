"""`import_masters_dump`: one month's dump, downloaded and imported."""

import dagster as dg

from pipeline.defs.masters_dump.assets import masters_dump

masters_dump_job = dg.define_asset_job("import_masters_dump", selection=[masters_dump],
                                       description="Download and import one month's Discogs masters dump.")
