"""What of a collection its owner publishes: private folders' items out, folder names and chosen fields in.

users.yaml names folders and fields as people see them on Discogs (any case); at sync they are resolved
against the owner's own folders and fields (`resolve_private_folders`, `resolve_fields`), and
`published` applies the result to the enriched table every page, count, chart, export and feed is
made from. Nothing here is optional to call: a table that skipped it could leak a private folder.
"""

from __future__ import annotations

from dataclasses import asdict

import polars as pl

from pipeline.collection.store import SyncState
from pipeline.discogs.records import CollectionField, Folder
from pipeline.errors import SiteError
from pipeline.registry import Publishing

# A published field's column: "field:Media Condition" for a dropdown (a filter on the list, with counts),
# "text:Notes" for free text (searched with the rest).
FIELD_PREFIX, TEXT_PREFIX = "field:", "text:"
EXTRA_COLUMNS = ("folder",)


class PublishingError(SiteError):
    """users.yaml names a folder the owner does not have: publishing would not hide what they meant to."""


def resolve_private_folders(wanted: tuple[str | int, ...], folders: list[Folder], user: str) -> list[int]:
    """The ids of the folders `wanted` names (by id or by name, any case); every one must exist."""
    by_name = {f.name.strip().casefold(): f.id for f in folders}
    ids, missing = [], []
    for name in wanted:
        found = name if isinstance(name, int) and name in {f.id for f in folders} else (
            by_name.get(name.strip().casefold()) if isinstance(name, str) else None)
        if found is None:
            missing.append(repr(name))
        else:
            ids.append(found)
    if missing:
        have = ", ".join(repr(f.name) for f in folders if f.id != 0)
        raise PublishingError(f"user {user!r}: private_folders names {', '.join(missing)}, which their Discogs "
                              f"collection does not have (its folders: {have}); nothing is published for them "
                              "until users.yaml names folders that exist")
    return sorted(set(ids))


def resolve_fields(wanted: tuple[str, ...], fields: list[CollectionField]) -> tuple[list[CollectionField], list[str]]:
    """(the fields `wanted` names, found by name in any case; the names the owner has no field for)."""
    by_name = {f.name.strip().casefold(): f for f in fields}
    found = [by_name[n.casefold()] for n in wanted if n.casefold() in by_name]
    return found, [n for n in wanted if n.casefold() not in by_name]


def field_entries(fields: list[CollectionField]) -> list[dict]:
    return [asdict(f) | {"options": list(f.options)} for f in fields]


def published(frame: pl.DataFrame, state: SyncState, publish: Publishing) -> pl.DataFrame:
    """The rows and columns the owner publishes: items of private folders left out (and, while private
    folders are set, items whose folder is unknown), `folder` named when folders are published, one
    `field:<name>` (dropdown) or `text:<name>` column per published field; the stored values never pass."""
    if publish.private_folders:
        frame = frame.filter(pl.col("folder_id").is_not_null() & ~pl.col("folder_id").is_in(state.private_folders))
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
