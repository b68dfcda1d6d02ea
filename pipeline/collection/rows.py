"""A user's collection as a typed table: one Discogs collection item -> one row of SCHEMA.

One rule per field lives here (the artist's display name, absent genres, the UTC instant of
`date_added`), so the stats and the site never re-derive them from raw JSON.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import polars as pl

from pipeline.discogs.records import repaired

SCHEMA: dict[str, pl.DataType] = {
    "instance_id": pl.Int64, "release_id": pl.Int64, "master_id": pl.Int64, "folder_id": pl.Int64,
    "rating": pl.Int64, "date_added": pl.String, "added_at": pl.Datetime("us", "UTC"), "title": pl.String,
    "year": pl.Int64, "artist": pl.String, "artists": pl.List(pl.String), "labels": pl.List(pl.String),
    "catnos": pl.List(pl.String), "formats": pl.List(pl.String), "format_descriptions": pl.List(pl.String),
    "genres": pl.List(pl.String), "styles": pl.List(pl.String), "thumb": pl.String, "cover": pl.String,
    # The owner's custom field values, only those of fields they publish (nothing else is ever stored).
    "notes": pl.List(pl.Struct({"field_id": pl.Int64, "value": pl.String})),
}
_SUFFIX = re.compile(r" \(\d+\)$")


def display_name(name: str) -> str:
    """`Death Row Records (2)` -> `Death Row Records`: Discogs' disambiguation suffix is not for readers."""
    return _SUFFIX.sub("", name.strip())


class BadItem(ValueError):
    """One collection item that cannot be read; names the release so it can be looked up."""

    def __init__(self, message: str, instance_id: int | None = None) -> None:
        super().__init__(message)
        self.instance_id = instance_id


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _notes(item: dict[str, Any], keep_fields: frozenset[int]) -> list[dict[str, Any]]:
    """The item's values of the fields in `keep_fields`; every other field's value is dropped here."""
    notes = item.get("notes") if keep_fields else None
    return [{"field_id": n["field_id"], "value": n["value"]} for n in notes or []
            if isinstance(n, dict) and n.get("field_id") in keep_fields and isinstance(n.get("value"), str)
            and n["value"].strip()]


def row_of(item: dict[str, Any], keep_fields: frozenset[int] = frozenset()) -> dict[str, Any]:
    """One Discogs collection item -> one table row; BadItem when Discogs sent something unusable.

    Custom field values are kept for the field ids in `keep_fields` only (the fields the owner publishes)."""
    release_id = item.get("id") if isinstance(item, dict) else None
    info = item.get("basic_information") if isinstance(item, dict) else None
    instance_id = item.get("instance_id") if isinstance(item, dict) else None
    if not isinstance(instance_id, int) or not isinstance(info, dict):
        raise BadItem(f"release {release_id}: item lacks an integer instance_id or basic_information",
                      instance_id if isinstance(instance_id, int) else None)
    try:
        added_at = datetime.fromisoformat(item.get("date_added") or "").astimezone(UTC)
    except (TypeError, ValueError):
        raise BadItem(f"release {release_id}: date_added {item.get('date_added')!r} is not a date",
                      instance_id) from None
    artists = [a for a in info.get("artists") or [] if isinstance(a, dict)]
    credit = ""
    for artist in artists:
        name = display_name(str(artist.get("anv") or artist.get("name") or ""))
        join = str(artist.get("join") or "").strip()
        credit += name + (f" {join} " if join and join != "," else ", " if join == "," else "")
    labels = [lab for lab in info.get("labels") or [] if isinstance(lab, dict)]
    formats = [f for f in info.get("formats") or [] if isinstance(f, dict)]
    year = info.get("year")
    return _repaired_row({
        "instance_id": item["instance_id"],
        "release_id": int(info.get("id") or release_id or 0),
        "master_id": info.get("master_id") if isinstance(info.get("master_id"), int) else 0,
        "folder_id": item.get("folder_id") if isinstance(item.get("folder_id"), int) else None,
        "rating": item.get("rating") if isinstance(item.get("rating"), int) else 0,
        "date_added": item.get("date_added"),
        "added_at": added_at,
        "title": str(info.get("title") or ""),
        "year": year if isinstance(year, int) and year > 0 else 0,
        "artist": credit.strip(" ,") or "Unknown Artist",
        "artists": [display_name(str(a.get("name") or "")) for a in artists if a.get("name")],
        "labels": [display_name(str(lab.get("name") or "")) for lab in labels if lab.get("name")],
        "catnos": [str(lab.get("catno") or "") for lab in labels if lab.get("catno")],
        "formats": [str(f.get("name")) for f in formats if f.get("name")],
        "format_descriptions": [d for f in formats for d in _strings(f.get("descriptions"))],
        "genres": _strings(info.get("genres")),
        "styles": _strings(info.get("styles")),
        "thumb": str(info.get("thumb") or ""),
        "cover": str(info.get("cover_image") or ""),
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
    return table.with_columns(missing).select(list(SCHEMA)) if missing else table


def frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)
