"""Which directories a publish may write into: never one the tool did not make, nor one holding the project.

A publish deletes what it no longer wants (a user switched to private, stale assets), so pointing
`--output` at the wrong place must be refused before anything runs, not discovered afterwards.
The first publish into a directory leaves a marker; a non-empty directory without it is not ours.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline.errors import ConfigError

MARKER = ".discogs-site-output"
# What a site published by the versions before the marker existed holds; adopted as ours.
LEGACY_ENTRIES = frozenset({"index.html", "404.html", "robots.txt", "sitemap.xml", "assets", "u"})
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
    if is_ours(path):
        return path
    raise ConfigError(f"{where}: refused: it is not empty and was not made by discogs-site (no {MARKER} "
                      "file); choose an empty or new directory, or empty this one yourself")


def is_ours(path: Path) -> bool:
    """Empty, marked by an earlier publish, or a site published before the marker existed."""
    try:
        names = {entry.name for entry in os.scandir(path)}
    except OSError:
        return False
    if not names or MARKER in names:
        return True
    return "index.html" in names and names <= LEGACY_ENTRIES


def mark(path: Path) -> None:
    """Claim `path` for later publishes; the marker names no user and no page."""
    marker = path / MARKER
    if not marker.exists():
        marker.write_text(json.dumps({"written_by": "discogs-site", "purpose": "this directory is a published "
                                      "site; discogs-site replaces index.html, 404.html, robots.txt, sitemap.xml, "
                                      "assets/ and u/ here and leaves every other file alone"}) + "\n",
                          encoding="utf-8")
        marker.chmod(0o644)
