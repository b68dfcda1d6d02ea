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

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from filelock import FileLock

from pipeline.atomic import write_atomically
from pipeline.registry import User, Visibility
from pipeline.site.card import card_for
from pipeline.site.feeds import site_feed
from pipeline.site.output_guard import check_output_dir, mark
from pipeline.site.paths import page_path, user_dir
from pipeline.site.render import context, environment, user_pages
from pipeline.site.staging import DEFAULT_CHOICES, StagedSummary, StagedUser, read_staged, read_summary
from pipeline.site.static_files import site_assets
from pipeline.site.unchanged import ALWAYS_WRITTEN, PublishRecord, page_key, site_inputs

log = logging.getLogger(__name__)
TOP_LEVEL = ("index.html", "404.html", "robots.txt", "sitemap.xml", "feed.xml")


@dataclass
class SiteSummary:
    users: int
    public: int
    files: int
    warnings: list[str] = field(default_factory=list)
    drawn: int = 0  # users whose pages were drawn (the others' stood: nothing they are drawn from changed)


def _write(path: Path, data: bytes) -> bool:
    """Replace `path` atomically with `data`, readable by a web server; False when it already held exactly that."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    _make_dirs(path.parent)
    # Not flushed to disk: after a power cut the next publish writes the site again.
    write_atomically(path, data, mode=0o644, durable=False)
    return True


def _make_dirs(directory: Path) -> None:
    """Create `directory` and its missing parents readable by a web server, whatever the umask (0700 for state)."""
    if directory.is_dir():
        return
    _make_dirs(directory.parent)
    directory.mkdir(exist_ok=True)
    directory.chmod(0o755)


def _new_directory(target: Path, files: dict[str, bytes]) -> None:
    """Write `files` into a hidden sibling of `target`, then rename it into place in one step."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    for name, data in files.items():
        _write(tmp / name, data)
    os.rename(tmp, target)


def _shared(user: User, taste: dict[str, Any] | None, public: dict[str, User]) -> dict[str, Any]:
    """What `user` has in common with the other public collectors (`taste.py`'s result), names resolved to
    each one's label and directory; empty for anyone but a public collector."""
    if not taste or user.name not in public:
        return {}

    def named(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """release -> {"names": [[label, directory], ...], "more": how many others besides}."""
        said = {}
        for release, entry in found.items():
            names = [[public[n].label, user_dir(public[n])] for n in entry["names"] if n in public]
            if names:
                said[release] = {"names": names, "more": entry["more"]}
        return said

    friends = taste["friends"].get(user.name, {})
    pairs = [{**pair, "label": public[pair["with"]].label, "dir": user_dir(public[pair["with"]])}
             for pair in taste["pairs"].get(user.name, []) if pair["with"] in public]
    return {"same": named(friends.get("same", {})), "master": named(friends.get("master", {})),
            "wanted": named(taste["wanted"].get(user.name, {})), "pairs": pairs}


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
        _write(output / relative, data)

    for asset in assets.values():
        put(f"assets/{asset.hashed}", asset.data)
    root = site_url.rstrip("/") + base if site_url else ""
    entries, followed = [], []
    public = {u.name: u for u in users if u.visibility is Visibility.PUBLIC}
    inputs = site_inputs(assets, base, root)
    for user in users:
        if user.visibility is Visibility.PRIVATE:
            continue
        directory = user_dir(user)
        shared = _shared(user, taste, public)
        try:
            staged = _unchanged(user, directory, shared, inputs, staging, output, record, put, wanted)
            if staged is None:
                staged = _draw(user, directory, shared, inputs, staging, output, assets, root, record, put, wanted)
        except (OSError, ValueError, KeyError) as exc:
            problem = (f"user {user.name!r}: staged pages unreadable ({type(exc).__name__}); "
                       "their published pages are kept")
            log.warning(problem)
            summary.warnings.append(problem)
            wanted.update(p for p in (output / "u" / directory).rglob("*") if p.is_file())
            continue
        except _LeftOut as out:
            if out.problem:
                log.warning(out.problem)
                summary.warnings.append(out.problem)
            continue
        summary.drawn += isinstance(staged, StagedUser)
        if user.visibility is Visibility.PUBLIC:
            genres = [name for name, _ in staged.stats.get("counts", {}).get("genres", [])[:3]]
            entries.append({**staged.entry, "label": user.label, "page": page_path(user), "genres": genres})
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


class _LeftOut(Exception):
    """A user whose pages are not published this time (nothing staged, or staged under other choices)."""

    def __init__(self, problem: str = "") -> None:
        super().__init__(problem)
        self.problem = problem


def _check_choices(user: User, entry: dict[str, Any]) -> None:
    if entry.get("publish", DEFAULT_CHOICES) != user.publish.key:
        # Staged before their `publish:` choices changed (their sync since failed): publishing it could
        # show a folder they now keep private. Left out, their old pages with it, until a sync succeeds.
        raise _LeftOut(f"user {user.name!r}: publishing choices changed since their last successful sync; "
                       "their pages are left out until it succeeds")


def _unchanged(user: User, directory: str, shared: dict[str, Any], inputs: str, staging: Path, output: Path,
               record: PublishRecord, put, wanted: set[Path]) -> StagedSummary | None:
    """When the user's pages were drawn from exactly what is staged now and are all in place: keep them (their
    stats.json aside, written anew) and return what the index needs; None when they must be drawn."""
    found = read_summary(staging, user.name)
    if found is None:
        return None
    _check_choices(user, found.entry)
    key = page_key(inputs, user, directory, found.digest, found.stats, found.entry.get("publish", ""), shared)
    root = output / "u" / directory
    files = record.unchanged(user.name, key, root)
    if files is None:
        return None
    wanted.update(root / name for name in files)
    put(f"u/{directory}/{ALWAYS_WRITTEN}", found.stats_json)
    record.keep(user.name, key, {**files, ALWAYS_WRITTEN: len(found.stats_json)})
    return found


def _draw(user: User, directory: str, shared: dict[str, Any], inputs: str, staging: Path, output: Path,
          assets: dict, root: str, record: PublishRecord, put, wanted: set[Path]) -> StagedUser:
    """Draw the user's pages from their staged data and write them; returns that data."""
    staged = read_staged(staging, user.name)
    if staged is None:
        raise _LeftOut()
    _check_choices(user, staged.entry)
    files = {f"collection/{name}": data for name, data in staged.files.items()}
    card = card_for(user.label, staged.stats, staging, user.name)
    files.update(user_pages(user, staged, assets, card=card, site_root=root, shared=shared))
    if (output / "u" / directory).is_dir():
        for name, data in files.items():
            put(f"u/{directory}/{name}", data)
    else:  # a new directory appears whole: its pages link to each other
        _new_directory(output / "u" / directory, files)
        wanted.update(output / "u" / directory / name for name in files)
    if staged.digest:
        key = page_key(inputs, user, directory, staged.digest, staged.stats, staged.entry.get("publish", ""), shared)
        record.keep(user.name, key, {name: len(data) for name, data in files.items()})
    return staged


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

