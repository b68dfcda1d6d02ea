"""The dashboard's content from the stats asset: the summary tiles and each chart with its table.

Every number here is read from the stats JSON; nothing is recounted, so the page, its tables and the
stats asset cannot disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from pipeline.collection.published import shown_name

RATING_LABELS = {1: "★", 2: "★★", 3: "★★★", 4: "★★★★", 5: "★★★★★"}
VARIOUS = "Various"  # Discogs' artist for compilations: a kind of record, not an artist to rank
OVERLAP = "One record can carry several {}, so the bars add up to more than the items."


@dataclass
class Chart:
    id: str
    title: str
    kind: str          # "hbar" (ranked names), "bar" (ordered keys) or "line" (growth)
    key_label: str     # the table's first column
    rows: list[list[Any]]
    value_label: str = "Items"
    wide: bool = False
    note: str = ""     # what the chart leaves out or counts twice, said under its title
    param: str = ""    # the list's filter that opens exactly a row's items ("" when none does)
    values: list[Any] = field(default_factory=list)  # each row's value for `param` (default: its key)
    years: str = ""    # "original" or "pressing" for the charts that come in both, shown one way at a time

    @property
    def links(self) -> list[str]:
        """Per row, the full list filtered to exactly that row's items (relative to the dashboard)."""
        if not self.param:
            return []
        values = self.values or [row[0] for row in self.rows]
        mode = {"years": "pressing"} if self.years == "pressing" else {}
        return [f"all/?{urlencode({self.param: value, **mode})}" for value in values]


def _years(years: list[list[int]]) -> list[list[int]]:
    """Every year from the earliest to the latest, so gaps show as gaps rather than vanishing."""
    if not years:
        return []
    counts = dict((int(y), n) for y, n in years)
    return [[y, counts.get(y, 0)] for y in range(min(counts), max(counts) + 1)]


def _months(growth: list[list[Any]]) -> list[list[Any]]:
    """Every month from the first addition to the last, so a quiet year takes a year of the axis."""
    if not growth:
        return []
    totals = {month: n for month, n in growth}
    year, month = map(int, growth[0][0].split("-"))
    end, running, rows = growth[-1][0], 0, []
    while True:
        key = f"{year:04d}-{month:02d}"
        running = totals.get(key, running)
        rows.append([key, running])
        if key >= end:
            return rows
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _no_year(unknown: int) -> str:
    return (f"{_plural(unknown, 'item has', 'items have')} no known year and {'is' if unknown == 1 else 'are'} "
            "not shown.") if unknown else ""


def charts(stats: dict[str, Any]) -> list[Chart]:
    c, t = stats["counts"], stats["totals"]
    no_year, no_pressing_year = _no_year(t.get("unknown_year") or 0), _no_year(t.get("unknown_pressing_year") or 0)
    various = next((n for name, n in c["artists"] if name == VARIOUS), 0)
    artists = [row for row in c["artists"] if row[0] != VARIOUS]
    ratings = {int(r): n for r, n in c["ratings"]}
    rated = sum(n for r, n in ratings.items() if r > 0)
    return [
        Chart("genres", "Genres", "hbar", "Genre", c["genres"], note=OVERLAP.format("genres"), param="genre"),
        Chart("formats", "Formats", "hbar", "Format", c["formats"], note=OVERLAP.format("formats"), param="format"),
        Chart("format-descriptions", "Format details (LP, 12\", 7\", Album, Reissue…)", "hbar", "Detail",
              c["format_descriptions"][:15], note=OVERLAP.format("details"), param="detail"),
        Chart("artists", "Top 10 artists", "hbar", "Artist", artists[:10], param="artist",
              note=" ".join(filter(None, [OVERLAP.format("artists"), f"Compilations by {VARIOUS}: "
                                          f"{_plural(various, 'item', 'items')}, not ranked." if various else ""]))),
        Chart("decades", "Releases by decade (original year)", "bar", "Decade", c["decades"], note=no_year,
              param="decade", years="original"),
        Chart("decades-pressing", "Releases by decade (this pressing's year)", "bar", "Decade",
              c.get("decades_pressing", []), note=no_pressing_year, param="decade", years="pressing"),
        Chart("ratings", "Ratings", "bar", "Rating",
              [[RATING_LABELS[r], ratings.get(r, 0)] for r in range(1, 6)] if rated else [],
              note=f"{_plural(rated, 'item is', 'items are')} rated; "
                   f"{_plural(ratings.get(0, 0), 'is', 'are')} not.", param="rating", values=list(range(1, 6))),
        Chart("years", "Releases by original year", "bar", "Year", _years(c["years"]), wide=True, note=no_year,
              param="year", years="original"),
        Chart("years-pressing", "Releases by the year of this pressing", "bar", "Year",
              _years(c.get("years_pressing", [])), wide=True, note=no_pressing_year, param="year", years="pressing"),
        Chart("styles", "Top styles", "hbar", "Style", c["styles"][:15], note=OVERLAP.format("styles"), param="style"),
        Chart("labels", "Top labels", "hbar", "Label", c["labels"][:10], note=OVERLAP.format("labels"),
              param="label"),
        Chart("growth", "Collection growth (items by month added)", "line", "Month", _months(c["growth"]),
              value_label="Items in the collection", wide=True,
              note="Every month is shown, those without additions too.", param="until"),
        *_published(stats.get("published") or {}),
        *_value(stats.get("value")),
    ]


def _value(value: dict[str, Any] | None) -> list[Chart]:
    """The collection's worth by day (Discogs' median estimate), when its owner publishes it."""
    if not value:
        return []
    latest, unit = value["latest"], value["currency"]
    return [Chart("value", "Collection value over time", "line", "Date", value["median_by_date"],
                  value_label=f"Median estimate{f' ({unit})' if unit else ''}", wide=True,
                  note=f"Discogs' estimate on {latest['date']}: lowest {latest['minimum']}, median "
                       f"{latest['median']}, highest {latest['maximum']}. One snapshot a day, from the first "
                       "day it was published.")]


def _published(published: dict[str, Any]) -> list[Chart]:
    """A chart per facet the owner publishes (folders, Media Condition …), each bar opening its records."""
    found = []
    for position, (column, counted) in enumerate(published.items()):
        name = "Folders" if column == "folder" else shown_name(column)
        unset = counted.get("unset") or 0
        found.append(Chart(f"published-{position}", name, "hbar", "Folder" if column == "folder" else name,
                           counted["counts"][:20], param=column,
                           note=f"{_plural(unset, 'item has', 'items have')} no {name}." if unset else ""))
    return found


def chart_data(items: list[Chart]) -> list[dict[str, Any]]:
    """What dashboard.js draws: the same rows as the tables, for the charts that have any."""
    return [{**{k: v for k, v in asdict(chart).items() if k in ("id", "kind", "rows", "value_label", "years")},
             "links": chart.links} for chart in items if chart.rows]


def describe(stats: dict[str, Any]) -> str:
    """One line for link previews, e.g. "1,500 records · mostly Rock & Electronic · 1940–2025"."""
    t, genres = stats["totals"], [name for name, _ in stats["counts"]["genres"][:2]]
    parts = [f"{t['items']:,} record{'s' if t['items'] != 1 else ''}"]
    if genres:
        parts.append("mostly " + " & ".join(genres))
    if t.get("earliest_year") and t.get("latest_year"):
        first, last = t["earliest_year"], t["latest_year"]
        parts.append(str(first) if first == last else f"{first}–{last}")
    return " · ".join(parts)


def summary(stats: dict[str, Any]) -> list[tuple[str, str]]:
    t = stats["totals"]

    def number(value: Any) -> str:
        return "–" if value is None else f"{value:,}" if isinstance(value, int) else str(value)

    return [
        ("Items (copies)", number(t["items"])),
        ("Distinct releases", number(t["releases"])),
        ("Distinct masters", number(t["masters"])),
        ("Artists", number(t["artists"])),
        ("Labels", number(t["labels"])),
        ("Genres", number(t["genres"])),
        ("Formats", number(t["formats"])),
        ("Earliest year", str(t["earliest_year"] or "–")),
        ("Latest year", str(t["latest_year"] or "–")),
        ("Last added", (t["last_added"] or "–")[:10]),
        ("Last synced", (t["last_synced"] or "–")[:10]),
        ("Enrichment coverage", f"{t['enrichment_coverage']:.0%}"),
        *([("Value (median estimate)", stats["value"]["latest"]["median"])] if stats.get("value") else []),
    ]
