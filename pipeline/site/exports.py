"""The per-user downloads and the list's data: export.csv, export.json and releases.json."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import polars as pl

from pipeline.collection.published import extra_columns, facet_columns, shown_name
from pipeline.collection.rows import newest_first

EXPORT_COLUMNS = ("instance_id", "release_id", "master_id", "artist", "title", "year", "original_year", "genres",
                  "styles", "formats", "format_descriptions", "labels", "catno", "date_added", "rating")
JOIN = "; "


def export_rows(table: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per collection instance, newest first; multi-valued fields as lists (the CSV joins them).
    A published folder and published custom fields follow, named as on Discogs."""
    extras = extra_columns(table)
    rows = []
    for r in newest_first(table).iter_rows(named=True):
        rows.append({
            "instance_id": r["instance_id"], "release_id": r["release_id"], "master_id": r["master_id"],
            "artist": r["artist"], "title": r["title"], "year": r["year"] or None,
            "original_year": r["original_year"] or None, "genres": r["genres"] or [],
            "styles": r["styles"] or [], "formats": r["formats"] or [],
            "format_descriptions": r["format_descriptions"] or [],
            "labels": r["labels"] or [], "catno": r["catnos"] or [],
            "date_added": r["date_added"], "rating": r["rating"],
        })
        # A field named like a column above ("title") keeps its prefix rather than overwrite it.
        rows[-1].update({shown_name(column) if shown_name(column) not in rows[-1] else column: r[column]
                         for column in extras})
    return rows


def _cell(value: Any) -> Any:
    """A CSV cell: lists joined with '; ', a missing year empty, text made spreadsheet-safe."""
    if isinstance(value, list):
        value = JOIN.join(value)
    return "" if value is None else spreadsheet_safe(value)


FORMULA_STARTS = "=+-@\t\r"


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's CSV-injection rule)."""
    return "'" + value if value.__class__ is str and value and value[0] in FORMULA_STARTS else value


def export_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark so spreadsheet tools read accents right; no cell, header included, can run
    as a formula.

    export.json keeps the exact text: only spreadsheets evaluate cells.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # Published custom-field names become header cells: a field named "=HYPERLINK(...)" is a formula too.
    writer.writerow([spreadsheet_safe(name) for name in (rows[0] if rows else EXPORT_COLUMNS)])
    writer.writerows([_cell(v) for v in row.values()] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_json(rows: list[dict[str, Any]]) -> bytes:
    """A JSON array with one row per line: readable, diffable, and written by json's C encoder (indent is not).

    Genres, styles, formats, labels and catalogue numbers stay JSON arrays; an unknown year is null."""
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return f"[\n{lines}\n]\n".encode()


RELEASE_COLUMNS = ("instance_id", "release_id", "artist", "title", "year", "original_year", "genres", "styles",
                   "formats", "format_descriptions", "format", "labels", "catnos", "date_added", "rating", "thumb",
                   "artists")


def _json_value(column: str) -> pl.Expr:
    """The column's values as JSON text, encoded by Polars (a struct of one field, its braces cut off; the
    field has a fixed name, so a published field called anything, accents included, cuts the same)."""
    encoded = pl.struct(pl.col(column).alias("v")).struct.json_encode()
    return encoded.str.strip_prefix('{"v":').str.strip_suffix("}")


def releases_json(table: pl.DataFrame, limit: int | None = None, *, order: dict[str, list[str]] | None = None) -> bytes:
    """Columnar and compact for the list page's script: {"version": 1, "columns": [...], "rows": [[...], ...]}.

    With `limit`, only the newest `limit` rows, and `total` says how many the whole list holds. `order`
    gives a published dropdown field's values in the owner's order, for the list's filter.

    Rows come newest first (the list's default order); effective genres, styles and original year.
    Each row's array is assembled inside Polars: converting list columns to Python objects first
    took eight times as long at 100,000 items.
    """
    columns = [*RELEASE_COLUMNS, *extra_columns(table)]
    parts: list[pl.Expr] = [pl.lit("[")]
    for position, column in enumerate(columns):
        parts += [pl.lit(",")] if position else []
        parts.append(_json_value(column))
    parts.append(pl.lit("]"))
    ordered = newest_first(table)
    if limit is not None:
        ordered = ordered.head(limit)
    rows = ",".join(ordered.select(pl.concat_str(parts).alias("row"))["row"].to_list())
    head = json.dumps({"version": 1, "columns": columns, "facets": facet_columns(table), "order": order or {},
                       "total": table.height},
                      separators=(",", ":"))[:-1]
    return f'{head},"rows":[{rows}]}}'.encode()
