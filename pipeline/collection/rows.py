"""A user's collection as a typed table: one Discogs collection item -> one row of SCHEMA.

One rule per field lives here (the artist's display name, absent genres, the UTC instant of
`date_added`), so the stats and the site never re-derive them from raw JSON. Only an item without an
integer `id` and `instance_id` or without `basic_information` is unreadable (`BadItem`); any other field
missing or malformed (older Discogs answers carry items without `date_added`, wants without `master_id`)
leaves the row in with that field unknown: null for the date added and the master (0 is Discogs' "no
master"), Discogs' own blanks (0, "", []) for the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl

from pipeline.collection.formats import format_text, stored_text
from pipeline.discogs.records import repaired

SCHEMA: dict[str, pl.DataType] = {
    "instance_id": pl.Int64, "release_id": pl.Int64, "master_id": pl.Int64, "folder_id": pl.Int64,
    "rating": pl.Int64, "date_added": pl.String, "added_at": pl.Datetime("us", "UTC"), "title": pl.String,
    "year": pl.Int64, "artist": pl.String, "artists": pl.List(pl.String), "labels": pl.List(pl.String),
    "catnos": pl.List(pl.String), "formats": pl.List(pl.String), "format_descriptions": pl.List(pl.String),
    "format": pl.String,  # the formats as printed (formats.format_text): "6 × Vinyl, LP, Box Set"
    "genres": pl.List(pl.String), "styles": pl.List(pl.String), "thumb": pl.String, "cover": pl.String,
    # The owner's custom field values, only those of fields they publish (nothing else is ever stored).
    "notes": pl.List(pl.Struct({"field_id": pl.Int64, "value": pl.String})),
}
_SUFFIX = re.compile(r" \(\d+\)$")
# Which items count as unreadable: 1 since a missing or malformed date_added (or any field but the ids and
# basic_information) no longer does. A sync state that skipped items under an older rule is read again in full.
READ_RULE = 1


def display_name(name: str) -> str:
    """`Death Row Records (2)` -> `Death Row Records`: Discogs' disambiguation suffix is not for readers."""
    return _SUFFIX.sub("", name.strip())


class BadItem(ValueError):
    """One collection item that cannot be read; names the release so it can be looked up, and keeps the
    folder Discogs put it in (None: not said) so that counts of unreadable items can leave private folders out."""

    def __init__(self, message: str, instance_id: int | None = None, folder_id: int | None = None) -> None:
        super().__init__(message)
        self.instance_id = instance_id
        self.folder_id = folder_id


@dataclass
class Unreadable:
    """The unreadable items of a sync: the folder of each by instance id, and of each without an instance id."""

    folders: dict[int, int | None] = field(default_factory=dict)
    anonymous: list[int | None] = field(default_factory=list)

    def add(self, bad: BadItem) -> None:
        if bad.instance_id is None:
            self.anonymous.append(bad.folder_id)
        else:
            self.folders[bad.instance_id] = bad.folder_id

    def __len__(self) -> int:
        return len(self.folders) + len(self.anonymous)


def _integer(value: Any) -> int | None:
    """An integer Discogs sent, or None (JSON's true and false are no ids)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    """Text Discogs sent (a number written as one, as a catalogue number may be), else ""."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""


def added(value: Any) -> tuple[str | None, datetime | None]:
    """`date_added` as Discogs wrote it and its UTC instant, or (None, None) when it is missing or no date."""
    if not isinstance(value, str):
        return None, None
    try:
        return value, datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None, None


def newest_first(table: pl.DataFrame) -> pl.DataFrame:
    """Rows by date added, newest first, those without a date last (then by instance id, so the order is stable)."""
    return table.sort(["added_at", "instance_id"], descending=True, nulls_last=True)


def _notes(item: dict[str, Any], keep_fields: frozenset[int]) -> list[dict[str, Any]]:
    """The item's values of the fields in `keep_fields`; every other field's value is dropped here."""
    notes = item.get("notes") if keep_fields else None
    return [{"field_id": n["field_id"], "value": n["value"]} for n in _dicts(notes)
            if n.get("field_id") in keep_fields and isinstance(n.get("value"), str)
            and n["value"].strip()]


def row_of(item: dict[str, Any], keep_fields: frozenset[int] = frozenset()) -> dict[str, Any]:
    """One Discogs collection item -> one table row; BadItem when Discogs sent something unusable.

    Custom field values are kept for the field ids in `keep_fields` only (the fields the owner publishes)."""
    item = item if isinstance(item, dict) else {}
    release_id, instance_id = _integer(item.get("id")), _integer(item.get("instance_id"))
    info, folder_id = item.get("basic_information"), _integer(item.get("folder_id"))
    if release_id is None or instance_id is None or not isinstance(info, dict):
        raise BadItem(f"release {item.get('id')}: item lacks an integer id, an integer instance_id or "
                      "basic_information", instance_id, folder_id)
    date_added, added_at = added(item.get("date_added"))
    artists = _dicts(info.get("artists"))
    credit = ""
    for artist in artists:
        name = display_name(_text(artist.get("anv")) or _text(artist.get("name")))
        join = _text(artist.get("join")).strip()
        credit += name + (f" {join} " if join and join != "," else ", " if join == "," else "")
    labels, formats = _dicts(info.get("labels")), _dicts(info.get("formats"))
    year, rating = _integer(info.get("year")), _integer(item.get("rating"))
    return _repaired_row({
        "instance_id": instance_id,
        "release_id": _integer(info.get("id")) or release_id,
        # Unknown (an older answer without it) is null: 0 would say the release has no master at all.
        "master_id": _integer(info.get("master_id")),
        "folder_id": folder_id,
        "rating": rating if rating is not None and 0 <= rating <= 5 else 0,
        "date_added": date_added,
        "added_at": added_at,
        "title": _text(info.get("title")),
        "year": year if year is not None and year > 0 else 0,
        "artist": credit.strip(" ,") or "Unknown Artist",
        "artists": [display_name(_text(a.get("name"))) for a in artists if _text(a.get("name"))],
        "labels": [display_name(_text(lab.get("name"))) for lab in labels if _text(lab.get("name"))],
        "catnos": [_text(lab.get("catno")) for lab in labels if _text(lab.get("catno"))],
        "formats": [_text(f.get("name")) for f in formats if _text(f.get("name"))],
        "format_descriptions": [d for f in formats for d in _strings(f.get("descriptions"))],
        "format": format_text(formats),
        "genres": _strings(info.get("genres")),
        "styles": _strings(info.get("styles")),
        "thumb": _text(info.get("thumb")),
        "cover": _text(info.get("cover_image")),
        "notes": _notes(item, keep_fields),
    })


def _repaired_row(row: dict[str, Any]) -> dict[str, Any]:
    """Every text field UTF-8 can store, so one odd character never costs the whole user their sync."""
    for key, value in row.items():
        if isinstance(value, str):
            row[key] = repaired(value)
        elif isinstance(value, list):
            row[key] = [repaired(v) if isinstance(v, str) else v for v in value]
    for note in row["notes"]:
        note["value"] = repaired(note["value"])
    return row


def aligned(table: pl.DataFrame) -> pl.DataFrame:
    """A table stored by an older version, with the columns added since (empty) and in SCHEMA's order."""
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in SCHEMA.items() if name not in table.columns]
    if "format" not in table.columns:  # stored before quantities were kept: printed from names and descriptions
        missing[[m.meta.output_name() for m in missing].index("format")] = pl.struct(
            "formats", "format_descriptions").map_elements(
            lambda r: stored_text(r["formats"], r["format_descriptions"]), return_dtype=pl.String).alias("format")
    return table.with_columns(missing).select(list(SCHEMA)) if missing else table


def frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)
