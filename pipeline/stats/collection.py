"""Collection statistics with Polars: collection ⋈ masters -> the numbers behind every chart and total.

The rules for effective values live in `enriched`: the original year is the master's (a release without a
master is its own original), and unknown when Discogs does not have the master (404), it is not looked up
yet, or no year is given; genres and styles are the master's when it has any, else the release's. Who
counts as an artist (`artists_ranked`) and the month a record was added (`added_month`) are decided here
too. Everything else counts over that one frame.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from pipeline.collection.published import facet_columns
from pipeline.masters.cache import MASTER_SCHEMA

VARIOUS = "Various"  # Discogs' artist for compilations: a kind of record, not an artist to rank or count
# What is known of a record's master (the `master` column): it has none (the release is its own original), Discogs
# answered with it, Discogs does not have it (404: deleted or merged), it is not looked up yet (the wantlist's
# masters are never fetched: only the cache, which the masters dump fills, knows them), or the item did not say
# which it is (an older answer without master_id: nothing to look up).
NO_MASTER, FOUND, MISSING, PENDING, UNSAID = "none", "found", "missing", "pending", "unsaid"


def enriched(collection: pl.DataFrame, masters: pl.DataFrame) -> pl.DataFrame:
    """The collection with `original_year` (null when unknown), effective `genres`/`styles` and `master` (see
    NO_MASTER …). A pressing's own year is never taken for the original's: a reissue of 2019 whose master is
    unknown has an unknown original year, not 2019."""
    masters = masters.select(list(MASTER_SCHEMA)).unique("master_id")
    joined = collection.join(masters, on="master_id", how="left")
    has_master = pl.col("master_found").fill_null(False)
    # An unknown master id (null) is not "no master": the release may well have one.
    master = (pl.when(pl.col("master_id").is_null()).then(pl.lit(UNSAID))
              .when(pl.col("master_id") == 0).then(pl.lit(NO_MASTER))
              .when(pl.col("master_found").is_null()).then(pl.lit(PENDING))
              .when(pl.col("master_found")).then(pl.lit(FOUND)).otherwise(pl.lit(MISSING)))
    return joined.with_columns(
        original_year=pl.when(has_master & (pl.col("master_year") > 0)).then(pl.col("master_year"))
        .when((pl.col("master_id") == 0) & (pl.col("year") > 0)).then(pl.col("year")).otherwise(None),
        genres=pl.when(has_master & (pl.col("master_genres").list.len() > 0)).then(pl.col("master_genres"))
        .otherwise(pl.col("genres")),
        styles=pl.when(has_master & (pl.col("master_styles").list.len() > 0)).then(pl.col("master_styles"))
        .otherwise(pl.col("styles")),
        master=master,
    ).drop("master_year", "master_genres", "master_styles", "master_found")


def coverage(table: pl.DataFrame) -> float:
    """Share of items with a master whose master Discogs has and answered with (1.0 when none has a master):
    found, not merely looked up; a 404 or a master not fetched yet counts against it. Items that do not say
    their master have none to look up and are left out."""
    with_master = table.filter(pl.col("master").is_in([FOUND, MISSING, PENDING]))
    return 1.0 if with_master.is_empty() else float((with_master["master"] == FOUND).sum() / with_master.height)


def added_month() -> pl.Expr:
    """The month a record was added as Discogs wrote its date, in the offset Discogs gave (2022-02-28T17:09-08:00
    is February, though it is March in UTC): what each row shows, so charts, filters and rows agree. Null when
    the date is unknown. list-records.js applies the same rule to the list's `until=` filter."""
    written = pl.col("date_added").str.extract(r"^(\d{4}-\d{2})-\d{2}", 1)
    return pl.when(pl.col("added_at").is_not_null()).then(written).otherwise(None)


def _ranked(frame: pl.DataFrame, column: str) -> list[list[Any]]:
    """[[value, items], …], most items first; each item counted once per distinct value it holds."""
    if frame.is_empty():
        return []
    exploded = frame.select(pl.col(column).list.unique().alias("value")).explode("value").drop_nulls()
    counted = exploded.group_by("value").len().sort(["len", "value"], descending=[True, False])
    return counted.rows()


def artists_ranked(frame: pl.DataFrame) -> list[list[Any]]:
    """[[artist, items], …] of the artists a collector has: "Various" (compilations) is not one of them."""
    return [row for row in _ranked(frame, "artists") if row[0] != VARIOUS]


def _ordered(frame: pl.DataFrame, key: pl.Expr) -> list[list[Any]]:
    """[[key, items], …] in key order, unknown keys left out."""
    counted = frame.select(key.alias("key")).drop_nulls().group_by("key").len().sort("key")
    return [list(r) for r in counted.rows()]


def _pressing_year() -> pl.Expr:
    return pl.when(pl.col("year") > 0).then(pl.col("year")).otherwise(None)


def _unknown_year_because(table: pl.DataFrame) -> dict[str, int]:
    """Items without an original year by cause: master_missing (Discogs answered 404), master_pending (not
    looked up yet), master_unsaid (the item does not say its master) and no_year (the master, or a release
    without one, gives none)."""
    unknown = table.filter(pl.col("original_year").is_null())
    causes = {"master_missing": MISSING, "master_pending": PENDING, "master_unsaid": UNSAID}
    counted = {cause: int((unknown["master"] == state).sum()) for cause, state in causes.items()}
    return {**counted, "no_year": unknown.height - sum(counted.values())}


def compute_stats(table: pl.DataFrame, *, synced_at: str | None = None) -> dict[str, Any]:
    """Every number the dashboard shows, from an `enriched` table."""
    items = table.height
    with_master = table.filter(pl.col("master_id") > 0)
    years = table["original_year"].drop_nulls()
    months = _ordered(table, added_month())
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
        "artists": artists_ranked(table),
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
        # Why the rest have none, for the charts' note: their master is missing on Discogs or not looked up yet,
        # or Discogs gives no year at all.
        "unknown_year_because": _unknown_year_because(table),
        "original_year_known": years.len(),
        "compilations": int(table.filter(pl.col("artists").list.contains(VARIOUS)).height),
        "unknown_pressing_year": int(table.filter(pl.col("year") <= 0).height),
        "earliest_year": int(years.min()) if years.len() else None,
        "latest_year": int(years.max()) if years.len() else None,
        "last_added": table.sort("added_at")["date_added"][-1] if items else None,
        "last_synced": synced_at,
        "enrichment_coverage": round(coverage(table), 4),
        "rated": int(table.filter(pl.col("rating") > 0).height),
        # Records whose date added Discogs did not give (older answers): last by date, in no month of growth.
        "no_date_added": int(table["added_at"].is_null().sum()),
    }
    # What the owner publishes besides (their folders, a dropdown field such as Media Condition): the items
    # holding each value, and how many hold none.
    published = {}
    for column in facet_columns(table):
        counted = sorted(_ordered(table, pl.col(column)), key=lambda row: (-row[1], row[0]))
        published[column] = {"counts": counted, "unset": int(table[column].is_null().sum())}
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "totals": totals, "counts": counts,
            "published": published}
