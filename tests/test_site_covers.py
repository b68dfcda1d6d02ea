"""Covers in real Chromium: the cover wall, the larger view, the dashboard's "recently added" strip, and the
covers the site draws for releases without a Discogs image (no request leaves loopback for them); and the
list on a phone, its filters folded behind one button.

One collector with Discogs images (one of them on a host the pages may not load), one without any.
Expected values come from the published releases.json and covers.json, read here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.fakes.discogs import generate_world
from tests.browser import serve, watch
from tests.conftest import build_once

USERS = """users:
  - name: al
    discogs_username: alice
    visibility: public
  - name: ob
    display_name: Obi Nothumb
    discogs_username: obi
    visibility: public
"""
FOREIGN_IMAGE = "https://images.example.org/cover.jpg"  # not Discogs': the pages' CSP would block it


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("covers-site")
    world = generate_world("alice:120,obi:70", catalog_size=400)
    with world.lock:
        for item in world.user("obi").items:  # releases nobody photographed
            item["basic_information"]["thumb"] = item["basic_information"]["cover_image"] = ""
        newest = max(world.user("alice").items, key=lambda i: i["date_added"])
        newest["basic_information"]["thumb"] = newest["basic_information"]["cover_image"] = FOREIGN_IMAGE
        world.version += 1
    build_once(root, world, USERS, {"al": "alice", "ob": "obi"})
    return root / "output"


def releases(output: Path, user: str) -> list[dict]:
    data = json.loads((output / "u" / user / "collection" / "releases.json").read_text(encoding="utf-8"))
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


@pytest.fixture(scope="module")
def base_url(output):
    with serve(output) as url:
        yield url


def list_ready(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-list-ready]")


def test_the_cover_wall_is_in_the_address_and_a_cover_opens_a_larger_view_from_the_keyboard(page, base_url, output):
    rows = releases(output, "al")
    large = json.loads((output / "u" / "al" / "collection" / "covers.json").read_text())["covers"]
    list_ready(page, base_url + "u/al/collection/all/")
    page.get_by_role("button", name="Covers").click()
    assert "view=covers" in page.url
    assert page.get_by_role("button", name="Covers").get_attribute("aria-pressed") == "true"
    tiles = page.locator("ol.wall > li.tile")
    assert tiles.count() == min(48, len(rows))
    # The wall keeps the list's order (newest first) and its filters.
    assert tiles.nth(1).get_attribute("data-instance") == str(rows[1]["instance_id"])
    second = rows[1]
    tiles.nth(1).locator("button").focus()
    page.keyboard.press("Enter")
    view = page.get_by_role("dialog")
    assert view.is_visible()
    assert view.get_by_role("heading").inner_text().startswith(second["title"])
    assert f"open={second['instance_id']}" in page.url
    big = view.locator(".big-cover img")
    big.wait_for()
    page.wait_for_function("() => document.querySelector('.big-cover img').src.includes('/cover')")
    assert big.get_attribute("src") == large[str(second["instance_id"])]
    facts = dict(zip(view.locator("dt").all_inner_texts(), view.locator("dd").all_inner_texts(), strict=True))
    assert facts["Added"] == second["date_added"][:10]
    assert facts["Genres"] == ", ".join(second["genres"])
    assert view.get_by_role("link", name="This release on Discogs").get_attribute("href") == \
        f"https://www.discogs.com/release/{second['release_id']}"
    page.keyboard.press("Escape")
    page.wait_for_function("() => !location.search.includes('open=')")  # the dialog's close event is queued
    assert not view.is_visible() and "view=covers" in page.url
    assert page.evaluate("document.activeElement.dataset.open") == str(second["instance_id"]), \
        "focus goes back to the cover that opened the view"
    # A shared link opens the same record in the same view.
    list_ready(page, f"{base_url}u/al/collection/all/?view=covers&open={second['instance_id']}")
    assert page.get_by_role("dialog").get_by_role("heading").inner_text().startswith(second["title"])


def test_the_dashboard_strip_shows_the_newest_covers_each_opening_its_record(page, base_url, output):
    rows = releases(output, "al")
    page.goto(base_url + "u/al/collection/")
    strip = page.get_by_test_id("recent").locator("a")
    assert strip.count() == 18
    hrefs = [strip.nth(i).get_attribute("href") for i in range(18)]
    assert hrefs == [f"all/?open={r['instance_id']}" for r in rows[:18]]
    # The newest carries an image from a host the page may not load: drawn instead, never requested.
    assert strip.nth(0).locator("svg.art").count() == 1 and strip.nth(0).locator("img").count() == 0
    assert strip.nth(1).locator("img").get_attribute("src") == rows[1]["thumb"]
    strip.nth(2).click()
    page.wait_for_selector("html[data-list-ready]")
    assert page.get_by_role("dialog").get_by_role("heading").inner_text().startswith(rows[2]["title"])


def _initials(artist: str, title: str) -> str:
    source = artist if artist and not artist.lower().startswith("various") else title
    words = re.sub(r"\(\d+\)", "", source or "?").split()
    letters = [next((c for c in w if c.isalnum()), "") for w in words]
    return ("".join(c for c in letters if c)[:2] or "?").upper()


def test_releases_without_an_image_get_a_drawn_cover_the_same_on_every_page(page, base_url, output):
    rows = releases(output, "ob")
    list_ready(page, base_url + "u/ob/collection/all/")
    shown = page.locator("#releases > li")
    assert shown.count() == 25 and page.locator("#releases img").count() == 0
    drawn = [shown.nth(i).locator("svg.art") for i in range(25)]
    assert [d.locator("text").text_content() for d in drawn] == [_initials(r["artist"], r["title"]) for r in rows[:25]]
    grounds = {d.locator("rect").first.get_attribute("fill") for d in drawn}
    assert len(grounds) > 10, "each release its own colours"
    first = drawn[0].evaluate("node => node.outerHTML")
    page.get_by_role("button", name="Covers").click()
    assert page.locator("ol.wall > li.tile").first.locator("svg.art").evaluate("n => n.outerHTML") == first
    assert page.seen.covers == [], "nothing was asked of Discogs' image host for a collection without images"
    # The index draws the same covers for the same releases.
    page.goto(base_url)
    person = page.locator("#people li", has_text="Obi Nothumb")
    assert person.locator("svg.art").count() == 4
    assert person.locator("svg.art").first.evaluate("n => n.outerHTML") == first


def test_on_a_phone_the_filters_fold_behind_one_button_and_the_first_records_show_at_once(browser, base_url, output):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    seen = watch(page)
    list_ready(page, base_url + "u/al/collection/all/")
    first = page.locator("#releases > li").first.bounding_box()
    assert first["y"] + first["height"] <= 844, "the first record shows without scrolling"
    genre, toggle = page.locator("select[name=genre]"), page.locator("#filters-toggle")
    assert page.get_by_role("searchbox").is_visible() and not genre.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert genre.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    value = genre.locator("option:not([value=''])").first.get_attribute("value")
    genre.select_option(value)
    chip = page.get_by_role("button", name=f"Remove the filter Genre: {value}")
    assert toggle.inner_text() == "Filters (1)"
    toggle.click()  # folded again: the chip still says what narrows the list
    assert not genre.is_visible() and chip.is_visible()
    total = len(releases(output, "al"))
    chip.click()
    page.wait_for_function(f"() => document.querySelector('[data-testid=result-count]').textContent === '{total}'")
    assert genre.input_value() == "" and "genre=" not in page.url
    context.close()
    assert seen.errors == [] and seen.escaped == []


def test_a_plain_first_visit_shows_the_newest_rows_while_the_whole_list_loads(page, base_url, output):
    rows = releases(output, "al")
    held = []
    # The whole list waits until the test lets it through.
    page.route("**/releases.json", lambda route: held.append(route))
    page.goto(base_url + "u/al/collection/all/")
    page.wait_for_selector("html[data-first-rows]")
    shown = page.locator("#releases .title a").all_text_contents()
    assert shown == [r["title"] or "(untitled)" for r in rows[:25]]
    assert page.get_by_test_id("result-count").inner_text() == f"{len(rows):,}"
    # The worker asks for the whole list on its own time (later than the first rows on a busy machine).
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert page.locator("html[data-list-ready]").count() == 0 and held
    held[0].fallback()
    page.wait_for_selector("html[data-list-ready]")
    assert page.locator("#releases .title a").all_text_contents() == shown
    page.unroute("**/releases.json")
    # A narrower view waits for the whole list: the newest rows would be the wrong ones.
    list_ready(page, base_url + "u/al/collection/all/?sort=title")
    assert page.evaluate("performance.getEntriesByName('first-rows').length") == 0
