"""`publish_site`: assemble the staged pages into the output folder."""

import dagster as dg

from pipeline.defs.site.assets import shared_taste, site_index

publish_site = dg.define_asset_job(
    "publish_site", selection=dg.AssetSelection.assets(shared_taste, site_index),
    description="Assemble every user's staged pages into the published site, file by file.",
)
