"""The dashboard's content from the stats asset: the summary tiles and each chart with its table.

Every number here is read from the stats JSON; nothing is recounted, so the page, its tables and the
stats asset cannot disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from pipeline.collection.published import shown_name
from pipeline.stats.collection import VARIOUS

RATING_LABELS = {1: "★", 2: "★★", 3: "★★★", 4: "★★★★", 5: "★★★★★"}
OVERLAP = "One record can carry several {}, so the bars add up to more than the items."
# Discogs' estimate is of the whole collection: it cannot leave out what the owner keeps private here.
WHOLE_VALUE = ("Discogs values the whole collection, private folders included, so it may cover more than the "
               "items counted here.")


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
    figure: str = ""   # the one figure a chart of a single point would hide (a first value snapshot), shown instead

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


def _no_year(unknown: int, because: dict[str, int] | None = None, what: str = "year") -> str:
    """What a chart of years leaves out, and why when the stats say (`unknown_year_because`)."""
    if not unknown:
        return ""
    because = because or {}
    causes = [f"{n:,} {text}" for n, text in (
        (because.get("master_missing", 0), "whose master Discogs does not have"),
        (because.get("master_pending", 0), "whose master is not looked up yet"),
        (because.get("master_unsaid", 0), "whose master Discogs did not say"),
        (because.get("no_year", 0), "with no year on Discogs")) if n]
    why = f": {'; '.join(causes)}" if causes else ""
    return (f"{_plural(unknown, 'item has', 'items have')} no known {what} and {'is' if unknown == 1 else 'are'} "
            f"not shown{why}.")


def share(part: int, whole: int) -> str:
    """A percentage that never rounds to 100% (or 0%) while some are missing (or some are there)."""
    if not whole:
        return "–"
    shown = round(100 * part / whole)
    return f"{min(99, max(1, shown)) if 0 < part < whole else shown}%"


def _no_date(undated: int) -> str:
    """The growth chart's note on the records Discogs gave no date added for (older answers)."""
    return (f"{_plural(undated, 'item has', 'items have')} no date added and {'is' if undated == 1 else 'are'} "
            "not shown.") if undated else ""


def unreadable_line(stats: dict[str, Any]) -> str:
    """What the dashboard says of the items Discogs sent that could not be read (in no count or page)."""
    n = stats["totals"].get("unreadable") or 0
    return f"{_plural(n, 'record', 'records')} could not be read from Discogs and {'is' if n == 1 else 'are'} " \
        "not shown." if n else ""


def charts(stats: dict[str, Any]) -> list[Chart]:
    c, t = stats["counts"], stats["totals"]
    no_year = _no_year(t.get("unknown_year") or 0, t.get("unknown_year_because"), "original year")
    no_pressing_year = _no_year(t.get("unknown_pressing_year") or 0)
    various, artists = t.get("compilations") or 0, c["artists"]  # who counts as an artist: stats.artists_ranked
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
        Chart("decades", "Records by decade (original year)", "bar", "Decade", c["decades"], note=no_year,
              param="decade", years="original"),
        Chart("decades-pressing", "Records by decade (this pressing's year)", "bar", "Decade",
              c.get("decades_pressing", []), note=no_pressing_year, param="decade", years="pressing"),
        Chart("ratings", "Ratings", "bar", "Rating",
              [[RATING_LABELS[r], ratings.get(r, 0)] for r in range(1, 6)] if rated else [],
              note=f"{_plural(rated, 'item is', 'items are')} rated; "
                   f"{_plural(ratings.get(0, 0), 'is', 'are')} not.", param="rating", values=list(range(1, 6))),
        Chart("years", "Records by original year", "bar", "Year", _years(c["years"]), wide=True, note=no_year,
              param="year", years="original"),
        Chart("years-pressing", "Records by the year of this pressing", "bar", "Year",
              _years(c.get("years_pressing", [])), wide=True, note=no_pressing_year, param="year", years="pressing"),
        Chart("styles", "Top styles", "hbar", "Style", c["styles"][:15], note=OVERLAP.format("styles"), param="style"),
        Chart("labels", "Top labels", "hbar", "Label", c["labels"][:10], note=OVERLAP.format("labels"),
              param="label"),
        Chart("growth", "Collection growth (items by month added)", "line", "Month", _months(c["growth"]),
              value_label="Items in the collection", wide=True,
              note=" ".join(filter(None, ["Every month is shown, those without additions too.",
                                          _no_date(t.get("no_date_added") or 0)])), param="until"),
        *_published(stats.get("published") or {}),
        *_value(stats.get("value")),
    ]


def _value(value: dict[str, Any] | None) -> list[Chart]:
    """The collection's worth by day (Discogs' median estimate), when its owner publishes it."""
    if not value:
        return []
    latest, unit, days = value["latest"], value["currency"], value["median_by_date"]
    # A line of one point is an empty grid: the first snapshot is shown as its figure (the table has it too).
    return [Chart("value", "Collection value over time", "line", "Date", days,
                  value_label=f"Median estimate{f' ({unit})' if unit else ''}", wide=True,
                  figure=f"{latest['median']} on {latest['date']}" if len(days) == 1 else "",
                  note=f"Discogs' estimate on {latest['date']}: lowest {latest['minimum']}, median "
                       f"{latest['median']}, highest {latest['maximum']}. {WHOLE_VALUE} One snapshot a day, from "
                       "the first day it was published" + (": the chart starts with the second." if len(days) == 1
                                                          else "."))]


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
             "links": chart.links} for chart in items if chart.rows and not chart.figure]


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
    known = t.get("original_year_known")

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
        # Found, not looked up: a master Discogs does not have (or not fetched yet) leaves the year unknown.
        ("Original year known", f"{share(known, t['items'])} of records" if t["items"] and known is not None
         else "–"),
        # Beside counts that leave private folders out, Discogs' figure for the whole collection says so.
        *([("Value of the whole collection, private folders included (Discogs' median)",
            stats["value"]["latest"]["median"])] if stats.get("value") else []),
    ]
