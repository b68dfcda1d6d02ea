"""What a collector can count on the site, counted again here from the fake world's own JSON: an original year
Discogs cannot vouch for (its master answers 404) is unknown in the data, the exports, the list and the charts'
notes, and the coverage figures count masters found; artists leave compilations out in the tile as in the
chart; months are the months Discogs wrote. Built once by the real pipeline over HTTP against the fake API,
read in Chromium."""

from __future__ import annotations

import calendar
import csv
import io
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.accounts.vault import generate_key
from pipeline.fakes.discogs import FakeDiscogs, generate_world
from pipeline.runs.build import build, open_instance
from pipeline.runs.status import collect
from tests.browser import serve, settled
from tests.conftest import register, settings_for

USERS = """users:
  - name: al
    discogs_username: alice
    visibility: public
    publish:
      value: true
"""
PER_PAGE = 25


@dataclass
class Built:
    output: Path
    world: object
    settings: object
    instance: object
    refused: int  # a master that exists but answered 404 (the fake's `notfound` fault) when it was asked for
    late: dict     # the item added on a month's last evening in California (the next month in UTC)

    def rows(self, name: str = "releases.json") -> list[dict]:
        data = json.loads((self.output / "u" / "al" / "collection" / name).read_text(encoding="utf-8"))
        return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("counts")
    world = generate_world("alice:230", catalog_size=600)
    items = world.user("alice").items
    with world.lock:
        late = items[100]
        year, month = map(int, late["date_added"][:7].split("-"))
        late["date_added"] = f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]}T17:09:00-08:00"
        # An older answer: the item does not say its master (which is not "no master").
        next(i for i in items[140:] if i["basic_information"]["master_id"])["basic_information"].pop("master_id")
        world.version += 1
    refused = next(i["basic_information"]["master_id"] for i in items[120:]
                   if i["basic_information"]["master_id"] in world.masters)
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("DISCOGS")]:
            env.delenv(name)
        env.setenv("DISCOGS_SITE_KEY", generate_key())
        env.setenv("DISCOGS_RATELIMIT_DIR", str(root / "ratelimit"))
        register(root, USERS, {"al": "alice"})
        with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
            fake.inject("notfound", path=rf"^/masters/{refused}$")  # Discogs' answer for a master it lacks
            settings = settings_for(root, fake)
            instance = open_instance(root / "dagster")
            outcomes, published = build(settings, instance=instance, report=lambda _: None)
            assert published and all(o.ok for o in outcomes), [o.error for o in outcomes]
            assert [s.path for s in fake.requests(f"/masters/{refused}")] == [f"/masters/{refused}"]
            yield Built(root / "output", world, settings, instance, refused, late)


def expected(built: Built) -> dict[int, dict]:
    """Per instance, from the world's JSON alone: the original year (the master's; a release without a master is
    its own original), why it is unknown, and whether the master was found."""
    found = {}
    for item in built.world.items("alice"):
        info = item["basic_information"]
        master_id = info.get("master_id")
        master = built.world.masters.get(master_id) if master_id and master_id != built.refused else None
        year = 0 if master_id is None else (master["year"] if master else 0) if master_id else info["year"]
        cause = (None if year else "master_unsaid" if master_id is None
                 else "master_missing" if master_id and master is None else "no_year")
        found[item["instance_id"]] = {
            "original": year or None, "pressing": info["year"] or None, "with_master": bool(master_id),
            "found": master is not None, "title": info["title"], "item": item, "cause": cause}
    return found


def share(part: int, whole: int) -> str:
    """As a collector would want it said: 100% only when all are, 0% only when none is."""
    shown = round(100 * part / whole)
    return f"{min(99, max(1, shown)) if 0 < part < whole else shown}%"


def test_an_original_year_discogs_cannot_vouch_for_is_empty_in_the_data_and_exports(built):
    world = expected(built)
    missing = [i for i, e in world.items() if e["cause"] == "master_missing" and e["pressing"]]
    assert missing and any(e["item"]["basic_information"]["master_id"] == built.refused for e in world.values())
    rows = {r["instance_id"]: r for r in built.rows()}
    assert {i: r["original_year"] for i, r in rows.items()} == {i: e["original"] for i, e in world.items()}
    exported = {r["instance_id"]: r for r in json.loads((built.output / "u" / "al" / "collection" / "export.json")
                                                          .read_text(encoding="utf-8"))}
    assert {i: r["original_year"] for i, r in exported.items()} == {i: e["original"] for i, e in world.items()}
    text = (built.output / "u" / "al" / "collection" / "export.csv").read_text(encoding="utf-8-sig")
    table = {int(r["instance_id"]): r for r in csv.DictReader(io.StringIO(text))}
    assert {i: table[i]["original_year"] for i in missing} == dict.fromkeys(missing, "")
    assert all(table[i]["year"] == str(world[i]["pressing"]) for i in missing)
    # The coverage figure counts masters found, not masters asked for: in stats.json, the build's metadata and
    # `discogs-site status`.
    with_master = [e for e in world.values() if e["with_master"]]
    found = sum(e["found"] for e in with_master)
    assert found < len(with_master)
    stats = json.loads((built.output / "u" / "al" / "collection" / "stats.json").read_text(encoding="utf-8"))
    assert stats["totals"]["enrichment_coverage"] == round(found / len(with_master), 4)
    status = next(s for s in collect(built.settings, built.instance) if s.name == "al")
    assert status.coverage == f"{found / len(with_master):.0%}"


def test_the_dashboard_says_how_many_original_years_are_unknown_and_why(built, page):
    world = expected(built)
    causes = Counter(e["cause"] for e in world.values() if e["cause"])
    known = sum(1 for e in world.values() if e["original"])
    infos = [i["basic_information"] for i in built.world.items("alice")]
    names = [{re.sub(r" \(\d+\)$", "", a["name"].strip()) for a in info["artists"]} for info in infos]
    artists = set().union(*names) - {"Various"}
    compilations = sum("Various" in n for n in names)
    months = Counter(i["date_added"][:7] for i in built.world.items("alice"))  # as Discogs wrote the date
    late_month = built.late["date_added"][:7]
    with serve(built.output) as url:
        page.goto(url + "u/al/collection/")
        page.wait_for_selector("html[data-charts-drawn]")
        tiles = dict(zip(page.locator(".summary dt").all_inner_texts(),
                         page.locator(".summary dd").all_inner_texts(), strict=True))
        assert tiles["Original year known"] == f"{share(known, 230)} of records"
        assert tiles["Artists"] == f"{len(artists):,}" and compilations > 0
        note = (f"{230 - known:,} items have no known original year and are not shown: "
                f"{causes['master_missing']:,} whose master Discogs does not have; "
                f"{causes['master_unsaid']:,} whose master Discogs did not say; "
                f"{causes['no_year']:,} with no year on Discogs.")
        assert page.locator("#decades .chart-note").inner_text() == note
        assert page.locator("#years .chart-note").inner_text() == note
        assert f"Compilations by Various: {compilations:,} items, not ranked." in \
            page.locator("#artists .chart-note").inner_text()
        shown = page.locator('table[data-table="artists"] tbody tr td:first-child').all_inner_texts()
        assert "Various" not in shown and len(shown) == 10
        growth = dict(page.locator('table[data-table="growth"] tbody tr').evaluate_all(
            "rows => rows.map(r => [r.cells[0].textContent, Number(r.cells[1].textContent)])"))
        assert {m: growth[m] for m in months} == {m: sum(n for k, n in months.items() if k <= m) for m in months}
        # The late record is in the month it shows, not in UTC's next one.
        assert datetime.fromisoformat(built.late["date_added"]).astimezone(UTC).strftime("%Y-%m") != late_month
        # The value: Discogs' whole collection, said so beside the published count; one snapshot is its figure.
        value = json.loads((Path(built.settings.stores.state_dir) / "collections" / "al.values.json").read_text())
        assert len(value) == 1
        label = next(t for t in tiles if t.startswith("Value"))
        assert "whole collection, private folders included" in label and tiles[label] == value[0]["median"]
        chart = page.locator("figure#value")
        assert chart.locator(".big-figure").inner_text() == f"{value[0]['median']} on {value[0]['date']}"
        assert chart.locator("canvas").count() == 0
        assert "Discogs values the whole collection, private folders included" in \
            chart.locator(".chart-note").inner_text()
        # The growth table's month opens exactly the records added by then, the late one in its own month.
        page.goto(url + f"u/al/collection/all/?until={late_month}")
        page.wait_for_selector("html[data-list-ready]")
        settled(page)
        assert int(page.get_by_test_id("result-count").inner_text()) == growth[late_month]
        assert page.locator("#status").inner_text().startswith("of 230 records")


def test_the_list_says_this_pressings_year_and_the_original_unknown_and_sorts_it_with_the_unknown(built, page):
    world = expected(built)
    instance, record = next((i, e) for i, e in world.items() if e["cause"] == "master_missing" and e["pressing"])
    said = f"{record['pressing']} pressing · original year unknown"
    unknown = sum(1 for e in world.values() if not e["original"])
    with serve(built.output) as url:
        # The larger view.
        page.goto(url + f"u/al/collection/all/?open={instance}")
        page.wait_for_selector("html[data-list-ready]")
        view = page.get_by_role("dialog")
        view.wait_for()
        assert said in view.inner_text() and "Original year" not in view.inner_text()
        # By this pressing's year it is an ordinary record of that year, and its row says the rest.
        page.goto(url + f"u/al/collection/all/?years=pressing&year={record['pressing']}")
        page.wait_for_selector("html[data-list-ready]")
        settled(page)
        assert int(page.get_by_test_id("result-count").inner_text()) == \
            sum(1 for e in world.values() if e["pressing"] == record["pressing"])
        row = page.locator(f'#releases li[data-instance="{instance}"]')
        if not row.count():
            pages = math.ceil(int(page.get_by_test_id("result-count").inner_text()) / PER_PAGE)
            for number in range(2, pages + 1):
                page.goto(url + f"u/al/collection/all/?years=pressing&year={record['pressing']}&page={number}")
                page.wait_for_selector("html[data-list-ready]")
                settled(page)
                if row.count():
                    break
        assert said in row.locator(".meta").first.inner_text()
        # Oldest first by original year: every record of unknown original year comes last.
        last = math.ceil(230 / PER_PAGE)
        page.goto(url + f"u/al/collection/all/?sort=year&page={last}")
        page.wait_for_selector("html[data-list-ready]")
        settled(page)
        shown = page.locator("#releases li").evaluate_all("items => items.map(i => i.dataset.instance)")
        tail = shown[-min(unknown, len(shown)):]
        assert tail and all(world[int(i)]["original"] is None for i in tail)
        # The month a row shows is the month Discogs wrote (the late record's own evening).
        page.goto(url + f"u/al/collection/all/?open={built.late['instance_id']}")
        page.wait_for_selector("html[data-list-ready]")
        page.get_by_role("dialog").wait_for()
        assert built.late["date_added"][:10] in page.get_by_role("dialog").inner_text()
