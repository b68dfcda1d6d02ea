"""Which users' pages need not be drawn again: a record of what the last publish drew each user's pages from.

After the last request of a build of a thousand unchanged collectors, drawing and comparing every page
of every one of them was most of what kept the build above the API floor. So each user's pages are keyed
by everything they are drawn from (the staged data's digest, their stats with the sync time cut to the
date the pages show, their registry entry and directory, what they share with other collectors, and
the site's templates, static files, rendering code, base path and URL). When the key is the one the
last publish recorded and every file it wrote is still there at its size, the pages stand; only
`collection/stats.json`, which carries the exact sync time, is written again.

The record lives in the state directory (it names unlisted users' directories). It is removed while a
publish runs and written when it ends, so a publish that dies half-way leaves no record to trust.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from pipeline.accounts.registry import User
from pipeline.common.atomic import write_atomically
from pipeline.common.fingerprint import files_digest
from pipeline.site.static_files import TEMPLATES, Asset
from pipeline.site.vendor import VENDORED

RECORD = "published.json"
VERSION = 1
ALWAYS_WRITTEN = "collection/stats.json"  # the exact sync time: new at every refresh, so never part of the key


def _tree_digest(root: Path, pattern: str) -> str:
    return files_digest(root, (p for p in root.rglob(pattern) if p.is_file()))


@functools.cache
def _code_digest() -> str:
    """The rendering code of this process (it cannot change under a running process, unlike templates)."""
    return _tree_digest(Path(__file__).parent, "*.py")


def site_inputs(assets: dict[str, Asset], base: str, site_root: str) -> str:
    """What every user's pages are drawn with, in one hash; read afresh per publish (templates can be edited)."""
    parts = [VERSION, _code_digest(), _tree_digest(TEMPLATES, "*"), sorted(a.hashed for a in assets.values()),
             [spec.name for spec in VENDORED], base, site_root]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def page_key(inputs: str, user: User, directory: str, digest: str, stats: dict[str, Any], publish_key: str,
             shared: dict[str, Any]) -> str:
    """Everything one user's pages are drawn from, in one hash."""
    totals = stats.get("totals", {})
    # The pages show the date of the last sync; stats.json, written whatever the key, the instant.
    shown = {**stats, "totals": {**totals, "last_synced": (totals.get("last_synced") or "")[:10]}}
    parts = [inputs, user.name, user.discogs_username, user.visibility.value, user.display_name, user.publish.key,
             directory, digest, shown, publish_key, shared]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class PublishRecord:
    """Per user: the key their pages were last drawn under and the files (with sizes) that publish wrote."""

    def __init__(self, directory: Path, output: Path) -> None:
        self.path = directory / RECORD
        self.output = str(output.resolve())
        self._old: dict[str, Any] = {}
        self._new: dict[str, Any] = {}
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = {}
        if isinstance(found, dict) and found.get("version") == VERSION and found.get("output") == self.output:
            self._old = found.get("users") or {}
        self.path.unlink(missing_ok=True)  # trusted again only once this publish has finished

    def unchanged(self, name: str, key: str, root: Path) -> dict[str, int] | None:
        """The files (relative to `root`, the user's directory) when their pages were drawn under `key` and are
        all still there at their sizes; None when the pages must be drawn."""
        old = self._old.get(name)
        if not isinstance(old, dict) or old.get("key") != key or not old.get("files"):
            return None
        files: dict[str, int] = old["files"]
        for relative, size in files.items():
            try:
                if relative != ALWAYS_WRITTEN and (root / relative).stat().st_size != size:
                    return None
            except OSError:
                return None
        return files

    def keep(self, name: str, key: str, files: dict[str, int]) -> None:
        self._new[name] = {**self._new.get(name, {}), "key": key, "files": files}

    def list(self, name: str, listing: dict[str, Any]) -> None:
        """What the index and the site's feed say of the user this time (their entry, their newest records)."""
        self._new.setdefault(name, {})["listing"] = listing

    def last_listing(self, name: str) -> dict[str, Any] | None:
        """What the last publish listed of the user, for a publish that cannot read or write their pages."""
        old = self._old.get(name)
        listing = old.get("listing") if isinstance(old, dict) else None
        return listing if isinstance(listing, dict) else None

    def save(self) -> None:
        data = json.dumps({"version": VERSION, "output": self.output, "users": self._new}, ensure_ascii=False)
        write_atomically(self.path, data.encode())
