"""One user's data staged for publishing: what only their own steps can produce, swapped in whole.

`stage_user` writes releases.json, the exports, the stats and a few covers into
`<state>/pages/<name>/`; a publish reads them back with `read_staged`, under the same per-user lock.
"""

from __future__ import annotations

import functools
import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from filelock import FileLock

from pipeline.accounts.registry import Publishing
from pipeline.collection.rows import newest_first
from pipeline.common.atomic import write_atomically
from pipeline.common.fingerprint import files_digest
from pipeline.site.exports import export_csv, export_json, export_rows, releases_json
from pipeline.site.feeds import FEED_SIZE, recent

FIRST_ROWS = 48  # the list's first page at most (the cover wall's): shown before releases.json has loaded
DATA_FILES = ("releases.json", "first.json", "covers.json", "export.csv", "export.json", "stats.json")
FINGERPRINT = "fingerprint"  # of the data the staged files were made from
DIGEST = "digest"  # of every staged file but the stats and the entry (which a refresh rewrites): see `digest`
NEWEST = "newest.json"  # the newest items of releases.json, for the feeds without parsing the whole of it
TASTE_COLUMNS = ("release_id", "master_id", "artist", "title", "thumb", "genres", "original_year", "year")


def _covers(rows: list[dict[str, Any]], n: int = 4) -> list[dict[str, Any]]:
    """The newest few items for the index's covers: Discogs' thumbnail (https only, whatever the API sent), or
    what the page needs to draw one."""
    return [{"src": r["thumb"] if str(r["thumb"]).startswith("https://") else "", "release": r["release_id"],
             "artist": r["artist"], "title": r["title"]} for r in rows[:n]]


def large_covers(table: pl.DataFrame) -> bytes:
    """Each item's large cover (Discogs' `cover_image`), by instance id: read by the list only when a cover is
    opened, so the first load does not carry thousands of long image URLs."""
    found = table.filter(pl.col("cover").str.starts_with("https://")).select("instance_id", "cover")
    covers = dict(zip(map(str, found["instance_id"].to_list()), found["cover"].to_list(), strict=True))
    return json.dumps({"version": 1, "covers": covers}, ensure_ascii=False, separators=(",", ":")).encode()


@contextmanager
def staged_lock(staging: Path, name: str) -> Iterator[None]:
    """Held while a user's staged data is swapped or read, so a publish never sees half of a re-render."""
    staging.mkdir(parents=True, exist_ok=True)
    with FileLock(staging / f".{name}.lock"):
        yield


DEFAULT_CHOICES = Publishing().key  # what pages staged before `publish:` existed were made under


def stage_user(name: str, table: pl.DataFrame, stats: dict[str, Any], staging: Path, *,
               fingerprint: str = "", choices: str = DEFAULT_CHOICES, wants: pl.DataFrame | None = None) -> Path:
    """Write the user's data into `staging/<name>/`, replacing what was there; returns that directory.

    Each render writes a directory of its own and swaps it in under the user's lock: two renders of
    one user never trip over each other, and a publish reads either the old data or the new.
    `choices` (their users.yaml `publish:` choices, as `Publishing.key`) goes with the data: a publish
    under other choices leaves these pages out. `wants` (an enriched wantlist, when published) becomes
    `wantlist/wants.json`.
    """
    target = staging / name
    fresh = staging / f".{name}.{uuid.uuid4().hex}.new"
    collection = fresh / "collection"
    collection.mkdir(parents=True)
    try:
        exported = export_rows(table)
        order = {c: p["order"] for c, p in (stats.get("published") or {}).items() if p.get("order")}
        (collection / "releases.json").write_bytes(releases_json(table, order=order))
        (collection / "first.json").write_bytes(releases_json(table, limit=FIRST_ROWS))
        (collection / "covers.json").write_bytes(large_covers(table))
        (collection / "export.csv").write_bytes(export_csv(exported))
        (collection / "export.json").write_bytes(export_json(exported))
        (collection / "stats.json").write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")
        if wants is not None:
            (fresh / "wantlist").mkdir()
            (fresh / "wantlist" / "wants.json").write_bytes(releases_json(wants))
        # What the site-wide comparison of collectors needs (taste.py), from exactly what is published here.
        table.select(TASTE_COLUMNS).write_parquet(fresh / "taste.parquet")
        if wants is not None:
            wants.select("release_id").write_parquet(fresh / "wantlist" / "taste.parquet")
        (fresh / NEWEST).write_text(json.dumps(recent(releases_json(table, limit=FEED_SIZE)), ensure_ascii=False),
                                    encoding="utf-8")
        (fresh / DIGEST).write_text(_digest(fresh), encoding="utf-8")
        newest = newest_first(table).head(4)
        rows = newest.select("thumb", "release_id", "artist", "title").to_dicts()
        (fresh / "entry.json").write_text(json.dumps({"items": stats["totals"]["items"], "covers": _covers(rows),
                                                      "last_synced": stats["totals"]["last_synced"],
                                                      "publish": choices}), encoding="utf-8")
        if fingerprint:
            (fresh / FINGERPRINT).write_text(fingerprint, encoding="utf-8")
        with staged_lock(staging, name):
            old = staging / f".{name}.{uuid.uuid4().hex}.old"
            if target.exists():
                target.rename(old)
            fresh.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return target


def _digest(directory: Path) -> str:
    """What the staged data files hold, in one hash: equal digests, equal pages (given the same stats)."""
    return files_digest(directory, (p for p in directory.rglob("*") if p.is_file() and p.name not in (
        "stats.json", "entry.json", DIGEST, FINGERPRINT) and not p.name.startswith("card-")))


def restage_sync_time(name: str, stats: dict[str, Any], fingerprint: str, staging: Path,
                      choices: str = DEFAULT_CHOICES) -> bool:
    """When the staged data was made from data with this fingerprint, write only the new stats (the sync
    time moved) and return True; False when the user must be staged afresh."""
    with staged_lock(staging, name):
        source = staging / name
        marker = source / FINGERPRINT
        if not fingerprint or not marker.is_file() or marker.read_text(encoding="utf-8") != fingerprint:
            return False
        entry = json.loads((source / "entry.json").read_text(encoding="utf-8"))
        entry["last_synced"] = stats["totals"]["last_synced"]
        entry["publish"] = choices  # the same data under choices that change nothing in it (an empty folder)
        write_atomically(source / "collection" / "stats.json", json.dumps(stats, ensure_ascii=False).encode())
        write_atomically(source / "entry.json", json.dumps(entry).encode())
    return True


@dataclass
class StagedUser:
    """What publishing needs of one user, read in one go under their lock."""

    files: dict[str, bytes]  # collection/<name> -> bytes
    stats: dict[str, Any]
    entry: dict[str, Any]
    wants: bytes | None = None  # wantlist/wants.json, when the wantlist is published
    digest: str = ""  # of the data files (`DIGEST`); empty when staged before digests existed
    newest_json: bytes | None = None

    @functools.cached_property
    def newest(self) -> list[dict[str, Any]]:
        """The newest items of releases.json as dicts, for the user's feed and the site's."""
        if self.newest_json is not None:
            return json.loads(self.newest_json)
        return recent(self.files["releases.json"])


@dataclass
class StagedSummary:
    """What deciding whether a user's pages must be drawn again needs, without their data files."""

    stats_json: bytes
    entry: dict[str, Any]
    digest: str
    newest_json: bytes

    @functools.cached_property
    def stats(self) -> dict[str, Any]:
        return json.loads(self.stats_json)

    @functools.cached_property
    def newest(self) -> list[dict[str, Any]]:
        return json.loads(self.newest_json)


def _optional(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def read_summary(staging: Path, name: str) -> StagedSummary | None:
    """The user's staged stats, entry, digest and newest items, or None when nothing is staged. Data staged
    before digests existed gets its digest and newest items here, once (both are made from its files)."""
    with staged_lock(staging, name):
        source = staging / name
        if not (source / "entry.json").is_file():
            return None
        if not (source / NEWEST).is_file():
            newest = recent((source / "collection" / "releases.json").read_bytes())
            write_atomically(source / NEWEST, json.dumps(newest, ensure_ascii=False).encode())
        if not (source / DIGEST).is_file():
            write_atomically(source / DIGEST, _digest(source).encode())
        stats = (source / "collection" / "stats.json").read_bytes()
        entry = json.loads((source / "entry.json").read_text(encoding="utf-8"))
        digest, newest_json = (source / DIGEST).read_text(encoding="utf-8"), (source / NEWEST).read_bytes()
    return StagedSummary(stats, entry, digest, newest_json)


def read_taste(staging: Path, name: str) -> tuple[str, pl.DataFrame, list[int]] | None:
    """(the choices it was staged under, the published records, the published wantlist's release ids) of a
    user's staged data; None when nothing (or data from before the comparison existed) is staged."""
    with staged_lock(staging, name):
        source = staging / name
        if not (source / "taste.parquet").is_file():
            return None
        entry = json.loads((source / "entry.json").read_text(encoding="utf-8"))
        table = pl.read_parquet(source / "taste.parquet")
        wanted = source / "wantlist" / "taste.parquet"
        wants = pl.read_parquet(wanted)["release_id"].to_list() if wanted.is_file() else []
    return entry.get("publish", DEFAULT_CHOICES), table, wants


def read_staged(staging: Path, name: str) -> StagedUser | None:
    """The user's staged data, or None when nothing is staged; ValueError when it is unreadable."""
    with staged_lock(staging, name):
        source = staging / name
        if not source.is_dir():
            return None
        files = {f: (source / "collection" / f).read_bytes() for f in DATA_FILES}
        entry = json.loads((source / "entry.json").read_text(encoding="utf-8"))
        wanted = _optional(source / "wantlist" / "wants.json")
        digest = _optional(source / DIGEST)
        newest = _optional(source / NEWEST)
    return StagedUser(files, json.loads(files["stats.json"]), entry, wanted, digest.decode() if digest else "", newest)
