"""The HTML of the site: Jinja2 set-up and one user's pages, drawn from their staged data and registry entry.

Drawn at publish time with the user's *current* registry entry, so a new display name or a switch to
unlisted takes effect at the next publish even when the user's own sync failed.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime
from typing import Any

import jinja2

from pipeline.accounts.registry import User, Visibility
from pipeline.site.card import CARD
from pipeline.site.dashboard import chart_data, charts, describe, summary, unreadable_line
from pipeline.site.feeds import recent, user_feed, wants_feed
from pipeline.site.names import possessive
from pipeline.site.paths import page_path, user_dir
from pipeline.site.staging import StagedUser
from pipeline.site.static_files import TEMPLATES, Asset
from pipeline.site.years import years_text

DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")  # a date or a month as the pages write them: 2022-02-28, 2022-02


@functools.cache
def environment() -> jinja2.Environment:
    """One environment per process: it compiles each template once (and again only when its file changes)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.globals["years_text"] = years_text  # the one way a record's years are written (pipeline/site/years.py)
    env.filters["possessive"] = possessive  # "Alice's", "Chris Evans'" (pipeline/site/names.py)
    env.tests["date"] = lambda value: isinstance(value, str) and DATE.fullmatch(value) is not None  # <time>, kept whole
    return env


def context(root: str, assets: dict[str, Asset], **extra: Any) -> dict[str, Any]:
    """`root` leads from the page to the site's root: relative on user pages, so they work under any base path."""
    return {"base": root, "assets": {a.name: a.hashed for a in assets.values()},
            "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "noindex": False, "description": "",
            "image": "",
            **extra}


RECENT = 18  # covers in the dashboard's "recently added" strip


def user_pages(user: User, staged: StagedUser, assets: dict[str, Asset], *, card: bytes = b"",
               site_root: str = "", shared: dict[str, Any] | None = None) -> dict[str, bytes]:
    """The HTML of one user's pages (dashboard, list, a redirect at their root), for their current entry.

    With `card` (the social card's PNG) it is published beside them; link previews can only use it with
    an absolute URL, so the pages name it only when `site_root` (the site's URL and base path) is known."""
    env = environment()
    noindex = user.visibility is Visibility.UNLISTED
    stats = staged.stats
    shown = charts(stats)
    line = describe(stats)
    image = f"{site_root}{page_path(user)}{CARD}" if card and site_root else ""
    shared = shared or {}  # what this public collector has in common with the others (see pipeline/stats/taste.py)
    friends = bool(shared.get("same") or shared.get("master"))
    wantlist = staged.wants is not None and user.publish.wantlist
    dashboard = env.get_template("dashboard.html.j2").render(context(
        "../../../", assets, user=user, totals=stats["totals"], summary=summary(stats), charts=shown,
        charts_json=chart_data(shown), noindex=noindex, description=line, recent=staged.newest[:RECENT],
        image=image, wantlist=wantlist, pairs=shared.get("pairs", []), unreadable=unreadable_line(stats)))
    listing = env.get_template("list.html.j2").render(context("../../../../", assets, user=user, noindex=noindex,
                                                              description=line, image=image, wantlist=False,
                                                              friends=friends))
    redirect = env.get_template("redirect.html.j2").render(context("../../", assets, target="collection/",
                                                                   noindex=noindex))
    feed = user_feed(user.label, user_dir(user), staged.newest)
    pages = {"collection/index.html": dashboard.encode(), "collection/all/index.html": listing.encode(),
             "collection/feed.xml": feed, "index.html": redirect.encode()}
    if staged.wants is not None and user.publish.wantlist:
        wanted = env.get_template("list.html.j2").render(context("../../../", assets, user=user, noindex=noindex,
                                                                 description=f"{possessive(user.label)} wantlist",
                                                                 image="", wantlist=True,
                                                                 friends=bool(shared.get("wanted"))))
        pages.update({"wantlist/index.html": wanted.encode(), "wantlist/wants.json": staged.wants,
                      "wantlist/feed.xml": wants_feed(user.label, user_dir(user), recent(staged.wants))})
    if friends:
        pages["collection/friends.json"] = json.dumps({"same": shared["same"], "master": shared["master"]},
                                                      ensure_ascii=False).encode()
    if shared.get("wanted") and "wantlist/index.html" in pages:
        pages["wantlist/owners.json"] = json.dumps({"same": shared["wanted"], "master": {}},
                                                   ensure_ascii=False).encode()
    for pair in shared.get("pairs", []):
        page = env.get_template("shared.html.j2").render(context("../../../../", assets, user=user, pair=pair,
                                                                 noindex=noindex))
        pages[f"shared/{pair['dir']}/index.html"] = page.encode()
    if card:
        pages[f"collection/{CARD}"] = card
    return pages
