"""Publishing: every non-private user's pages, the index and the site files, written into `output/` in place.

The output directory itself is never renamed or replaced, so it may be a mount point (a Docker volume,
NFS) or sit in a directory the tool cannot write. Each file is written beside its final name and
renamed over it, so a reader or a SIGKILL sees either the old file or the new one; files are written
in an order that keeps every link working at every instant (assets first, a user's data before the
pages that read it, the index last), and what is no longer wanted (a user switched to private, old
assets) is deleted only after the new pages are in place. Only the names a publish owns are touched:
`index.html`, `404.html`, `robots.txt`, `sitemap.xml`, `feed.xml`, `assets/`, `u/` and the marker.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from filelock import FileLock

from pipeline.accounts.registry import User, Visibility
from pipeline.site.feeds import site_feed
from pipeline.site.in_common import in_common
from pipeline.site.output_guard import TOP_LEVEL, check_output_dir, mark
from pipeline.site.paths import page_path, user_dir
from pipeline.site.render import context, environment
from pipeline.site.staging import StagedUser
from pipeline.site.static_files import site_assets
from pipeline.site.unchanged import PublishRecord, site_inputs
from pipeline.site.user_output import LeftOut, UserOutput
from pipeline.site.writing import write_file

log = logging.getLogger(__name__)


@dataclass
class SiteSummary:
    users: int
    public: int
    files: int
    warnings: list[str] = field(default_factory=list)
    drawn: int = 0  # users whose pages were drawn (the others' stood: nothing they are drawn from changed)


def publish_site(users: list[User], staging: Path, output: Path, base: str = "/", site_url: str = "",
                 *, keep: list[Path | str] = (), lock_dir: Path | None = None,
                 taste: dict[str, Any] | None = None) -> SiteSummary:
    """Publish every non-private user staged in `staging` into `output`, for the registry as it is now.

    `keep` names paths the output must never contain (see output_guard). Two publishes at once take
    turns on a lock in `lock_dir` (default: `staging`'s parent, the state directory). `taste` (the
    `shared_taste` asset's result) adds what public collectors have in common to their pages.
    """
    output = check_output_dir(output, keep=keep)
    lock_dir = Path(lock_dir or staging.parent)
    lock_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_dir / "publish.lock"):
        output.mkdir(parents=True, exist_ok=True)
        output.chmod(0o755)
        mark(output)
        return _publish(users, staging, output, base, site_url, taste, lock_dir)


def _publish(users: list[User], staging: Path, output: Path, base: str, site_url: str,
             taste: dict[str, Any] | None, record_dir: Path) -> SiteSummary:
    env = environment()
    assets = site_assets()
    summary = SiteSummary(users=len(users), public=0, files=0)
    record = PublishRecord(record_dir, output)
    wanted: set[Path] = set()

    def put(relative: str, data: bytes) -> None:
        wanted.add(output / relative)
        write_file(output / relative, data)

    for asset in assets.values():
        put(f"assets/{asset.hashed}", asset.data)
    root = site_url.rstrip("/") + base if site_url else ""
    entries, followed = [], []
    public = {u.name: u for u in users if u.visibility is Visibility.PUBLIC}
    pages = UserOutput(staging, output, assets, root, site_inputs(assets, base, root), record, put, wanted)
    for user in users:
        if user.visibility is Visibility.PRIVATE:
            continue
        directory = user_dir(user)
        try:
            staged = pages.publish(user, directory, in_common(user, taste, public))
        except (OSError, ValueError, KeyError) as exc:
            problem = _unpublishable(user, exc, output)
            log.warning(problem)
            summary.warnings.append(problem)
            wanted.update(p for p in (output / "u" / directory).rglob("*") if p.is_file())
            listing = record.last_listing(user.name)
            if listing is not None and user.visibility is Visibility.PUBLIC and (output / "u" / directory).is_dir():
                # Their pages stand, so the index, the feed and the sitemap keep pointing at them.
                record.list(user.name, listing)
                entries.append({**listing["entry"], "label": user.label, "page": page_path(user)})
                followed.append((user.label, directory, listing["newest"]))
            continue
        except LeftOut as out:
            if out.problem:
                log.warning(out.problem)
                summary.warnings.append(out.problem)
            continue
        summary.drawn += isinstance(staged, StagedUser)
        if user.visibility is Visibility.PUBLIC:
            genres = [name for name, _ in staged.stats.get("counts", {}).get("genres", [])[:3]]
            entry = {**staged.entry, "genres": genres}
            record.list(user.name, {"entry": entry, "newest": staged.newest})
            entries.append({**entry, "label": user.label, "page": page_path(user)})
            followed.append((user.label, directory, staged.newest))
    summary.public = len(entries)
    nothing = env.get_template("nothing.html.j2").render(context("../", assets, noindex=True)).encode()
    put("u/index.html", nothing)
    put("assets/index.html", nothing)
    put("404.html", env.get_template("404.html.j2").render(context(base, assets, noindex=True)).encode())
    if root:
        urls = [root] + [f"{root}{e['page']}{page}" for e in entries for page in ("", "all/")]
        sitemap = "".join(f"<url><loc>{jinja2.filters.escape(u)}</loc></url>" for u in urls)
        put("sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sitemap}</urlset>\n'.encode())
        put("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {root}sitemap.xml\n".encode())
    else:
        summary.warnings.append("DISCOGS_SITE_URL is not set: sitemap.xml is left out (a sitemap needs absolute "
                                "URLs)")
        put("robots.txt", b"User-agent: *\nAllow: /\n")
    put("feed.xml", site_feed(followed))
    entries.sort(key=lambda e: (e["label"].casefold(), e["page"]))
    records = sum(e["items"] for e in entries)
    line = f"{len(entries):,} record collection{'s' if len(entries) != 1 else ''} · {records:,} records"
    put("index.html", env.get_template("index.html.j2").render(context(base, assets, entries=entries,
                                                                       description=line)).encode())
    _remove_unwanted(output, wanted)
    record.save()
    summary.files = len(wanted)
    return summary


def _unpublishable(user: User, exc: Exception, output: Path) -> str:
    """One line saying whose pages could not be published this time and why: their staged data could not be
    read, or the output could not be written (a full disk is not the data's fault)."""
    where = getattr(exc, "filename", None)
    written = isinstance(exc, OSError) and (exc.errno in _WRITE_ERRNOS or (
        isinstance(where, str) and Path(where).is_relative_to(output)))
    cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    what = "could not be written to the output" if written else "staged pages unreadable"
    return f"user {user.name!r}: {what} ({cause}); their published pages are kept"


_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def _remove_unwanted(output: Path, wanted: set[Path]) -> None:
    """Delete what this publish did not write, inside the names a publish owns; nothing else."""
    for name in TOP_LEVEL:
        path = output / name
        if path not in wanted and (path.is_file() or path.is_symlink()):
            path.unlink()
        for leftover in output.glob(f".{name}.*.tmp"):  # a publish killed while writing it
            leftover.unlink(missing_ok=True)
    users = output / "u"
    if users.is_dir():
        kept = {p.relative_to(users).parts[0] for p in wanted if p.is_relative_to(users)}
        for entry in users.iterdir():
            if entry.is_dir() and not entry.is_symlink() and entry.name not in kept:
                # A user no longer published vanishes at once: renamed aside, then deleted at leisure.
                gone = entry.with_name(f".{entry.name}.{os.getpid()}.gone")
                entry.rename(gone)
                shutil.rmtree(gone, ignore_errors=True)
    for top in ("assets", "u"):
        root = output / top
        if not root.is_dir():
            continue
        for directory, subdirs, files in os.walk(root, topdown=False):
            here = Path(directory)
            for name in files:
                if here / name not in wanted:
                    (here / name).unlink(missing_ok=True)
            for name in subdirs:
                child = here / name
                if child.is_symlink():
                    child.unlink()
                elif not any(child.iterdir()):
                    child.rmdir()

