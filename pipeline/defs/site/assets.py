"""`shared_taste` (what public collectors have in common) and `site_index`: the published site, drawn from
every user's staged pages and the current registry."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipeline.accounts.registry import User, Visibility
from pipeline.common.atomic import write_atomically
from pipeline.defs.resources import SiteOptions, StateStores
from pipeline.defs.users.assets import user_pages
from pipeline.defs.users.partitions import published_names
from pipeline.site.publish import publish_site
from pipeline.site.staging import read_summary, read_taste
from pipeline.state.prune import forget_users
from pipeline.stats import taste as taste_module
from pipeline.stats.taste import compute_taste


@dg.asset(group_name="site", deps=[user_pages])
def shared_taste(context: dg.AssetExecutionContext, stores: StateStores) -> dg.MaterializeResult:
    """What public collectors have in common: who else owns each release (or its master), who owns what each
    one wants, each one's closest collectors. From their staged (published) data with Polars; no request.
    Computed again only when what it is computed from changed (see `taste_inputs`)."""
    taste, computed = current_taste(stores, context.log)
    path = taste_path(stores)
    shared = sum(len(f["same"]) for f in taste["friends"].values())
    return dg.MaterializeResult(metadata={"collectors": len(taste["friends"]), "releases_owned_by_another": shared,
                                          "pairs": sum(len(p) for p in taste["pairs"].values()),
                                          "computed": computed, "path": dg.MetadataValue.path(str(path))})


def current_taste(stores: StateStores, log) -> tuple[dict, bool]:
    """(what public collectors have in common now, whether it was computed afresh): the stored comparison when
    it was made from exactly the collectors and data public now, else computed again and stored. Whoever
    publishes uses this, so a collector made private since is never named nor counted ("and 1 more")."""
    path = taste_path(stores)
    public = [u for u in stores.users() if u.visibility is Visibility.PUBLIC]  # no one else takes part
    inputs = taste_inputs(stores.pages_staging, public)
    previous = _read_json(path)
    if inputs and previous and previous.get("inputs") == inputs:
        return previous, False
    tables, wants = {}, {}
    for user in public:
        try:
            found = read_taste(stores.pages_staging, user.name)
        except (OSError, ValueError, KeyError) as exc:  # publishing keeps their pages and says so too
            log.warning(f"user {user.name!r}: staged data unreadable ({type(exc).__name__}); "
                        "left out of what collectors have in common")
            continue
        if found is None or found[0] != user.publish.key:
            continue  # nothing staged, or staged under other choices: their pages are not published either
        tables[user.name] = found[1]
        if user.publish.wantlist:
            wants[user.name] = found[2]
    taste = {**compute_taste(tables, wants), "inputs": inputs}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(taste, ensure_ascii=False).encode())
    return taste, True


def _read_json(path: Path) -> dict | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def taste_inputs(staging: Path, public: list[User]) -> str:
    """Everything the comparison is computed from, in one hash: each public collector's choices and staged
    data's digest, and the code that compares them; empty (compute afresh) when any of it is unreadable."""
    parts: list[object] = [hashlib.sha256(Path(taste_module.__file__).read_bytes()).hexdigest()]
    for user in public:
        try:
            found = read_summary(staging, user.name)
        except (OSError, ValueError, KeyError):
            return ""
        if found is None:
            continue
        parts.append([user.name, user.publish.key, user.publish.wantlist, found.entry.get("publish"), found.digest])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


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
    taste, _ = current_taste(stores, context.log)  # never a comparison older than the registry
    summary = publish_site(users, stores.pages_staging, Path(site.output_dir), site.base_path, site.site_url,
                           keep=stores.protected_paths(), taste=taste)
    for warning in summary.warnings:
        context.log.warning(warning)
    return dg.MaterializeResult(metadata={"public_users": summary.public, "files": summary.files,
                                          "users_drawn": summary.drawn,
                                          "warnings": "\n".join(summary.warnings),
                                          "output": dg.MetadataValue.path(site.output_dir)})
