"""The built site in real Chromium: dashboard charts and tables, the filterable list, privacy, hostile text.

The site is built once by the real pipeline from a fake Discogs world seeded with hostile and accented
text, served over HTTP on loopback, and every expected number is computed here from releases.json or
stats.json, independently of the page's own code.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest

from pipeline.accounts.vault import generate_key
from pipeline.fakes.discogs import FakeDiscogs, generate_world
from pipeline.runs.build import build, open_instance
from tests.browser import serve, settled, watch
from tests.conftest import ARTIFACTS, register, settings_for

SHOTS = ARTIFACTS / "screenshots"
XSS_TITLE = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "</script><script>window.__xss=2</script>"
XSS_ARTIST = '<b>Bold</b> & "Quotes" <svg onload=window.__xss=3>'
ACCENTED_LABEL = "Ünïcödé Récords"
USERS = """users:
  - name: al
    display_name: Alice's Attic
    discogs_username: alice
    visibility: public
  - name: ob
    discogs_username: obi
    visibility: unlisted
  - name: secretive
    display_name: Sam Secret
    discogs_username: hidden-one
    visibility: private
"""


@dataclass
class Site:
    output: Path
    unlisted_dir: str
    private_titles: set[str]

    def collection(self, directory: str = "al") -> Path:
        return self.output / "u" / directory / "collection"

    def releases(self, directory: str = "al") -> list[dict]:
        data = json.loads((self.collection(directory) / "releases.json").read_text(encoding="utf-8"))
        return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]

    def stats(self, directory: str = "al") -> dict:
        return json.loads((self.collection(directory) / "stats.json").read_text(encoding="utf-8"))


def strings(value) -> set[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    return set().union(*(strings(v) for v in value)) if isinstance(value, list) else set()


def _poison(world) -> None:
    """Hostile and accented text where Discogs users could put it: titles, artist names, labels."""
    with world.lock:
        items = world.user("alice").items
        items[0]["basic_information"]["title"] = XSS_TITLE
        items[1]["basic_information"]["title"] = XSS_SCRIPT
        for item in items[2:42]:  # enough to be the top artist, so the dashboard shows the name too
            item["basic_information"]["artists"] = [{"name": XSS_ARTIST, "anv": "", "join": "", "id": 9}]
        for item in items[42:47]:
            item["basic_information"]["labels"] = [{"name": ACCENTED_LABEL, "catno": "ÀBC-12", "id": 7}]
        # One pressing listed under one label three times, its catalogue number written three ways.
        items[47]["basic_information"]["title"] = "What's Going On"
        items[47]["basic_information"]["labels"] = [{"name": "Capitol Records", "catno": c, "id": 8}
                                                    for c in ("SWCO 1762", "1762", "SWCO-1762")]
        # Two copies of one release (two instances, one release id).
        items[48]["basic_information"] = copy.deepcopy(items[49]["basic_information"])
        world.version += 1


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("browser-site")
    world = generate_world("alice:230,obi:120,hidden-one:30:private", catalog_size=600)
    _poison(world)
    others = set().union(*(strings(i) for u in ("alice", "obi") for i in world.items(u)))
    private_titles = {i["basic_information"]["title"] for i in world.items("hidden-one")} - others
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("DISCOGS")]:
            env.delenv(name)
        env.setenv("DISCOGS_SITE_KEY", generate_key())
        env.setenv("DISCOGS_RATELIMIT_DIR", str(root / "ratelimit"))
        register(root, USERS, {"al": "alice", "ob": "obi", "secretive": "hidden-one"})
        with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
            settings = settings_for(root, fake, base_path="/collections/", site_url="https://records.example.org")
            outcomes, published = build(settings, instance=open_instance(root / "dagster"), report=lambda _: None)
    assert published and all(o.ok for o in outcomes)
    unlisted = next(p.name for p in (root / "output" / "u").iterdir() if p.name.startswith("ob-"))
    return Site(root / "output", unlisted, private_titles)


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site.output, "/collections/") as url:  # as a GitHub Pages project site
        yield url


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def words(text: str) -> str:
    """Folded, apostrophes and dots dropped, any other run of non-letters and non-digits one space."""
    kept = re.sub(r"['’.]", "", fold(text))
    return " ".join("".join(c if c.isalnum() else " " for c in kept).split())


def matching(rows, genre="", style="", format="", decade="", q="", *, detail="", rating="", artist="", label="",
             years=(0, 0), exclude=()):
    """The list's rules, written again: every filter must hold (a facet in `exclude` must not), and every
    typed word must occur, its marks read as spaces, or run together inside a catalogue number (typed any way)."""
    terms = [(words(t), words(t).replace(" ", "")) for t in fold(q).split() if words(t)]
    found = []
    for r in rows:
        fields = [r["artist"], r["title"], *r["labels"], *r["catnos"]]
        key = words("\n".join(fields))
        year = r["original_year"]
        searched = all(w in key or any(c in words(n).replace(" ", "") for n in r["catnos"]) for w, c in terms)
        facets = {"genre": (genre, r["genres"]), "style": (style, r["styles"]), "format": (format, r["formats"]),
                  "detail": (detail, r["format_descriptions"]), "rating": (rating, [str(r["rating"] or "")]),
                  "decade": (decade, [f"{year // 10 * 10}s"] if year else [])}
        held = all(not value or ((value in values) != (name in exclude)) for name, (value, values) in facets.items())
        low, high = years
        if (held and searched and (not artist or artist in r["artists"]) and (not label or label in r["labels"])
                and (not low or (year and year >= low)) and (not high or (year and year <= high))):
            found.append(r)
    return found


def count(page) -> int:
    settled(page)
    return int(page.get_by_test_id("result-count").inner_text())


def titles(page) -> list[str]:
    """The titles of the rows shown (as text: rows off-screen are not laid out, so they have no innerText)."""
    settled(page)
    return page.locator("#releases .title a").all_text_contents()


def open_list(page, base_url, query: str = ""):
    page.goto(f"{base_url}u/al/collection/all/{query}")
    page.wait_for_selector("html[data-list-ready]")
    settled(page)


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


# The dashboard

CHART_STATS = {"genres": ("genres", None), "formats": ("formats", None),
               "format-descriptions": ("format_descriptions", 15), "decades": ("decades", None),
               "styles": ("styles", 15), "labels": ("labels", 10)}


def cells(page, chart: str) -> list[list[str]]:
    """A chart's table as text, read whether or not its disclosure is open."""
    return page.locator(f'table[data-table="{chart}"] tbody tr').evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))")


def test_dashboard_draws_every_chart_and_its_table_holds_the_stats(page, site, base_url):
    page.goto(f"{base_url}u/al/collection/")
    page.wait_for_selector("html[data-charts-drawn]")
    def all_painted(canvases) -> None:
        for i in range(canvases.count()):
            painted = canvases.nth(i).evaluate(
                "c => { if (!c.width || !c.height) return false;"
                " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                " for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }")
            assert painted, f"chart {canvases.nth(i).get_attribute('data-chart')} is blank"

    canvases = page.locator("canvas[data-chart]:visible")
    assert canvases.count() == 10 and page.locator("canvas[data-chart]").count() == 12
    all_painted(canvases)
    # The charts by pressing year, hidden at first, are drawn once shown.
    page.get_by_role("button", name="This pressing").click()
    page.wait_for_timeout(300)  # Chart.js redraws on the resize its observer reports
    all_painted(page.locator("#decades-pressing canvas, #years-pressing canvas"))
    page.get_by_role("button", name="Original release").click()
    # Counts are whole numbers on every value axis; long names wrap instead of being cut.
    axes = page.evaluate("""() => [...document.querySelectorAll('canvas[data-chart]')].map(c => {
        const chart = Chart.getChart(c), across = chart.options.indexAxis === 'y';
        return [chart.options.scales[across ? 'x' : 'y'].ticks.precision,
                chart.data.labels.every(l => (Array.isArray(l) ? l : [l]).every(line => !across || line.length <= 24
                                                                                  || !line.includes(' ')))]; })""")
    assert axes == [[0, True]] * 12
    stats = site.stats()
    for chart, (key, limit) in CHART_STATS.items():
        shown = [[k, int(n)] for k, n in cells(page, chart)]
        expected = stats["counts"][key][:limit] if limit else stats["counts"][key]
        assert shown == [[str(k), n] for k, n in expected], chart
    years = dict(stats["counts"]["years"])
    assert {int(y): int(n) for y, n in cells(page, "years") if int(n)} == years
    rows = site.releases()
    # Growth: every month from the first addition to the last, counted again from the raw dates as Discogs wrote
    # them (their own offset, as each row shows the date).
    added = sorted(r["date_added"][:7] for r in rows)
    months, (year, month) = [], map(int, added[0].split("-"))
    while not months or months[-1] < added[-1]:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    assert cells(page, "growth") == [[m, str(sum(1 for a in added if a <= m))] for m in months]
    # Artists ranked without Various; ratings over rated items only, the unrated ones counted in words.
    artists = [[a, n] for a, n in stats["counts"]["artists"] if a != "Various"][:10]
    assert [[a, int(n)] for a, n in cells(page, "artists")] == artists
    rated = [sum(1 for r in rows if r["rating"] == star) for star in range(1, 6)]
    unrated = sum(1 for r in rows if not r["rating"])
    note = page.locator("#ratings .chart-note").inner_text()
    if any(rated):
        assert [int(n) for _, n in cells(page, "ratings")] == rated
    verb = "are" if unrated != 1 else "is"
    assert note == f"{sum(rated):,} item{'s are' if sum(rated) != 1 else ' is'} rated; {unrated:,} {verb} not."
    unknown = sum(1 for r in rows if not r["original_year"])
    if unknown:
        assert page.locator("#years .chart-note").inner_text().startswith(f"{unknown:,} item")
    assert "several genres" in page.locator("#genres .chart-note").inner_text()
    tiles = dict(zip(page.locator(".summary dt").all_inner_texts(), page.locator(".summary dd").all_inner_texts(),
                     strict=True))
    totals = stats["totals"]
    assert tiles["Items (copies)"] == f"{totals['items']:,}" == "230"
    assert tiles["Distinct releases"] == f"{len({r['release_id'] for r in rows}):,}" != "230"
    assert tiles["Artists"] == f"{totals['artists']:,}" and tiles["Labels"] == f"{totals['labels']:,}"
    assert tiles["Earliest year"] == str(totals["earliest_year"])
    known = sum(1 for r in rows if r["original_year"])
    assert tiles["Original year known"] == f"{min(99, round(100 * known / 230))}% of records" and known < 230
    page.get_by_role("link", name="View full collection").click()
    page.wait_for_selector("html[data-list-ready]")
    assert count(page) == 230


CHARTS = ("genres", "formats", "format-descriptions", "artists", "decades", "decades-pressing", "ratings", "years",
          "years-pressing", "styles", "labels", "growth")


def test_every_chart_row_opens_a_list_of_exactly_its_records(page, base_url):
    page.goto(f"{base_url}u/al/collection/")
    page.wait_for_selector("html[data-charts-drawn]")
    dashboard = page.url
    checked = 0
    for chart in CHARTS:
        links = page.locator(f'table[data-table="{chart}"] tbody tr').evaluate_all(
            "rows => rows.map(r => [r.cells[0].querySelector('a').href, r.cells[1].textContent])")
        nonzero = [tuple(link) for link in links if int(link[1])]
        for href, value in {*nonzero[:3], nonzero[len(nonzero) // 2], nonzero[-1]}:
            page.goto(href)
            page.wait_for_selector("html[data-list-ready]")
            assert count(page) == int(value), f"{chart}: {href}"
            checked += 1
        page.goto(dashboard)
    assert checked >= 30
    # A bar opens the same list as its table row: click the first genre's bar.
    page.wait_for_selector("html[data-charts-drawn]")
    first = page.locator('table[data-table="genres"] tbody tr').first.evaluate("r => r.cells[1].textContent")
    x, y = page.evaluate("""() => { const canvas = document.querySelector('canvas[data-chart="genres"]');
        const bar = Chart.getChart(canvas).getDatasetMeta(0).data[0], box = canvas.getBoundingClientRect();
        return [box.left + (bar.base + bar.x) / 2, box.top + bar.y]; }""")
    page.mouse.click(x, y)
    page.wait_for_selector("html[data-list-ready]")
    assert count(page) == int(first) and "genre" in query_of(page)
    # The linked filter shows as a chip that removes it.
    page.goto(f"{base_url}u/al/collection/all/?rating=5")
    page.wait_for_selector("html[data-list-ready]")
    chip = page.get_by_role("button", name="Remove the filter Rating: ★★★★★")
    chip.click()
    assert count(page) == 230 and "rating" not in query_of(page)


def test_years_by_the_original_or_by_this_pressing_on_the_dashboard_and_in_the_list(page, site, base_url):
    rows, stats = site.releases(), site.stats()
    page.goto(f"{base_url}u/al/collection/")
    page.wait_for_selector("html[data-charts-drawn]")
    assert page.locator("#decades").is_visible() and page.locator("#decades-pressing").is_hidden()
    page.get_by_role("button", name="This pressing").click()
    assert page.locator("#decades").is_hidden() and page.locator("#decades-pressing").is_visible()
    assert query_of(page)["years"] == ["pressing"]
    pressed = Counter(f"{r['year'] // 10 * 10}s" for r in rows if r["year"])
    shown = [(d, int(n)) for d, n in cells(page, "decades-pressing")]
    assert shown == sorted(pressed.items()) == [tuple(x) for x in stats["counts"]["decades_pressing"]]
    # Originals against reissues: the same decade counts differently by the master's year.
    assert shown != [(d, int(n)) for d, n in cells(page, "decades")]
    # The list follows the choice: decades, year range and the year sort all read this pressing's year.
    open_list(page, base_url, "?years=pressing&sort=year&from=1970&to=1979")
    expected = sorted((r for r in rows if r["year"] and 1970 <= r["year"] <= 1979),
                      key=lambda r: r["year"])
    assert count(page) == len(expected) > 0
    assert titles(page) == [r["title"] or "(untitled)" for r in expected[:25]]
    assert page.locator("#ordering").inner_text() == "oldest pressing first"
    assert page.get_by_role("button", name="Remove the filter From pressing year: 1970").is_visible()


def test_chart_tables_open_from_the_keyboard(page, base_url):
    page.goto(f"{base_url}u/al/collection/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    assert page.evaluate("document.activeElement.textContent") == "Table: Genres"  # in the chart's own case
    page.keyboard.press("Enter")
    assert page.locator('table[data-table="genres"]').is_visible()


# The full list

def test_list_starts_newest_first_25_per_page(page, site, base_url):
    rows = site.releases()
    open_list(page, base_url)
    assert count(page) == len(rows) == 230
    assert titles(page) == [r["title"] for r in rows[:25]]
    assert page.locator("#page-label").inner_text() == "Page 1 of 10"
    added = [datetime.fromisoformat(r["date_added"]) for r in rows]
    assert added == sorted(added, reverse=True)


@pytest.mark.parametrize("name", ["genre", "style", "format", "decade"])
def test_each_filter_counts_what_the_data_says(page, site, base_url, name):
    rows = site.releases()
    open_list(page, base_url)
    select = page.locator(f'select[name="{name}"]')
    values = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    assert len(values) >= 2
    for value in values[:4]:
        select.select_option(value)
        expected = matching(rows, **{name: value})
        assert count(page) == len(expected), (name, value)
        assert titles(page) == [r["title"] for r in expected[:25]]
        assert query_of(page)[name] == [value]


def test_filters_combine_with_an_accent_and_case_blind_search(page, site, base_url):
    rows = site.releases()
    open_list(page, base_url)
    page.locator('input[type="search"]').fill("unicode records")
    assert count(page) == len(matching(rows, q="unicode records")) == 5
    page.locator('input[type="search"]').fill("abc-12")
    assert count(page) == 5
    genre = rows[0]["genres"][0]
    page.locator('input[type="search"]').fill("")
    page.locator('select[name="genre"]').select_option(genre)
    decade = next(f"{r['original_year'] // 10 * 10}s" for r in rows if genre in r["genres"] and r["original_year"])
    page.locator('select[name="decade"]').select_option(decade)
    word = rows[0]["artist"].split()[0].upper()
    page.locator('input[type="search"]').fill(word)
    expected = matching(rows, genre=genre, decade=decade, q=word)
    assert expected and count(page) == len(expected)
    assert query_of(page) == {"genre": [genre], "decade": [decade], "q": [word]}
    page.locator('input[type="search"]').fill("zzz no such record")
    assert count(page) == 0
    assert "No records match" in page.locator("#status").inner_text()


def test_search_ignores_punctuation_and_spacing(page, site, base_url):
    rows = site.releases()
    open_list(page, base_url)
    search = page.locator('input[type="search"]')
    for typed, expected in (("abc12", 5), ("ABC 12", 5), ("àbc-12", 5), ("swco1762", 1), ("whats going on", 1),
                            ("what's going", 1)):
        search.fill(typed)
        assert count(page) == len(matching(rows, q=typed)) == expected, typed
    # Its row names the label once, with the catalogue number once (the fullest of the three spellings).
    meta = page.locator("#releases .meta:not(.when)").inner_text()
    assert meta.endswith("Capitol Records – SWCO 1762"), meta


def test_the_pager_hides_itself_and_focus_survives_buttons_that_disable_themselves(page, base_url):
    open_list(page, base_url, "?q=abc12")
    assert count(page) == 5 and not page.locator("#pages").is_visible()
    open_list(page, base_url, "?page=9")
    page.get_by_role("button", name="Next →").focus()
    page.keyboard.press("Enter")  # to the last page: Next disables itself
    settled(page)
    assert page.locator("#page-label").inner_text() == "Page 10 of 10"
    assert page.evaluate("document.activeElement.dataset.page") == "prev"
    page.get_by_role("button", name="Reset filters").focus()
    page.keyboard.press("Enter")  # Reset disables itself
    settled(page)
    assert page.evaluate("document.activeElement.name") == "q"


def test_a_page_past_the_end_is_corrected_in_the_address(page, base_url):
    open_list(page, base_url, "?page=999")
    assert query_of(page)["page"] == ["10"] and page.locator("#page-label").inner_text() == "Page 10 of 10"


def test_arrowing_through_a_select_adds_one_history_entry(page, site, base_url):
    open_list(page, base_url)
    before = page.evaluate("history.length")
    genre = page.locator('select[name="genre"]')
    genre.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    chosen = genre.input_value()
    assert chosen and count(page) == len(matching(site.releases(), genre=chosen))
    assert page.evaluate("history.length") == before + 1
    page.go_back()
    assert genre.input_value() == "" and count(page) == 230


def test_several_copies_of_a_release_are_marked(page, site, base_url):
    rows = site.releases()
    copies = Counter(r["release_id"] for r in rows)
    open_list(page, base_url)
    expected = [r["title"] + (f" ×{copies[r['release_id']]}" if copies[r["release_id"]] > 1 else "")
                for r in rows[:25]]
    assert page.locator("#releases .title").all_text_contents() == expected
    assert any("×" in t for t in expected) and not all("×" in t for t in expected)


def test_the_subtitle_follows_the_sort_and_links_name_the_record(page, site, base_url):
    open_list(page, base_url)
    assert "every release, newest first" in page.locator(".lead").inner_text()
    page.locator('select[name="sort"]').select_option("year")
    settled(page)
    assert "every release, oldest first" in page.locator(".lead").inner_text()
    first = next(r for r in sorted(site.releases(), key=lambda r: r["original_year"] or 99999))
    link = page.locator("#releases .title a").first
    assert link.get_attribute("aria-label") == f"{first['artist']} – {first['title']} on Discogs"


SORT_KEYS = {  # the sort's key, written again from releases.json (None: unknown, always last)
    "added": lambda r: datetime.fromisoformat(r["date_added"]), "artist": lambda r: fold(r["artist"]),
    "title": lambda r: fold(r["title"]), "year": lambda r: r["original_year"] or None,
    "pressing": lambda r: r["year"] or None, "label": lambda r: fold(r["labels"][0]) if r["labels"] else None,
    "rating": lambda r: r["rating"] or None,
}


@pytest.mark.parametrize("sort", ["added", "added-asc", "artist", "artist-desc", "title", "title-desc", "year",
                                  "year-desc", "pressing", "pressing-desc", "label", "label-desc", "rating",
                                  "rating-asc"])
def test_every_sort_orders_the_whole_list_both_ways(page, site, base_url, sort):
    rows = {str(r["instance_id"]): r for r in site.releases()}
    field = sort.removesuffix("-desc").removesuffix("-asc")
    descending = sort.endswith("-desc") or sort in ("added", "rating")
    open_list(page, base_url)
    page.locator('select[name="sort"]').select_option(sort)
    assert query_of(page).get("sort", ["added"]) == [sort]
    for at in ("", "&page=10"):  # the first page and the last
        if at:
            open_list(page, base_url, f"?sort={sort}{at}")
        settled(page)
        shown = page.locator("#releases > li").evaluate_all("items => items.map(i => i.dataset.instance)")
        keys = [SORT_KEYS[field](rows[i]) for i in shown]
        known = [k for k in keys if k is not None]
        assert keys == known + [None] * (len(keys) - len(known)), "unknown values go last"
        assert known == sorted(known, reverse=descending), sort
        everything = [k for k in map(SORT_KEYS[field], rows.values()) if k is not None]
        if not at and known:
            assert known[0] == (max(everything) if descending else min(everything))
    assert page.locator("#ordering").inner_text() != ""
    # Each row says when it was added and, when rated, its rating.
    first = rows[page.locator("#releases > li").first.get_attribute("data-instance")]
    about = page.locator("#releases .meta.when").first.inner_text()
    assert f"added {first['date_added'][:10]}" in about
    assert ("★" * first["rating"] + "☆" * (5 - first["rating"])) in about if first["rating"] else "★" not in about


def test_pagination_and_the_url_round_trip(page, site, base_url):
    rows = site.releases()
    open_list(page, base_url)
    page.get_by_role("button", name="Next →").click()
    assert query_of(page)["page"] == ["2"]
    assert titles(page) == [r["title"] for r in rows[25:50]]
    genre = rows[3]["genres"][0]
    page.locator('select[name="genre"]').select_option(genre)
    filtered = matching(rows, genre=genre)
    assert "page" not in query_of(page) and count(page) == len(filtered)
    page.go_back()
    assert query_of(page)["page"] == ["2"] and count(page) == 230
    assert page.locator('select[name="genre"]').input_value() == ""
    page.go_forward()
    assert count(page) == len(filtered) and page.locator('select[name="genre"]').input_value() == genre
    # A shared link opens the same view: filters, search, sort and page from the query string.
    open_list(page, base_url, f"?genre={quote_plus(genre)}&sort=title&page=2")
    assert page.locator('select[name="sort"]').input_value() == "title"
    assert page.locator("#page-label").inner_text().startswith("Page 2 of")
    assert count(page) == len(filtered)


def test_last_page_random_pick_and_reset(page, site, base_url):
    rows = site.releases()
    open_list(page, base_url, "?page=10")
    assert len(titles(page)) == 230 - 9 * 25
    assert page.get_by_role("button", name="Next →").is_disabled()
    style = rows[5]["styles"][0]
    page.locator('select[name="style"]').select_option(style)
    allowed = {r["title"] for r in matching(rows, style=style)}
    for _ in range(8):
        page.get_by_role("button", name="Random pick").click()
        settled(page)
        assert page.get_by_test_id("random-pick").locator(".title").inner_text() in allowed
    page.get_by_role("button", name="Reset filters").click()
    assert count(page) == 230 and urlsplit(page.url).query == ""
    assert page.locator('select[name="style"]').input_value() == ""


def _narrowed(page, change) -> None:
    """Make `change`, then wait until the facets have been counted again."""
    def narrowed() -> int:
        return int(page.evaluate("document.documentElement.dataset.facetsNarrowed || '0'"))

    before = narrowed()
    change()
    deadline = time.monotonic() + 10
    while narrowed() <= before and time.monotonic() < deadline:  # the page's CSP forbids wait_for_function
        page.wait_for_timeout(20)
    assert narrowed() > before


def test_facet_options_narrow_each_other(page, site, base_url):
    rows = site.releases()
    open_list(page, base_url)
    genre = Counter(g for r in rows for g in set(r["genres"])).most_common(1)[0][0]
    _narrowed(page, lambda: page.locator('select[name="genre"]').select_option(genre))
    word = rows[0]["artist"].split()[0]
    _narrowed(page, lambda: page.locator('input[type="search"]').fill(word))
    for facet, key in (("style", "style"), ("format", "format"), ("decade", "decade")):
        options = page.locator(f'select[name="{facet}"] option').evaluate_all(
            "os => os.filter(o => o.value).map(o => [o.value, o.textContent, o.disabled])")
        for value, text, disabled in options:
            n = len(matching(rows, genre=genre, q=word, **{key: value}))
            assert text == f"{value} ({n:,})" and disabled == (n == 0), (facet, value)
        assert any(d for *_, d in options) and not all(d for *_, d in options), facet
    # The genre list counts what the search leaves, ignoring the genre chosen: other genres stay pickable.
    genres = page.locator('select[name="genre"] option').evaluate_all(
        "os => os.filter(o => o.value && !o.disabled).map(o => o.value)")
    assert genre in genres and len(genres) > 1


def test_every_facet_can_be_chosen_turned_round_or_typed_and_counts_what_the_data_says(page, site, base_url):
    rows = site.releases()
    open_list(page, base_url)
    detail = Counter(d for r in rows for d in set(r["format_descriptions"])).most_common(1)[0][0]
    _narrowed(page, lambda: page.locator('select[name="detail"]').select_option(detail))
    assert count(page) == len(matching(rows, detail=detail)) > 0
    # Everything but that detail: the records without it, in the address and on a chip.
    _narrowed(page, lambda: page.get_by_role("checkbox", name="Exclude the chosen format detail").check())
    assert count(page) == len(matching(rows, detail=detail, exclude={"detail"})) == len(rows) - len(
        matching(rows, detail=detail))
    assert query_of(page)["except"] == ["detail"]
    assert page.get_by_role("button", name=f"Remove the filter Format detail: not {detail}").is_visible()
    # Ratings are picked as stars; counts narrow with the exclusion still on.
    stars = page.locator('select[name="rating"] option').evaluate_all(
        "os => os.filter(o => o.value).map(o => [o.value, o.textContent])")
    for value, text in stars:
        n = len(matching(rows, detail=detail, exclude={"detail"}, rating=value))
        assert text == f"{'★' * int(value)}{'☆' * (5 - int(value))} ({n:,})"
    page.get_by_role("button", name="Reset filters").click()
    # An artist typed in any case is matched exactly; the row's own spelling goes into the address.
    artist = Counter(a for r in rows for a in r["artists"] if a != "Various").most_common(1)[0][0]
    _narrowed(page, lambda: (page.locator('input[name="artist"]').fill(artist.upper()),
                             page.locator('input[name="artist"]').press("Tab")))
    assert count(page) == len(matching(rows, artist=artist)) > 0 and query_of(page)["artist"] == [artist]
    page.get_by_role("button", name="Reset filters").click()
    label = Counter(lab for r in rows for lab in set(r["labels"])).most_common(1)[0][0]
    _narrowed(page, lambda: (page.locator('input[name="label"]').fill(label), page.keyboard.press("Tab")))
    _narrowed(page, lambda: (page.locator('input[name="from"]').fill("1960"), page.keyboard.press("Tab")))
    _narrowed(page, lambda: (page.locator('input[name="to"]').fill("1979"), page.keyboard.press("Tab")))
    assert count(page) == len(matching(rows, label=label, years=(1960, 1979))) > 0
    years = {r["original_year"] for r in matching(rows, label=label, years=(1960, 1979))}
    assert min(years) >= 1960 and max(years) <= 1979
    # A genre turned round: everything but the biggest genre, with the range and the label still on.
    genre = Counter(g for r in rows for g in set(r["genres"])).most_common(1)[0][0]
    _narrowed(page, lambda: page.locator('select[name="genre"]').select_option(genre))
    _narrowed(page, lambda: page.get_by_role("checkbox", name="Exclude the chosen genre").check())
    assert count(page) == len(matching(rows, genre=genre, label=label, years=(1960, 1979), exclude={"genre"}))


def test_a_random_pick_has_a_permalink(page, browser, site, base_url):
    rows = {str(r["instance_id"]): r for r in site.releases()}
    open_list(page, base_url, "?sort=title")
    page.get_by_role("button", name="Random pick").click()
    settled(page)
    picked = query_of(page)["pick"][0]
    shown = page.get_by_test_id("random-pick").locator(".title a").inner_text()
    assert shown == rows[picked]["title"] and query_of(page)["sort"] == ["title"]
    other = browser.new_context().new_page()  # a friend opening the shared link
    open_list(other, base_url, f"?sort=title&pick={picked}")
    assert other.get_by_test_id("random-pick").locator(".title a").inner_text() == shown
    other.context.close()
    page.go_back()
    assert "pick" not in query_of(page) and page.locator("#pick").is_hidden()
    page.locator('input[type="search"]').fill("a")  # any other change drops the pick
    assert "pick" not in query_of(page)


def test_the_index_finds_a_collector_by_name_or_genre(page, site, base_url):
    page.goto(base_url)
    people = page.locator("#people > li")
    assert people.count() == 1 and page.locator("#people-count").inner_text() == "1 collection"
    who = page.get_by_label("Find a collector")
    genre = site.stats()["counts"]["genres"][0][0]
    who.fill(genre.upper())
    assert page.locator("#people-count").inner_text() == "1 of 1 collections match" and people.first.is_visible()
    who.fill("zzz nobody")
    assert page.locator("#people-count").inner_text() == "0 of 1 collections match" and people.first.is_hidden()


@pytest.mark.parametrize(("missing", "said"), [("**/releases.json", "HTTP 404"),
                                              ("**/assets/list-worker-*.js", "the list's script did not start")])
def test_a_missing_data_file_or_list_worker_is_said_on_the_page(browser, site, base_url, missing, said):
    context = browser.new_context()
    tab = context.new_page()
    tab.route(missing, lambda route: route.fulfill(status=404, body="gone"))
    tab.goto(f"{base_url}u/al/collection/all/")
    tab.wait_for_selector("#status.error")
    assert f"Could not load the records ({said})" in tab.locator("#status").inner_text()
    context.close()


def test_index_links_work_under_the_base_path(page, base_url):
    page.goto(base_url)
    page.get_by_role("link", name="Alice's Attic").click()
    page.wait_for_selector("html[data-charts-drawn]")
    assert urlsplit(page.url).path == "/collections/u/al/collection/"
    page.goto(base_url + "no/such/page")
    assert page.get_by_role("heading").inner_text() == "Not found"
    page.seen.errors.remove("Failed to load resource: the server responded with a status of 404 (Not Found)")
    page.get_by_role("link", name="All collections").click()
    assert urlsplit(page.url).path == "/collections/"


# Safety, privacy, phones

def test_hostile_text_stays_text(page, base_url):
    open_list(page, base_url, "?q=img+src%3Dx")
    assert titles(page) == [XSS_TITLE]
    open_list(page, base_url, "?q=__xss%3D2")
    assert titles(page) == [XSS_SCRIPT]
    open_list(page, base_url, "?q=bold")
    assert page.locator("#releases .artist").first.inner_text() == XSS_ARTIST
    page.goto(f"{base_url}u/al/collection/")
    page.wait_for_selector("html[data-charts-drawn]")
    assert cells(page, "artists")[0][0] == XSS_ARTIST
    for url in (f"{base_url}u/al/collection/", f"{base_url}u/al/collection/all/?q=x"):
        page.goto(url)
        page.wait_for_timeout(200)
        assert page.evaluate("window.__xss") is None
        assert page.locator("img[src='x'], b, svg[onload]").count() == 0


def test_no_file_mentions_the_private_user_and_the_unlisted_one_is_hidden(site):
    texts = {p: p.read_bytes().decode("utf-8", "replace") for p in site.output.rglob("*") if p.is_file()}
    for needle in ("secretive", "Sam Secret", "hidden-one", *(json.dumps(t) for t in site.private_titles)):
        assert not [p for p, t in texts.items() if needle in t], needle
    index, sitemap = texts[site.output / "index.html"], texts[site.output / "sitemap.xml"]
    assert "u/al/collection/" in index and "Alice&#39;s Attic" in index
    assert "ob-" not in index and "ob-" not in sitemap and "obi" not in index
    assert site.unlisted_dir not in texts[site.output / "robots.txt"]
    unlisted = texts[site.collection(site.unlisted_dir) / "index.html"]
    assert '<meta name="robots" content="noindex">' in unlisted
    assert '<meta name="robots" content="noindex">' not in texts[site.collection() / "index.html"]


def test_pages_fit_a_phone_and_screenshots_are_kept(browser, base_url, site):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height, label in ((1280, 900, "desktop"), (375, 812, "phone")):
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
            tab = context.new_page()
            seen = watch(tab)
            for name, path, ready in (("dashboard", "u/al/collection/", "data-charts-drawn"),
                                      ("list", "u/al/collection/all/", "data-list-ready"),
                                      ("index", "", None)):
                tab.goto(base_url + path)
                if ready:
                    tab.wait_for_selector(f"html[{ready}]")
                assert tab.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
                tab.screenshot(path=str(SHOTS / f"{name}-{label}-{scheme}.png"), full_page=True)
            context.close()
            assert seen.errors == [] and seen.escaped == []
            assert seen.covers and all(urlsplit(u).hostname == "i.discogs.com" for u in seen.covers)
