"""Pages that never show a broken image or a lie by omission, in real Chromium: every cover falls back to the
drawn one when Discogs' image fails, box sets print their quantities, Discogs' "none" is no catalogue number,
the words and boxes are whole (no "0 No …", no cut select, no date broken on a phone, table summaries in
their case, no "Chris Evans's"), what is typed while the list loads is kept, and the larger view lives in
the history (Back closes it) with previous and next.

Two public collectors with Discogs images: chris (display name "Chris Evans") publishes Media Condition and
his wantlist; dana shares records with him, so pair pages exist. Expected values come from the fake world's
items and the published files, read here.
"""

from __future__ import annotations

import contextlib
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pipeline.fakes.discogs import generate_world
from tests.browser import serve, settled
from tests.conftest import build_once
from tests.test_site_browser import matching

USERS = """users:
  - name: chris
    display_name: Chris Evans
    discogs_username: chrisevans
    visibility: public
    publish:
      fields: [Media Condition]
      wantlist: true
  - name: dana
    discogs_username: dana
    visibility: public
"""
ATOM = "{http://www.w3.org/2005/Atom}"
BOX = "Everything in One Box"  # one format entry of six discs, beside the box's own
DISCS = "Disc by Disc"  # a box whose discs Discogs lists one by one
NO_NUMBER = "No Number Here"  # catalogue number "none", Discogs' placeholder
BOX_FORMATS = [{"name": "Box Set", "qty": "1", "descriptions": ["Limited Edition"]},
               {"name": "Vinyl", "qty": "6", "descriptions": ["LP", "Album"]}]
DISC_FORMATS = [{"name": "Box Set", "qty": "1"}, *[{"name": "CD", "qty": "1", "descriptions": ["Album"]}] * 3]


@dataclass
class Built:
    output: Path
    items: dict[int, dict]  # chris's items by instance id, as the fake world holds them

    def releases(self, user: str = "chris", name: str = "collection/releases.json") -> list[dict]:
        data = json.loads((self.output / "u" / user / name).read_text(encoding="utf-8"))
        return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]

    def titled(self, title: str) -> dict:
        return next(r for r in self.releases() if r["title"] == title)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    root = tmp_path_factory.mktemp("honest-site")
    world = generate_world("chrisevans:140,dana:110", catalog_size=260)
    with world.lock:
        items = world.user("chrisevans").items
        latest = max(datetime.fromisoformat(i["date_added"]) for i in items)
        for n, (title, change) in enumerate([(BOX, {"formats": BOX_FORMATS}), (DISCS, {"formats": DISC_FORMATS}),
                                             (NO_NUMBER, {"labels": [{"name": "Home Tapes", "catno": "none"}]})]):
            item = items[-1 - n]
            item["basic_information"].update(title=title, **change)
            item["date_added"] = (latest + timedelta(minutes=3 - n)).isoformat()  # the newest: in the feed
        world.version += 1
    build_once(root, world, USERS, {"chris": "chrisevans", "dana": "dana"})
    return Built(root / "output", {i["instance_id"]: i for i in world.items("chrisevans")})


@pytest.fixture(scope="module")
def base_url(built):
    with serve(built.output) as url:
        yield url


def list_ready(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-list-ready]")
    settled(page)


def pair_page(built: Built) -> str:
    pairs = list((built.output / "u" / "chris" / "shared").iterdir())
    assert pairs, "chris and dana have records in common"
    return f"u/chris/shared/{pairs[0].name}/"


# --- Covers ---------------------------------------------------------------------------------------------

BROKEN = """() => [...document.images]
  .filter((img) => img.checkVisibility() && (!img.complete || img.naturalWidth === 0)).map((img) => img.src)"""


def broken_images(page) -> list[str]:
    """Every image scrolled into view and given its time to load or fail: the visible ones that show nothing."""
    page.evaluate("""async () => {
      for (const img of [...document.images]) {
        img.scrollIntoView({ block: "center", inline: "center" });
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    }""")
    with contextlib.suppress(PlaywrightTimeout):  # what is still broken then is reported
        page.wait_for_function(f"() => ({BROKEN})().length === 0", timeout=4000)
    return page.evaluate(BROKEN)


def test_no_page_shows_a_broken_image_when_every_cover_fails(page, base_url, built):
    failed: list[str] = []
    page.route(re.compile(r"^https://(i|img)\.discogs\.com/"),
               lambda route: (failed.append(route.request.url), route.abort()))
    newest = built.releases()[0]
    wanted = built.releases(name="wantlist/wants.json")
    assert any(r["thumb"] for r in wanted)
    for path in ["", "u/chris/collection/", "u/chris/collection/all/", "u/chris/collection/all/?view=covers",
                 f"u/chris/collection/all/?open={newest['instance_id']}", pair_page(built), "u/chris/wantlist/"]:
        before = len(failed)
        if "/all/" in path or "wantlist" in path:
            list_ready(page, base_url + path)
        else:
            page.goto(base_url + path)
        if "open=" in path:
            page.get_by_role("dialog").wait_for()
            page.wait_for_timeout(300)  # the large cover, from covers.json, is asked for too
        assert broken_images(page) == [], path
        assert len(failed) > before, f"{path}: the test must have made covers fail"
        assert page.locator("svg.art").count() > 0, f"{path}: failed covers are drawn"
    assert any("/cover" in url for url in failed), "the larger view's large cover failed too"
    # Chromium logs each refused image; any other error still fails the test.
    page.seen.errors[:] = [e for e in page.seen.errors if e != "Failed to load resource: net::ERR_FAILED"]


# --- What the list and the feed print -----------------------------------------------------------------------

def _formats_of(item: dict) -> str:
    """Discogs' own printing of one format entry, written again: "2 × Vinyl, LP, Album"."""
    (entry,) = item["basic_information"]["formats"]
    qty = int(entry.get("qty") or 1)
    return ", ".join([f"{qty} × {entry['name']}" if qty > 1 else entry["name"], *entry.get("descriptions", [])])


def _facts(page) -> dict[str, str]:
    view = page.get_by_role("dialog")
    return dict(zip(view.locator("dt").all_inner_texts(), view.locator("dd").all_inner_texts(), strict=True))


def test_formats_print_their_quantities_as_discogs_does(page, base_url, built):
    for title, printed in [(BOX, "Box Set, Limited Edition, 6 × Vinyl, LP, Album"), (DISCS, "Box Set, 3 × CD, Album")]:
        record = built.titled(title)
        list_ready(page, f"{base_url}u/chris/collection/all/?q={title.replace(' ', '+')}")
        row = page.locator(f'#releases > li[data-instance="{record["instance_id"]}"]')
        assert printed in row.locator(".meta").first.inner_text().split(" · ")
        row.locator("button[data-open]").click()
        assert _facts(page)["Format"] == printed
        page.keyboard.press("Escape")
        page.wait_for_function("() => !location.search.includes('open=')")  # closing steps back in the history
    # Every generated record (one format entry each) as the world's JSON says, doubles included.
    list_ready(page, f"{base_url}u/chris/collection/all/")
    shown = page.locator("#releases > li")
    singles = 0
    for i in range(shown.count()):
        item = built.items[int(shown.nth(i).get_attribute("data-instance"))]
        if item["basic_information"]["title"] in (BOX, DISCS):
            continue
        assert _formats_of(item) in shown.nth(i).locator(".meta").first.text_content().split(" · ")
        singles += 1
    doubles = [i for i in built.items.values() if len(i["basic_information"]["formats"]) == 1
               and i["basic_information"]["formats"][0].get("qty") == "2"]
    assert singles > 20 and doubles
    # The feed says it the same way.
    feed = ET.parse(built.output / "u" / "chris" / "collection" / "feed.xml").getroot()
    summaries = {e.find(f"{ATOM}title").text: e.find(f"{ATOM}summary").text for e in feed.iter(f"{ATOM}entry")}
    box = next(s for t, s in summaries.items() if t.endswith(BOX))
    assert "Box Set, Limited Edition, 6 × Vinyl, LP, Album" in box.split(" · ")


def test_discogs_placeholder_none_is_no_catalogue_number(page, base_url, built):
    record = built.titled(NO_NUMBER)
    assert record["catnos"] == ["none"]  # as Discogs sent it: the data keeps it
    list_ready(page, f"{base_url}u/chris/collection/all/?q=no+number+here")
    row = page.locator(f'#releases > li[data-instance="{record["instance_id"]}"]')
    meta = row.locator(".meta").first.inner_text()
    assert meta.split(" · ")[-1] == "Home Tapes" and "none" not in meta
    row.locator("button[data-open]").click()
    assert _facts(page)["Label"] == "Home Tapes"


def test_nothing_found_is_said_in_one_sentence(page, base_url):
    list_ready(page, f"{base_url}u/chris/collection/all/?q=zzz+no+such+record")
    said = page.get_by_role("status").filter(has=page.locator("#status")).inner_text().strip()
    assert re.fullmatch(r"No \w+ match these filters\.", said), said


# --- Boxes, dates, case and names ---------------------------------------------------------------------------

# A select is cut when it is narrower than it would be left to its own width (that of its widest option).
CUT = """() => [...document.querySelectorAll("#filters select")].filter((s) => s.checkVisibility()).map((select) => {
  const free = select.cloneNode(true);
  free.style.cssText = "width: auto; min-width: 0; max-width: none; position: absolute; visibility: hidden";
  select.after(free);
  const needed = free.getBoundingClientRect().width;
  free.remove();
  return [select.name, select.options[0].text, Math.round(select.getBoundingClientRect().width), Math.ceil(needed)];
})"""


@pytest.mark.parametrize("width", [1280, 390])
def test_select_boxes_of_published_fields_show_their_options_in_full(browser, base_url, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    list_ready(page, base_url + "u/chris/collection/all/")
    if page.locator("#filters-toggle").is_visible():
        page.locator("#filters-toggle").click()
    shown = {name: (any_text, have, need) for name, any_text, have, need in page.evaluate(CUT)}
    context.close()
    assert shown["field:Media Condition"][0] == "Any Media Condition"
    cut = {name: box for name, box in shown.items() if name.startswith("field:") and box[1] < box[2]}
    assert cut == {}, f"at {width} px"


DATES_BROKEN = r"""() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.checkVisibility()) continue;
    for (const found of node.data.matchAll(/\d{4}-\d{2}(-\d{2})?/g)) {
      const range = document.createRange();
      range.setStart(node, found.index);
      range.setEnd(node, found.index + found[0].length);
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0);  // one per line, or per run of text
      const lines = boxes.some((a) => boxes.some((b) => b.top >= a.bottom - 2));
      if (lines) broken.push(`${found[0]} in ${node.parentElement.outerHTML.slice(0, 120)}`);
    }
  }
  return broken;
}"""


def test_dates_never_break_mid_value_on_a_phone(browser, base_url, built):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    newest = built.releases()[0]
    broken = {}
    for path in ["", "u/chris/collection/", "u/chris/collection/all/", "u/chris/wantlist/",
                 f"u/chris/collection/all/?open={newest['instance_id']}", pair_page(built)]:
        if "/all/" in path or "wantlist" in path:
            list_ready(page, base_url + path)
        else:
            page.goto(base_url + path)
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")  # tables too
        for width in range(320, 431, 2):  # phones, 390 px among them: wherever a line happens to end
            page.set_viewport_size({"width": width, "height": 844})
            if found := page.evaluate(DATES_BROKEN):
                broken[f"{path} at {width} px"] = found
    context.close()
    assert broken == {}


def test_table_summaries_keep_the_case_of_their_chart(page, base_url):
    page.goto(base_url + "u/chris/collection/")
    charts = page.locator("figure.chart:has(details)")
    assert charts.count() > 5
    for i in range(charts.count()):
        title = charts.nth(i).locator("h2").text_content()
        assert charts.nth(i).locator("summary").text_content() == f"Table: {title}"
    assert page.locator("summary", has_text=re.compile(r"Format details \(LP")).count() == 1


def test_a_name_ending_in_s_takes_the_apostrophe_alone(page, base_url, built):
    page.goto(base_url + "u/chris/collection/")
    assert page.title() == "Chris Evans' record collection"
    assert page.get_by_role("heading", level=1).inner_text() == "Chris Evans' record collection"
    list_ready(page, base_url + "u/chris/collection/all/")
    assert page.get_by_role("heading", level=1).inner_text() == "Chris Evans' record collection"
    list_ready(page, base_url + "u/chris/wantlist/")
    assert page.get_by_role("heading", level=1).inner_text() == "Chris Evans' wantlist"
    page.goto(base_url + pair_page(built))
    assert page.locator(".lead a").all_inner_texts() == ["Chris Evans' collection", "dana's collection"]
    assert page.get_by_text(re.compile(r"in common, by artist, each as Chris Evans' own pressing\.$")).count() == 1
    titles = [ET.parse(built.output / "u" / "chris" / feed).getroot().find(f"{ATOM}title").text
              for feed in ("collection/feed.xml", "wantlist/feed.xml")]
    assert titles == ["Chris Evans' record collection: new additions", "Chris Evans' wantlist: new wants"]
    dana = ET.parse(built.output / "u" / "dana" / "collection" / "feed.xml").getroot().find(f"{ATOM}title").text
    assert dana == "dana's record collection: new additions"


# --- The list while it loads, and the larger view -----------------------------------------------------------

def test_a_search_filter_and_sort_entered_while_the_list_loads_are_kept(page, base_url, built):
    rows = built.releases()
    word = next(w for r in rows for w in r["title"].split()
                if 3 < len(matching(rows, q=w, years=(1970, 0))) < 25)
    expected = matching(rows, q=word, years=(1970, 0))
    held = []
    page.route("**/releases.json", lambda route: held.append(route))
    page.goto(base_url + "u/chris/collection/all/")
    page.wait_for_selector("html[data-first-rows]")
    page.get_by_role("searchbox").fill(word)
    page.locator("select[name=sort]").select_option("year")
    page.locator("input[name=from]").fill("1970")
    page.locator("input[name=from]").press("Tab")
    assert held and page.locator("html[data-list-ready]").count() == 0
    held[0].fallback()
    page.wait_for_selector("html[data-list-ready]")
    settled(page)
    assert page.get_by_role("searchbox").input_value() == word
    assert parse_qs(urlsplit(page.url).query) == {"q": [word], "sort": ["year"], "from": ["1970"]}
    assert int(page.get_by_test_id("result-count").inner_text()) == len(expected)
    shown = [int(i) for i in page.locator("#releases > li").evaluate_all("(li) => li.map((r) => r.dataset.instance)")]
    assert sorted(shown) == sorted(r["instance_id"] for r in expected)
    years = {r["instance_id"]: r["original_year"] for r in expected}
    assert [years[i] for i in shown] == sorted(years[i] for i in shown)
    page.go_back()  # one step undoes what was entered
    settled(page)
    assert urlsplit(page.url).query == "" and page.get_by_role("searchbox").input_value() == ""


def _open_of(page) -> str:
    return parse_qs(urlsplit(page.url).query).get("open", [""])[0]


def test_back_closes_the_larger_view_which_steps_through_the_list(page, base_url, built):
    rows = built.releases()
    page.goto(base_url + "u/chris/collection/")
    page.get_by_role("link", name="View full collection").click()
    page.wait_for_selector("html[data-list-ready]")
    settled(page)
    listing = page.url
    view = page.get_by_role("dialog")
    page.locator("#releases > li").nth(1).locator("button[data-open]").click()
    assert view.is_visible() and _open_of(page) == str(rows[1]["instance_id"])
    page.go_back()
    page.wait_for_function("() => !document.getElementById('release-view')?.open")
    assert page.url == listing and page.locator("#releases > li").count() == 25
    # Previous and next, by button and by arrow key, in the list's order and past the end of its page.
    page.locator("#releases > li").nth(23).locator("button[data-open]").click()
    settled(page)
    steps = [("button", "Next record", 24), ("key", "ArrowRight", 25), ("key", "ArrowLeft", 24),
             ("button", "Previous record", 23), ("key", "ArrowRight", 24)]
    for kind, name, at in steps:
        if kind == "button":
            view.get_by_role("button", name=name).click()
        else:
            page.keyboard.press(name)
        settled(page)
        assert _open_of(page) == str(rows[at]["instance_id"]), (kind, name)
        assert view.get_by_role("heading").inner_text().startswith(rows[at]["title"] or "(untitled)")
    # Closed with Esc, the view leaves no entry behind: one step back is the dashboard.
    page.keyboard.press("Escape")
    page.wait_for_function("() => !location.search.includes('open=')")
    assert page.url == listing
    assert page.evaluate("document.activeElement.dataset.open") == str(rows[24]["instance_id"]), \
        "focus goes to the cover of the record last shown"
    page.go_back()
    page.wait_for_url(re.compile(r"/collection/$"))
    # The first record has nothing before it; a shared link's view is closed by Back, staying on the list.
    list_ready(page, f"{base_url}u/chris/collection/all/?open={rows[0]['instance_id']}")
    assert view.get_by_role("button", name="Previous record").is_disabled()
    assert view.get_by_role("button", name="Next record").is_enabled()
    page.go_back()
    page.wait_for_function("() => !document.getElementById('release-view')?.open")
    assert urlsplit(page.url).path.endswith("/collection/all/") and _open_of(page) == ""
