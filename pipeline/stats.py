"""Collection statistics with Polars: collection ⋈ masters -> the numbers behind every chart and total.

The rules for effective values live in `enriched`: the original year is the master's when known,
else the release's, else unknown; genres and styles are the master's when it has any, else the
release's. Everything else counts over that one frame.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from pipeline.collection.published import facet_columns
from pipeline.masters.cache import MASTER_SCHEMA


def enriched(collection: pl.DataFrame, masters: pl.DataFrame) -> pl.DataFrame:
    """The collection with `original_year` (null when unknown), effective `genres`/`styles` and `enriched`."""
    masters = masters.select(list(MASTER_SCHEMA)).unique("master_id")
    joined = collection.join(masters, on="master_id", how="left")
    has_master = pl.col("master_found").fill_null(False)
    return joined.with_columns(
        original_year=pl.when(has_master & (pl.col("master_year") > 0)).then(pl.col("master_year"))
        .when(pl.col("year") > 0).then(pl.col("year")).otherwise(None),
        genres=pl.when(has_master & (pl.col("master_genres").list.len() > 0)).then(pl.col("master_genres"))
        .otherwise(pl.col("genres")),
        styles=pl.when(has_master & (pl.col("master_styles").list.len() > 0)).then(pl.col("master_styles"))
        .otherwise(pl.col("styles")),
        # Looked up: the master answered (even with a 404); items without a master need no lookup.
        enriched=pl.col("master_found").is_not_null() | (pl.col("master_id") <= 0),
    ).drop("master_year", "master_genres", "master_styles", "master_found")


def coverage(table: pl.DataFrame) -> float:
    """Share of items with a master whose master has been looked up (1.0 when none has a master)."""
    with_master = table.filter(pl.col("master_id") > 0)
    return 1.0 if with_master.is_empty() else float(with_master["enriched"].sum() / with_master.height)


def _ranked(frame: pl.DataFrame, column: str) -> list[list[Any]]:
    """[[value, items], …], most items first; each item counted once per distinct value it holds."""
    if frame.is_empty():
        return []
    exploded = frame.select(pl.col(column).list.unique().alias("value")).explode("value").drop_nulls()
    counted = exploded.group_by("value").len().sort(["len", "value"], descending=[True, False])
    return counted.rows()


def _ordered(frame: pl.DataFrame, key: pl.Expr) -> list[list[Any]]:
    """[[key, items], …] in key order, unknown keys left out."""
    counted = frame.select(key.alias("key")).drop_nulls().group_by("key").len().sort("key")
    return [list(r) for r in counted.rows()]


def _pressing_year() -> pl.Expr:
    return pl.when(pl.col("year") > 0).then(pl.col("year")).otherwise(None)


def compute_stats(table: pl.DataFrame, *, synced_at: str | None = None) -> dict[str, Any]:
    """Every number the dashboard shows, from an `enriched` table."""
    items = table.height
    with_master = table.filter(pl.col("master_id") > 0)
    years = table["original_year"].drop_nulls()
    months = _ordered(table, pl.col("added_at").dt.strftime("%Y-%m"))
    running, growth = 0, []
    for month, count in months:
        running += count
        growth.append([month, running])
    counts = {
        "genres": _ranked(table, "genres"),
        "styles": _ranked(table, "styles"),
        "formats": _ranked(table, "formats"),
        "format_descriptions": _ranked(table, "format_descriptions"),
        "labels": _ranked(table, "labels"),
        "artists": _ranked(table, "artists"),
        "decades": [[f"{d}s", n] for d, n in _ordered(table, (pl.col("original_year") // 10) * 10)],
        "years": _ordered(table, pl.col("original_year")),
        # The same by this pressing's own year, for "originals or reissues?" (0 is Discogs' "unknown").
        "decades_pressing": [[f"{d}s", n] for d, n in _ordered(table, (_pressing_year() // 10) * 10)],
        "years_pressing": _ordered(table, _pressing_year()),
        "months_added": months,
        "growth": growth,
        "ratings": [[r, int(table.filter(pl.col("rating") == r).height)] for r in range(6)],
    }
    totals = {
        "items": items,
        "releases": table["release_id"].n_unique() if items else 0,
        "masters": with_master["master_id"].n_unique() if items else 0,
        "artists": len(counts["artists"]),
        "labels": len(counts["labels"]),
        "genres": len(counts["genres"]),
        "styles": len(counts["styles"]),
        "formats": len(counts["formats"]),
        "unknown_year": items - years.len(),
        "unknown_pressing_year": int(table.filter(pl.col("year") <= 0).height),
        "earliest_year": int(years.min()) if years.len() else None,
        "latest_year": int(years.max()) if years.len() else None,
        "last_added": table.sort("added_at")["date_added"][-1] if items else None,
        "last_synced": synced_at,
        "enrichment_coverage": round(coverage(table), 4),
        "rated": int(table.filter(pl.col("rating") > 0).height),
    }
    # What the owner publishes besides (their folders, a dropdown field such as Media Condition): the items
    # holding each value, and how many hold none.
    published = {}
    for column in facet_columns(table):
        counted = sorted(_ordered(table, pl.col(column)), key=lambda row: (-row[1], row[0]))
        published[column] = {"counts": counted, "unset": int(table[column].is_null().sum())}
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "totals": totals, "counts": counts,
            "published": published}
