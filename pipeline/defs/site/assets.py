"""`shared_taste` (what public collectors have in common) and `site_index`: the published site, drawn from
every user's staged pages and the current registry."""

import json
from pathlib import Path

import dagster as dg

from pipeline.atomic import write_atomically
from pipeline.defs.resources import SiteOptions, StateStores
from pipeline.defs.users.assets import user_pages
from pipeline.defs.users.partitions import published_names
from pipeline.registry import Visibility
from pipeline.site.publish import publish_site
from pipeline.site.staging import read_taste
from pipeline.state_prune import forget_users
from pipeline.taste import compute_taste


@dg.asset(group_name="site", deps=[user_pages])
def shared_taste(context: dg.AssetExecutionContext, stores: StateStores) -> dg.MaterializeResult:
    """What public collectors have in common: who else owns each release (or its master), who owns what each
    one wants, each one's closest collectors. From their staged (published) data with Polars; no request."""
    tables, wants = {}, {}
    for user in stores.users():
        if user.visibility is not Visibility.PUBLIC:
            continue  # unlisted and private people take no part, in either direction
        found = read_taste(stores.pages_staging, user.name)
        if found is None or found[0] != user.publish.key:
            continue  # nothing staged, or staged under other choices: their pages are not published either
        tables[user.name] = found[1]
        if user.publish.wantlist:
            wants[user.name] = found[2]
    taste = compute_taste(tables, wants)
    path = taste_path(stores)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(taste, ensure_ascii=False).encode())
    shared = sum(len(f["same"]) for f in taste["friends"].values())
    return dg.MaterializeResult(metadata={"collectors": len(tables), "releases_owned_by_another": shared,
                                          "pairs": sum(len(p) for p in taste["pairs"].values()),
                                          "path": dg.MetadataValue.path(str(path))})


def taste_path(stores: StateStores) -> Path:
    return stores.state / "shared" / "taste.json"


@dg.asset(group_name="site", deps=[user_pages, shared_taste])
def site_index(context: dg.AssetExecutionContext, stores: StateStores, site: SiteOptions) -> dg.MaterializeResult:
    """The published site: every non-private user's pages, the index of public users, sitemap, robots, 404.

    Pages are drawn from each user's staged data and their current registry entry, written file by
    file into the output directory, and what is no longer published is deleted last; state kept
    for private or unregistered users is deleted first.
    """
    users = stores.users()
    forget_users(stores.state, context.instance, set(published_names(users)))
    taste = json.loads(taste_path(stores).read_text(encoding="utf-8")) if taste_path(stores).is_file() else None
    summary = publish_site(users, stores.pages_staging, Path(site.output_dir), site.base_path, site.site_url,
                           keep=stores.protected_paths(), taste=taste)
    for warning in summary.warnings:
        context.log.warning(warning)
    return dg.MaterializeResult(metadata={"public_users": summary.public, "files": summary.files,
                                          "warnings": "\n".join(summary.warnings),
                                          "output": dg.MetadataValue.path(site.output_dir)})
