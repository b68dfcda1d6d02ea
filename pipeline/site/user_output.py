"""One user's pages in a publish: kept when nothing they are drawn from changed, else drawn from their staged
data and written into `output/u/<directory>/`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.accounts.registry import User
from pipeline.site.card import card_for
from pipeline.site.render import user_pages
from pipeline.site.staging import DEFAULT_CHOICES, StagedSummary, StagedUser, read_staged, read_summary
from pipeline.site.static_files import Asset
from pipeline.site.unchanged import ALWAYS_WRITTEN, PublishRecord, page_key
from pipeline.site.writing import new_directory


class LeftOut(Exception):
    """A user whose pages are not published this time (nothing staged, or staged under other choices)."""

    def __init__(self, problem: str = "") -> None:
        super().__init__(problem)
        self.problem = problem


def _check_choices(user: User, entry: dict[str, Any]) -> None:
    if entry.get("publish", DEFAULT_CHOICES) != user.publish.key:
        # Staged before their `publish:` choices changed (their sync since failed): publishing it could
        # show a folder they now keep private. Left out, their old pages with it, until a sync succeeds.
        raise LeftOut(f"user {user.name!r}: publishing choices changed since their last successful sync; "
                      "their pages are left out until it succeeds")


@dataclass
class UserOutput:
    """Publishes users' pages into `output` for one publish; `put` writes a file (relative to `output`) and
    notes it as wanted, `wanted` collects every file this publish keeps."""

    staging: Path
    output: Path
    assets: dict[str, Asset]
    site_root: str  # the site's URL and base path, or "" when unknown
    inputs: str     # what every user's pages are drawn with (unchanged.site_inputs)
    record: PublishRecord
    put: Callable[[str, bytes], None]
    wanted: set[Path] = field(default_factory=set)

    def publish(self, user: User, directory: str, shared: dict[str, Any]) -> StagedUser | StagedSummary:
        """Keep or draw the user's pages; returns what the index and feeds need of them (a StagedUser when
        drawn). LeftOut when they are not published; OSError, ValueError or KeyError when unreadable."""
        return self._unchanged(user, directory, shared) or self._draw(user, directory, shared)

    def _key(self, user: User, directory: str, digest: str, stats: dict[str, Any], entry: dict[str, Any],
             shared: dict[str, Any]) -> str:
        return page_key(self.inputs, user, directory, digest, stats, entry.get("publish", ""), shared)

    def _unchanged(self, user: User, directory: str, shared: dict[str, Any]) -> StagedSummary | None:
        """When the pages were drawn from exactly what is staged now and are all in place: keep them (stats.json
        aside, written anew); None when they must be drawn."""
        found = read_summary(self.staging, user.name)
        if found is None:
            return None
        _check_choices(user, found.entry)
        key = self._key(user, directory, found.digest, found.stats, found.entry, shared)
        root = self.output / "u" / directory
        files = self.record.unchanged(user.name, key, root)
        if files is None:
            return None
        self.wanted.update(root / name for name in files)
        self.put(f"u/{directory}/{ALWAYS_WRITTEN}", found.stats_json)
        self.record.keep(user.name, key, {**files, ALWAYS_WRITTEN: len(found.stats_json)})
        return found

    def _draw(self, user: User, directory: str, shared: dict[str, Any]) -> StagedUser:
        staged = read_staged(self.staging, user.name)
        if staged is None:
            raise LeftOut()
        _check_choices(user, staged.entry)
        files = {f"collection/{name}": data for name, data in staged.files.items()}
        card = card_for(user.label, staged.stats, self.staging, user.name)
        files.update(user_pages(user, staged, self.assets, card=card, site_root=self.site_root, shared=shared))
        root = self.output / "u" / directory
        if root.is_dir():
            for name, data in files.items():
                self.put(f"u/{directory}/{name}", data)
        else:  # a new directory appears whole: its pages link to each other
            new_directory(root, files)
            self.wanted.update(root / name for name in files)
        if staged.digest:
            key = self._key(user, directory, staged.digest, staged.stats, staged.entry, shared)
            self.record.keep(user.name, key, {name: len(data) for name, data in files.items()})
        return staged
