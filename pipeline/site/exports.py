"""The per-user downloads and the list's data: export.csv, export.json and releases.json."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import polars as pl

EXPORT_COLUMNS = ("instance_id", "release_id", "master_id", "artist", "title", "year", "original_year", "genres",
                  "styles", "formats", "format_descriptions", "labels", "catno", "date_added", "rating")
JOIN = "; "


def export_rows(table: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per collection instance, multi-valued fields joined with '; '."""
    rows = []
    for r in table.sort("added_at", descending=True).iter_rows(named=True):
        rows.append({
            "instance_id": r["instance_id"], "release_id": r["release_id"], "master_id": r["master_id"],
            "artist": r["artist"], "title": r["title"], "year": r["year"] or "",
            "original_year": r["original_year"] or "", "genres": JOIN.join(r["genres"] or []),
            "styles": JOIN.join(r["styles"] or []), "formats": JOIN.join(r["formats"] or []),
            "format_descriptions": JOIN.join(r["format_descriptions"] or []),
            "labels": JOIN.join(r["labels"] or []), "catno": JOIN.join(r["catnos"] or []),
            "date_added": r["date_added"], "rating": r["rating"],
        })
    return rows


def export_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark so spreadsheet tools read accents right."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_json(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")


def releases_json(table: pl.DataFrame) -> bytes:
    """Columnar and compact for the list page's script: {"version": 1, "columns": [...], "rows": [[...], ...]}.

    Rows come newest first (the list's default order); effective genres, styles and original year.
    """
    columns = ["instance_id", "release_id", "artist", "title", "year", "original_year", "genres", "styles",
               "formats", "format_descriptions", "labels", "catnos", "date_added", "rating", "thumb"]
    data = table.sort(["added_at", "instance_id"], descending=True).select(columns).rows()
    document = {"version": 1, "columns": columns, "rows": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
