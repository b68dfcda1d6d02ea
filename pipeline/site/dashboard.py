"""The dashboard's content from the stats asset: the summary tiles and each chart with its table.

Every number here is read from the stats JSON; nothing is recounted, so the page, its tables and the
stats asset cannot disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

RATING_LABELS = {0: "Unrated", 1: "★", 2: "★★", 3: "★★★", 4: "★★★★", 5: "★★★★★"}


@dataclass
class Chart:
    id: str
    title: str
    kind: str          # "hbar" (ranked names), "bar" (ordered keys) or "line" (growth)
    key_label: str     # the table's first column
    rows: list[list[Any]]
    value_label: str = "Items"
    wide: bool = False


def _years(years: list[list[int]]) -> list[list[int]]:
    """Every year from the earliest to the latest, so gaps show as gaps rather than vanishing."""
    if not years:
        return []
    counts = dict((int(y), n) for y, n in years)
    return [[y, counts.get(y, 0)] for y in range(min(counts), max(counts) + 1)]


def charts(stats: dict[str, Any]) -> list[Chart]:
    c = stats["counts"]
    return [
        Chart("genres", "Genres", "hbar", "Genre", c["genres"]),
        Chart("formats", "Formats", "hbar", "Format", c["formats"]),
        Chart("format-descriptions", "Format details (LP, 12\", 7\", Album, Reissue…)", "hbar", "Detail",
              c["format_descriptions"][:15]),
        Chart("artists", "Top 10 artists", "hbar", "Artist", c["artists"][:10]),
        Chart("decades", "Releases by decade (original year)", "bar", "Decade", c["decades"]),
        Chart("ratings", "Ratings", "bar", "Rating",
              [[RATING_LABELS.get(int(r), str(r)), n] for r, n in c["ratings"]]),
        Chart("years", "Releases by original year", "bar", "Year", _years(c["years"]), wide=True),
        Chart("styles", "Top styles", "hbar", "Style", c["styles"][:15]),
        Chart("labels", "Top labels", "hbar", "Label", c["labels"][:10]),
        Chart("growth", "Collection growth (items by month added)", "line", "Month", c["growth"],
              value_label="Items in the collection", wide=True),
    ]


def chart_data(items: list[Chart]) -> list[dict[str, Any]]:
    """What dashboard.js draws: the same rows as the tables, for the charts that have any."""
    return [{k: v for k, v in asdict(chart).items() if k in ("id", "kind", "rows", "value_label")}
            for chart in items if chart.rows]


def summary(stats: dict[str, Any]) -> list[tuple[str, str]]:
    t = stats["totals"]

    def number(value: Any) -> str:
        return "–" if value is None else f"{value:,}" if isinstance(value, int) else str(value)

    return [
        ("Items", number(t["items"])),
        ("Artists", number(t["artists"])),
        ("Labels", number(t["labels"])),
        ("Genres", number(t["genres"])),
        ("Formats", number(t["formats"])),
        ("Earliest year", str(t["earliest_year"] or "–")),
        ("Latest year", str(t["latest_year"] or "–")),
        ("Last added", (t["last_added"] or "–")[:10]),
        ("Last synced", (t["last_synced"] or "–")[:10]),
        ("Enrichment coverage", f"{t['enrichment_coverage']:.0%}"),
    ]
