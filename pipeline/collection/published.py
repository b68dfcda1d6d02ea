"""What of a collection its owner publishes: private folders' items out, folder names and chosen fields in.

users.yaml names folders and fields as people see them on Discogs (any case); at sync they are resolved
against the owner's own folders and fields (`resolve_private_folders`, `resolve_fields`), and
`published` applies the result to the enriched table every page, count, chart, export and feed is
made from. Nothing here is optional to call: a table that skipped it could leak a private folder.
"""

from __future__ import annotations

from dataclasses import asdict

import polars as pl

from pipeline.accounts.registry import Publishing
from pipeline.collection.store import SyncState
from pipeline.discogs.records import CollectionField, Folder
from pipeline.errors import SiteError

# A published field's column: "field:Media Condition" for a dropdown (a filter on the list, with counts),
# "text:Notes" for free text (searched with the rest).
FIELD_PREFIX, TEXT_PREFIX = "field:", "text:"
EXTRA_COLUMNS = ("folder",)


class PublishingError(SiteError):
    """users.yaml names a folder the owner does not have: publishing would not hide what they meant to."""

    def __init__(self, message: str, *, folders: list[str] | None = None) -> None:
        super().__init__(message)
        self.folders = folders or []


class ChoicesChanged(SiteError):
    """The collection was synced under other `publish:` choices than the ones asked for now: its folders and
    fields were resolved (and private items marked) for those, so nothing may be made from it under these."""


def resolve_private_folders(wanted: tuple[str | int, ...], folders: list[Folder], user: str) -> list[int]:
    """The ids of the folders `wanted` names (by id or by name, any case, every folder of that name); every
    one must exist. The error names only what is missing: it reaches build logs that may be public, so the
    owner's other folder names stay out of it (`PublishingError.folders` has them for the operator)."""
    by_name: dict[str, set[int]] = {}
    for f in folders:
        by_name.setdefault(_folded(f.name), set()).add(f.id)
    ids: set[int] = set()
    missing = []
    for name in wanted:
        found = ({name} if isinstance(name, int) and name in {f.id for f in folders} else
                 by_name.get(_folded(name), set()) if isinstance(name, str) else set())
        if not found:
            missing.append(repr(name))
        ids |= found
    if missing:
        raise PublishingError(f"user {user!r}: private_folders names {', '.join(missing)}, which their Discogs "
                              "collection does not have; nothing is published for them until users.yaml names "
                              "folders that exist", folders=[f.name for f in folders if f.id != 0])
    return sorted(ids)


def _folded(name: str) -> str:
    """A folder name as users.yaml may spell it: any case, spaces at either end or doubled inside ignored."""
    return " ".join(name.split()).casefold()


def resolve_fields(wanted: tuple[str, ...], fields: list[CollectionField]) -> tuple[list[CollectionField], list[str]]:
    """(the fields `wanted` names, found by name in any case; the names the owner has no field for)."""
    by_name = {f.name.strip().casefold(): f for f in fields}
    found = [by_name[n.casefold()] for n in wanted if n.casefold() in by_name]
    return found, [n for n in wanted if n.casefold() not in by_name]


def field_entries(fields: list[CollectionField]) -> list[dict]:
    return [asdict(f) | {"options": list(f.options)} for f in fields]


def check_choices(state: SyncState, publish: Publishing) -> None:
    """ChoicesChanged unless the last sync resolved its folders and fields under exactly `publish`."""
    if state.choices != publish.key:
        raise ChoicesChanged("users.yaml's publish: choices changed since the collection was last synced; "
                             "nothing is computed or staged from it until `collection` runs again under them")


def without_private(frame: pl.DataFrame, state: SyncState) -> pl.DataFrame:
    """The rows of `frame` outside the private folders the last sync resolved (and, while there are any,
    rows whose folder is unknown)."""
    if not state.private_folders:
        return frame
    return frame.filter(pl.col("folder_id").is_not_null() & ~pl.col("folder_id").is_in(state.private_folders))


def unreadable_shown(state: SyncState) -> int:
    """How many items Discogs sent unreadable that the owner's pages and the build's summary may count: all of
    them, or while private folders are set, only those Discogs placed in another folder (as `without_private`)."""
    folders = {int(k): v for k, v in state.skipped_folders.items()}
    placed = [folders.get(i) for i in state.skipped] + list(state.anonymous)
    if not state.private_folders:
        return len(placed)
    return sum(1 for folder in placed if folder is not None and folder not in state.private_folders)


def published(frame: pl.DataFrame, state: SyncState, publish: Publishing) -> pl.DataFrame:
    """The rows and columns the owner publishes: items of private folders left out (and, while private
    folders are set, items whose folder is unknown), `folder` named when folders are published, one
    `field:<name>` (dropdown) or `text:<name>` column per published field; the stored values never pass.

    ChoicesChanged when `state` was synced under other choices than `publish`: its private folders and
    fields would not be the ones asked for."""
    check_choices(state, publish)
    frame = without_private(frame, state)
    if publish.folders:
        names = {int(k): v for k, v in state.folders.items()}
        frame = frame.with_columns(folder=pl.col("folder_id").replace_strict(
            names, default=None, return_dtype=pl.String).fill_null(pl.format("Folder {}", pl.col("folder_id"))))
    kept = {f["id"]: (f["name"], f.get("type")) for f in state.fields if f["id"] in state.kept_fields}
    for field_id, (name, kind) in kept.items():
        value = (pl.col("notes").list.eval(pl.element().filter(pl.element().struct.field("field_id") == field_id)
                                           .struct.field("value")).list.first())
        frame = frame.with_columns(value.alias(f"{FIELD_PREFIX if kind == 'dropdown' else TEXT_PREFIX}{name}"))
    return frame.drop("notes")


def extra_columns(frame: pl.DataFrame) -> list[str]:
    """The published folder and field columns a table carries, in a stable order."""
    return [c for c in frame.columns if c in EXTRA_COLUMNS or c.startswith((FIELD_PREFIX, TEXT_PREFIX))]


def facet_columns(frame: pl.DataFrame) -> list[str]:
    """The published columns the list offers as filters: the folder and dropdown fields."""
    return [c for c in extra_columns(frame) if not c.startswith(TEXT_PREFIX)]


def shown_name(column: str) -> str:
    """A published column as people name it: "Media Condition", "folder"."""
    return column.removeprefix(FIELD_PREFIX).removeprefix(TEXT_PREFIX)
