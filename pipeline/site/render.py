"""Rendering: one user's pages into a staging directory, and the whole site assembled and swapped in.

Each user's pages are rendered into `<state>/pages/<name>/` (replaced whole). The site index step then
assembles `output/` from the staged pages of every non-private user plus the index, sitemap, robots
and 404 pages, writes it beside the old site and swaps it in, so a failed build never leaves a half
site and a user switched to private disappears from the next build.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import polars as pl
from filelock import FileLock

from pipeline.registry import User, Visibility
from pipeline.site.assets import TEMPLATES, Asset, site_assets, write_assets
from pipeline.site.dashboard import chart_data, charts, summary
from pipeline.site.exports import export_csv, export_json, export_rows, releases_json
from pipeline.site.paths import user_dir


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def _context(root: str, assets: dict[str, Asset], **extra: Any) -> dict[str, Any]:
    """`root` leads from the page to the site's root: relative on user pages, so they work under any base path."""
    return {"base": root, "assets": {a.name: a.hashed for a in assets.values()},
            "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "noindex": False, **extra}


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _covers(rows: list[dict[str, Any]], n: int = 4) -> list[str]:
    """A few thumbnails for the index; only https URLs, whatever the API sent."""
    return [r["thumb"] for r in rows if str(r["thumb"]).startswith("https://")][:n]


def render_user(user: User, table: pl.DataFrame, stats: dict[str, Any], staging: Path) -> Path:
    """Write the user's pages into `staging/<name>/`, replacing what was there; returns that directory.

    The pages link to the site root relatively (`u/<dir>/collection/` is three levels down), and the
    assets they name are staged beside them, so publishing later, under any base path and even with
    newer assets, never leaves a page pointing at a file that is not there.
    """
    target = staging / user.name
    fresh = staging / f".{user.name}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    env = environment()
    assets = site_assets()
    noindex = user.visibility is Visibility.UNLISTED
    collection = fresh / "collection"
    shown = charts(stats)
    _write(collection / "index.html", env.get_template("dashboard.html.j2").render(_context(
        "../../../", assets, user=user, totals=stats["totals"], summary=summary(stats), charts=shown,
        charts_json=chart_data(shown), noindex=noindex)))
    _write(collection / "all" / "index.html", env.get_template("list.html.j2").render(
        _context("../../../../", assets, user=user, noindex=noindex)))
    write_assets(assets, fresh / "assets")
    exported = export_rows(table)
    _write(collection / "releases.json", releases_json(table))
    _write(collection / "export.csv", export_csv(exported))
    _write(collection / "export.json", export_json(exported))
    _write(collection / "stats.json", json.dumps(stats, ensure_ascii=False))
    rows = table.sort("added_at", descending=True).select("thumb").head(50).to_dicts()
    _write(fresh / "entry.json", json.dumps({"label": user.label, "items": stats["totals"]["items"],
                                             "covers": _covers(rows), "last_synced": stats["totals"]["last_synced"]}))
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)
    return target


def remove_user(staging: Path, name: str) -> bool:
    target = staging / name
    if target.exists():
        shutil.rmtree(target)
        return True
    return False


@dataclass
class SiteSummary:
    users: int
    public: int
    files: int


def publish_site(users: list[User], staging: Path, output: Path, base: str = "/",
                 site_url: str = "") -> SiteSummary:
    """Assemble the site from staged pages of non-private users and swap it in for `output`.

    Two publishes at once (a build beside a UI run) take turns on a lock beside `output`, since both
    write the same `.new` directory and swap it in.
    """
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(output.parent / f".{output.name}.lock"):
        old = output.parent / f".{output.name}.old"
        if old.is_dir() and not output.exists():  # a publish was killed between its two renames
            old.rename(output)
        return _publish(users, staging, output, base, site_url)


def _publish(users: list[User], staging: Path, output: Path, base: str, site_url: str) -> SiteSummary:
    new = output.parent / f".{output.name}.new"
    shutil.rmtree(new, ignore_errors=True)
    env = environment()
    assets = site_assets()
    entries, published = [], 0
    for user in users:
        source = staging / user.name
        if user.visibility is Visibility.PRIVATE or not source.exists():
            continue
        directory = user_dir(user)
        shutil.copytree(source / "collection", new / "u" / directory / "collection")
        published += 1
        if user.visibility is Visibility.PUBLIC:
            entry = json.loads((source / "entry.json").read_text(encoding="utf-8"))
            entries.append({**entry, "dir": directory})
    write_assets(assets, new / "assets")
    for user in users:  # what earlier renders staged: content-hashed, so never a clash
        staged = staging / user.name / "assets"
        if user.visibility is not Visibility.PRIVATE and staged.is_dir():
            for path in staged.iterdir():
                if not (new / "assets" / path.name).exists():
                    shutil.copyfile(path, new / "assets" / path.name)
    _write(new / "index.html", env.get_template("index.html.j2").render(_context(base, assets, entries=entries)))
    _write(new / "404.html", env.get_template("404.html.j2").render(_context(base, assets)))
    root = (site_url.rstrip("/") + base) if site_url else base
    urls = [root] + [f"{root}u/{e['dir']}/collection/" for e in entries] + \
        [f"{root}u/{e['dir']}/collection/all/" for e in entries]
    sitemap = "".join(f"<url><loc>{jinja2.filters.escape(u)}</loc></url>" for u in urls)
    _write(new / "sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sitemap}</urlset>\n')
    _write(new / "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {root}sitemap.xml\n")
    files = sum(1 for p in new.rglob("*") if p.is_file())
    old = output.parent / f".{output.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if output.exists():
        output.rename(old)
    new.rename(output)
    shutil.rmtree(old, ignore_errors=True)
    return SiteSummary(len(users), len(entries), files)
