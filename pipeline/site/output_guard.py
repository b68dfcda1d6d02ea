"""Which directories a publish may write into: never one the tool did not make, nor one holding the project.

A publish deletes what it no longer wants (a user switched to private, stale assets), so pointing
`--output` at the wrong place must be refused before anything runs, not discovered afterwards.
The first publish into a directory leaves a marker; a non-empty directory without it is not ours, unless
it is provably a site this tool published before the marker existed (see `_old_publish`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pipeline.errors import ConfigError

MARKER = ".discogs-site-output"
# The names a publish writes, replaces and deletes in; nothing else in the output is touched.
TOP_LEVEL = ("index.html", "404.html", "robots.txt", "sitemap.xml", "feed.xml")
OWNED = (*TOP_LEVEL, "assets", "u", MARKER)
# How static_files names what it writes under assets/: `<stem>-<first 10 hex of the SHA-256>.<ext>`.
HASHED_ASSET = re.compile(r".+-[0-9a-f]{10}\.[A-Za-z0-9]+")
OUR_STYLESHEET = re.compile(r"site-[0-9a-f]{10}\.css")
PROJECT_FILES = ("users.yaml", "vault.json", ".git")


def _is_within(path: Path, ancestor: Path) -> bool:
    return path == ancestor or ancestor in path.parents


def check_output_dir(output: Path | str, *, keep: list[Path | str] = ()) -> Path:
    """The resolved output directory, or a ConfigError saying why publishing there could destroy something.

    `keep` lists paths the publish must never contain (state directory, registry, vault, Dagster home):
    the output may be none of them and no parent of any.
    """
    given = Path(output)
    path = given.expanduser().resolve()
    where = f"output directory {given}"
    protected = [Path("/"), Path.cwd().resolve(), Path.home().resolve()]
    protected += [Path(p).expanduser().resolve() for p in keep]
    for guarded in protected:
        if _is_within(guarded, path):
            names = {Path.cwd().resolve(): "the current directory", Path.home().resolve(): "your home directory",
                     Path("/"): "the root directory"}
            what = names.get(guarded, str(guarded))
            relation = "is" if guarded == path else "contains"
            raise ConfigError(f"{where}: refused: it {relation} {what}, and publishing replaces what it holds; "
                              "choose a directory of its own, e.g. output/")
    if not path.exists():
        return path
    if not path.is_dir():
        raise ConfigError(f"{where}: refused: it is a file, not a directory")
    for name in PROJECT_FILES:
        if (path / name).exists():
            raise ConfigError(f"{where}: refused: it holds {name}; choose a directory of its own, e.g. output/")
    for name in OWNED:
        if (path / name).is_symlink():
            # A publish writes and deletes through the link: the files of whatever it points to would go.
            raise ConfigError(f"{where}: refused: its {name} is a symbolic link (to {os.readlink(path / name)}), "
                              f"and publishing replaces what {name} holds; make it a real file or directory")
    if is_ours(path):
        return path
    raise ConfigError(f"{where}: refused: it is not empty and was not made by discogs-site (no {MARKER} "
                      "file); choose an empty or new directory, or empty this one yourself")


def is_ours(path: Path) -> bool:
    """Empty, marked by an earlier publish, or a site this tool published before the marker existed."""
    try:
        names = {entry.name for entry in os.scandir(path)}
    except OSError:
        return False
    if not names or MARKER in names:
        return True
    return _old_publish(path, names)


def _old_publish(path: Path, names: set[str]) -> bool:
    """Whether a marker-less folder carries this tool's fingerprint, not merely its file names.

    An index.html beside an assets/ folder is what Vite and most hand-made sites hold too, and adopting
    one deletes its assets. So: only owned names; assets/ holds our stylesheet and nothing but
    content-hashed files (and its own index.html); u/ holds a collection's releases.json or our u/index.html.
    """
    if "index.html" not in names or "assets" not in names or "u" not in names or not names <= set(OWNED):
        return False
    try:
        assets = list(os.scandir(path / "assets"))
        users = list(os.scandir(path / "u"))
    except OSError:
        return False
    if not all(a.is_file(follow_symlinks=False) and (a.name == "index.html" or HASHED_ASSET.fullmatch(a.name))
               for a in assets):
        return False
    if not any(OUR_STYLESHEET.fullmatch(a.name) for a in assets):
        return False
    return (path / "u" / "index.html").is_file() or any(
        u.is_dir(follow_symlinks=False) and (path / "u" / u.name / "collection" / "releases.json").is_file()
        for u in users)


def mark(path: Path) -> None:
    """Claim `path` for later publishes; the marker names no user and no page."""
    marker = path / MARKER
    if not marker.exists():
        marker.write_text(json.dumps({"written_by": "discogs-site", "purpose": "this directory is a published "
                                      "site; discogs-site replaces index.html, 404.html, robots.txt, sitemap.xml, "
                                      "assets/ and u/ here and leaves every other file alone"}) + "\n",
                          encoding="utf-8")
        marker.chmod(0o644)
