"""`site_index`: the published site, drawn from every user's staged pages and the current registry."""

from pathlib import Path

import dagster as dg

from pipeline.defs.resources import SiteOptions, StateStores
from pipeline.defs.users.assets import user_pages
from pipeline.defs.users.partitions import published_names
from pipeline.site.publish import publish_site
from pipeline.state_prune import forget_users


@dg.asset(group_name="site", deps=[user_pages])
def site_index(context: dg.AssetExecutionContext, stores: StateStores, site: SiteOptions) -> dg.MaterializeResult:
    """The published site: every non-private user's pages, the index of public users, sitemap, robots, 404.

    Pages are drawn from each user's staged data and their current registry entry, written file by
    file into the output directory, and what is no longer published is deleted last; state kept
    for private or unregistered users is deleted first.
    """
    users = stores.users()
    forget_users(stores.state, context.instance, set(published_names(users)))
    summary = publish_site(users, stores.pages_staging, Path(site.output_dir), site.base_path, site.site_url,
                           keep=stores.protected_paths())
    for warning in summary.warnings:
        context.log.warning(warning)
    return dg.MaterializeResult(metadata={"public_users": summary.public, "files": summary.files,
                                          "warnings": "\n".join(summary.warnings),
                                          "output": dg.MetadataValue.path(site.output_dir)})
