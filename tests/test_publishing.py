"""What a collector chooses to publish (users.yaml `publish:`), built over real HTTP against the fake API.

A private folder's items and unpublished custom fields reach no file under output/ and no stored
table; published folders and fields arrive whole, checked against the world's own items; each choice
costs the requests it must (one for folder names, one for fields) and nothing when it is not made.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline.fakes.discogs import FakeDiscogs, generate_world
from pipeline.fakes.discogs.generator import GRADES
from pipeline.runs.build import build, open_instance
from tests.browser import serve, settled
from tests.conftest import built_site, register, settings_for

USERS = """users:
  - name: al
    discogs_username: alice
    visibility: public
    publish:
      folders: true
      private_folders: [box in the ATTIC]
      fields: [Media Condition, sleeve condition]
      value: true
      wantlist: true
  - name: ob
    discogs_username: obi
    visibility: public
"""
PRIVATE_FOLDER = 2002  # "Box in the attic" in generated worlds
CONDITIONS = {1: "field:Media Condition", 2: "field:Sleeve Condition"}


@pytest.fixture
def built(tmp_path):
    world = generate_world("alice:230,obi:120", catalog_size=600)
    with built_site(tmp_path, world, USERS, {"al": "alice", "ob": "obi"}) as site:
        yield site


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _releases(settings, user: str = "al") -> list[dict]:
    data = json.loads((Path(settings.site.output_dir) / "u" / user / "collection" / "releases.json").read_text())
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


def _note(item: dict, field_id: int) -> str | None:
    return next((n["value"] for n in item.get("notes", []) if n["field_id"] == field_id), None)


def test_a_private_folder_and_unpublished_fields_reach_no_published_file_nor_the_stored_table(built):
    world, _, settings, _ = built
    items = world.items("alice")
    hidden = [i for i in items if i["folder_id"] == PRIVATE_FOLDER]
    shown = [i for i in items if i["folder_id"] != PRIVATE_FOLDER]
    assert hidden and shown
    others = {i["basic_information"]["title"] for i in [*shown, *world.items("obi")]}  # obi hides nothing
    secret_titles = {i["basic_information"]["title"] for i in hidden} - others
    # Values of fields alice does not publish: Notes (3) and Price paid (4), wherever the item is.
    secret_values = {_note(i, f) for i in items for f in (3, 4)} - {None}
    assert secret_titles and any(v.startswith("€") for v in secret_values) and len(secret_values) > 5
    for path, data in _files(Path(settings.site.output_dir)).items():
        text = data.decode("utf-8", errors="replace")
        leaked = [str(i["instance_id"]) for i in hidden if str(i["instance_id"]) in text]
        leaked += [t for t in secret_titles | secret_values if t in text]
        leaked += ["Box in the attic"] if "box in the attic" in text.lower() else []
        assert not leaked, (path, leaked[:5])
    # The stored table keeps the published fields' values only (private folders' items stay: the count check
    # needs them, and the state is sealed before any cache sees it).
    stored = pl.read_parquet(Path(settings.stores.state_dir) / "collections" / "al.parquet")
    assert {n["field_id"] for notes in stored["notes"].to_list() for n in notes or []} == {1, 2}
    for path, data in _files(Path(settings.stores.state_dir)).items():
        assert not any(v.encode() in data for v in secret_values), path
    # What is published: every other item, with its folder's name and its conditions as Discogs holds them.
    rows = {r["instance_id"]: r for r in _releases(settings)}
    assert set(rows) == {i["instance_id"] for i in shown}
    names = {1: "Uncategorized", 2001: "Shelf A"}
    for item in shown:
        row = rows[item["instance_id"]]
        assert row["folder"] == names[item["folder_id"]]
        assert {f: row[c] for f, c in CONDITIONS.items()} == {f: _note(item, f) for f in CONDITIONS}
    collection = Path(settings.site.output_dir) / "u" / "al" / "collection"
    exported = list(csv.DictReader(io.StringIO((collection / "export.csv").read_text(encoding="utf-8-sig"))))
    assert len(exported) == len(shown) and {"folder", "Media Condition", "Sleeve Condition"} <= set(exported[0])
    stats = json.loads((collection / "stats.json").read_text())
    assert stats["totals"]["items"] == len(shown)


def test_folders_and_fields_cost_one_request_each_and_only_for_who_publishes_them(built):
    _, fake, settings, instance = built
    for round_ in ("first", "unchanged"):
        if round_ == "unchanged":
            fake.reset_log()
            outcomes, _ = build(settings, instance=instance, report=lambda _: None)
            assert all(o.ok for o in outcomes)
        paths = [s.path for s in fake.requests()]
        assert paths.count("/users/alice/collection/folders") == 1, round_
        assert paths.count("/users/alice/collection/fields") == 1, round_
        assert not [p for p in paths if p in ("/users/obi/collection/folders", "/users/obi/collection/fields")]
    assert [p for p in paths if p.startswith("/users/obi")] == ["/users/obi/collection/folders/0/releases"]


def test_a_change_of_choice_rereads_every_row_and_a_misspelt_private_folder_publishes_nothing(built):
    world, _, settings, instance = built
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("fields: [Media Condition, sleeve condition]", "fields: [Notes]"))
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert all(o.ok for o in outcomes)
    rows = _releases(settings)
    assert "text:Notes" in rows[0] and not set(CONDITIONS.values()) & set(rows[0])
    notes = {i["instance_id"]: _note(i, 3) for i in world.items("alice")}
    assert {r["instance_id"]: r["text:Notes"] for r in rows} == {i: notes[i] for i in (r["instance_id"] for r in rows)}
    stored = pl.read_parquet(Path(settings.stores.state_dir) / "collections" / "al.parquet")
    assert {n["field_id"] for notes_ in stored["notes"].to_list() for n in notes_ or []} == {3}
    # A private folder Discogs does not have: the user fails with one line naming it; nothing new is published.
    users.write_text(users.read_text().replace("[box in the ATTIC]", "[Box in teh attic]"))
    lines: list[str] = []
    outcomes, published = build(settings, instance=instance, report=lines.append)
    failed = {o.name: o.error for o in outcomes if not o.ok}
    assert list(failed) == ["al"] and "'Box in teh attic'" in failed["al"]
    assert any(line.startswith("al: FAILED") and "\n" not in line for line in lines)
    # The build's log may be public: it names the missing folder only, never the owner's other folders
    # (the operator finds those in the step's failure in Dagster).
    assert not any("Shelf A" in line for line in [*lines, *failed.values()])
    failure = next(r for r in instance.get_runs() if r.tags.get("dagster/partition") == "al"
                   and r.status is dg.DagsterRunStatus.FAILURE)
    events = instance.all_logs(failure.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    shown = events[0].dagster_event.step_failure_data.user_failure_data.metadata["folders_on_discogs"]
    assert "'Shelf A'" in shown.value


def test_pages_staged_under_other_choices_are_not_published_while_the_sync_fails(built):
    world, _, settings, instance = built
    users, output = Path(settings.stores.users_file), Path(settings.site.output_dir)
    shelf = {i["instance_id"] for i in world.items("alice") if i["folder_id"] == 2001}
    assert shelf and shelf <= {r["instance_id"] for r in _releases(settings)}
    # "Shelf A" becomes private while alice's token no longer works: her staged pages show it.
    users.write_text(users.read_text().replace("[box in the ATTIC]", "[box in the ATTIC, Shelf A]"))
    world.revoke("alice")
    lines: list[str] = []
    outcomes, published = build(settings, instance=instance, report=lines.append)
    assert published and [o.name for o in outcomes if not o.ok] == ["al"]
    assert not (output / "u" / "al").exists() and (output / "u" / "ob" / "collection" / "releases.json").is_file()
    assert any("'al'" in line and "publishing choices changed" in line for line in lines)
    world.personal_tokens["fake-token-alice"] = "alice"  # access restored: the next build publishes her again
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert all(o.ok for o in outcomes)
    assert not shelf & {r["instance_id"] for r in _releases(settings)}


def test_published_folders_and_conditions_are_list_filters_that_count_what_the_data_says(built, page):
    world, _, settings, _ = built
    shown = [i for i in world.items("alice") if i["folder_id"] != PRIVATE_FOLDER]
    with serve(Path(settings.site.output_dir)) as url:
        page.goto(url + "u/al/collection/all/")
        page.wait_for_selector("html[data-list-ready]")
        settled(page)
        folders = page.locator('select[name="folder"] option').evaluate_all(
            "os => os.filter(o => o.value).map(o => [o.value, o.textContent])")
        assert folders == [["Shelf A", f"Shelf A ({sum(i['folder_id'] == 2001 for i in shown):,})"],
                           ["Uncategorized", f"Uncategorized ({sum(i['folder_id'] == 1 for i in shown):,})"]]
        grades = page.locator('select[name="field:Media Condition"] option').evaluate_all(
            "os => os.filter(o => o.value).map(o => [o.value, o.textContent])")
        counted = Counter(v for i in shown if (v := _note(i, 1)))
        # In Discogs' own order of the grades (Mint first), as the owner's field lists them.
        assert grades == [[g, f"{g} ({counted[g]:,})"] for g in GRADES if g in counted]
        grade = "Very Good Plus (VG+)"
        graded = [i for i in shown if _note(i, 1) == grade]
        page.locator('select[name="field:Media Condition"]').select_option(grade)
        settled(page)
        assert int(page.get_by_test_id("result-count").inner_text()) == len(graded) > 0
        assert "field%3AMedia+Condition=Very+Good" in page.url or "field:Media+Condition=Very+Good" in page.url
        # Turned round and combined with a folder: everything on Shelf A but VG+ copies.
        page.get_by_role("checkbox", name="Exclude the chosen Media Condition").check()
        page.locator('select[name="folder"]').select_option("Shelf A")
        settled(page)
        expected = [i for i in shown if i["folder_id"] == 2001 and _note(i, 1) != grade]
        assert int(page.get_by_test_id("result-count").inner_text()) == len(expected)
        assert page.get_by_role("button", name=f"Remove the filter Media Condition: not {grade}").is_visible()
        # The larger view names the folder and the conditions.
        first = page.locator("#releases button[data-open]").first
        instance = int(first.get_attribute("data-open"))
        first.click()
        item = next(i for i in shown if i["instance_id"] == instance)
        facts = dict(zip(page.locator("#release-view dt").all_inner_texts(),
                         page.locator("#release-view dd").all_inner_texts(), strict=True))
        assert facts["Folder"] == "Shelf A" and facts.get("Media Condition") == _note(item, 1)
        # The dashboard charts each published facet; a bar opens a list of exactly its records.
        page.goto(url + "u/al/collection/")
        table = page.locator("figure", has=page.get_by_role("heading", name="Media Condition", exact=True))
        rows = table.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => [r.cells[0].textContent, Number(r.cells[1].textContent),"
            " r.querySelector('a').href])")
        assert {name: n for name, n, _ in rows} == dict(Counter(v for i in shown if (v := _note(i, 1))))
        assert [name for name, _, _ in rows] == [g for g in GRADES if g in counted]
        unset = sum(_note(i, 1) is None for i in shown)
        assert table.locator(".chart-note").inner_text() == f"{unset:,} items have no Media Condition."
        name, n, link = rows[-1]
        page.goto(link)
        page.wait_for_selector("html[data-list-ready]")
        settled(page)
        assert int(page.get_by_test_id("result-count").inner_text()) == n
        assert page.get_by_role("button", name=f"Remove the filter Media Condition: {name}").is_visible()
        # Someone who publishes nothing gets none of these filters.
        page.goto(url + "u/ob/collection/all/")
        page.wait_for_selector("html[data-list-ready]")
        assert page.locator('select[name="folder"]').count() == 0


def test_value_snapshots_accumulate_one_a_day_are_never_refetched_and_are_charted(built, page):
    world, fake, settings, instance = built
    history = Path(settings.stores.state_dir) / "collections" / "al.values.json"
    today = json.loads(history.read_text())
    assert [s["median"] for s in today] == [f"${230 * 6.4:,.2f}"]  # the first build took today's
    earlier = [{"date": "2026-01-01", "minimum": "$1.00", "median": "$2.00", "maximum": "$3.00"},
               {"date": "2026-02-01", "minimum": "$10.00", "median": "$20.00", "maximum": "$30.00"}]
    history.write_text(json.dumps(earlier + today))  # as if built on two earlier days
    fake.reset_log()
    build(settings, instance=instance, report=lambda _: None)
    assert fake.count("/users/alice/collection/value") == 0  # today's is there: not fetched again
    assert json.loads(history.read_text()) == earlier + today
    # A new day (today's snapshot not taken yet) with a different estimate: one request, the past untouched.
    history.write_text(json.dumps(earlier))
    world.user("alice").value = {"minimum": "$5.00", "median": "$1,234.50", "maximum": "$99.00"}
    build(settings, instance=instance, report=lambda _: None)
    assert fake.count("/users/alice/collection/value") == 1 and fake.count("/users/obi/collection/value") == 0
    days = json.loads(history.read_text())
    assert days[:2] == earlier and days[2]["median"] == "$1,234.50" and len(days) == 3
    with serve(Path(settings.site.output_dir)) as url:
        page.goto(url + "u/al/collection/")
        chart = page.locator("figure#value")
        rows = chart.locator("tbody tr").evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.textContent))")
        assert rows == [["2026-01-01", "2.00"], ["2026-02-01", "20.00"], [days[2]["date"], "1,234.50"]]
        assert "lowest $5.00, median $1,234.50, highest $99.00" in chart.locator(".chart-note").inner_text()
        summary = page.get_by_test_id("summary").inner_text()
        assert "Value of the whole collection, private folders included" in summary and "$1,234.50" in summary
        page.goto(url + "u/ob/collection/")
        assert page.locator("figure#value").count() == 0 and "Value" not in page.get_by_test_id("summary").inner_text()


def test_a_published_wantlist_has_its_page_its_feed_and_syncs_in_one_request_when_unchanged(tmp_path, page):
    world = generate_world("carol:900,dan:40", catalog_size=3000)
    register(tmp_path, USERS.replace("alice", "carol").replace("obi", "dan"), {"al": "carol", "ob": "dan"})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        settings = settings_for(tmp_path, fake)
        instance = open_instance(tmp_path / "dagster")
        wanted = world.user("carol").wants
        assert len(wanted) == 112  # two pages of 100
        requests = []
        for change in ("first", "unchanged", "one more want", "one want fewer"):
            if change == "one more want":
                taken = {w["id"] for w in world.user("carol").wants}
                extra = next(w for w in world.catalog.wants("extra", 50, catalog_size=3000) if w["id"] not in taken)
                world.add_wants("carol", [extra])
            elif change == "one want fewer":
                world.remove_wants("carol", {wanted[5]["id"]})
            fake.reset_log()
            outcomes, _ = build(settings, instance=instance, report=lambda _: None)
            assert all(o.ok for o in outcomes), [o.error for o in outcomes]
            requests.append(fake.count("/users/carol/wants"))
            assert fake.count("/users/dan/wants") == 0
            published = json.loads((Path(settings.site.output_dir) / "u" / "al" / "wantlist" / "wants.json")
                                   .read_text())
            ids = [row[published["columns"].index("release_id")] for row in published["rows"]]
            assert sorted(ids) == sorted(w["id"] for w in world.user("carol").wants), change
        assert requests == [2, 1, 2, 2]
        output = Path(settings.site.output_dir)
        assert not (output / "u" / "ob" / "wantlist").exists()
        feed = ET.fromstring((output / "u" / "al" / "wantlist" / "feed.xml").read_bytes())
        atom = "{http://www.w3.org/2005/Atom}"
        assert feed.findtext(f"{atom}title") == "al's wantlist: new wants"
        newest = max(world.user("carol").wants, key=lambda w: w["date_added"])
        assert newest["basic_information"]["title"] in feed.find(f"{atom}entry").findtext(f"{atom}title")
        assert not any("Ask at the fair" in p.read_text(errors="replace") for p in output.rglob("*.*"))  # notes
        with serve(output) as url:
            page.goto(url + "u/al/collection/")
            page.get_by_role("link", name="Wantlist").click()
            page.wait_for_selector("html[data-list-ready]")
            settled(page)
            assert page.locator("h1").inner_text() == "al's wantlist"
            rows = [dict(zip(published["columns"], row, strict=True)) for row in published["rows"]]
            assert int(page.get_by_test_id("result-count").inner_text()) == len(rows)
            genre = Counter(g for r in rows for g in r["genres"]).most_common(1)[0][0]
            page.locator('select[name="genre"]').select_option(genre)
            settled(page)
            assert int(page.get_by_test_id("result-count").inner_text()) == sum(genre in r["genres"] for r in rows)


FRIENDS = USERS + """  - name: un
    display_name: Una Nonymous
    discogs_username: una
    visibility: unlisted
  - name: pi
    display_name: Pia Private
    discogs_username: pia
    visibility: private
"""


def test_what_public_collectors_have_in_common_matches_a_set_computation_and_never_names_the_unlisted(
        tmp_path, page):
    world = generate_world("alice:230,obi:120,una:150,pia:150", catalog_size=300)
    register(tmp_path, FRIENDS, {"al": "alice", "ob": "obi", "un": "una", "pi": "pia"})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        settings = settings_for(tmp_path, fake)
        outcomes, published = build(settings, instance=open_instance(tmp_path / "dagster"), report=lambda _: None)
    assert published and all(o.ok for o in outcomes)
    output = Path(settings.site.output_dir)
    # Independently: what each public collector publishes (alice's attic box left out), by release and master.
    items = {"al": [i for i in world.items("alice") if i["folder_id"] != PRIVATE_FOLDER], "ob": world.items("obi")}
    releases = {u: {i["id"] for i in found} for u, found in items.items()}
    master_of = {i["id"]: i["basic_information"]["master_id"] for found in items.values() for i in found}
    masters = {u: {master_of[r] for r in ids} - {0} for u, ids in releases.items()}
    # A record in common: the same master, or the very same release when Discogs lists it without one.
    record = {r: ("master", m) if m else ("release", r) for r, m in master_of.items()}
    records = {u: {record[r] for r in ids} for u, ids in releases.items()}
    for me, other in (("al", "ob"), ("ob", "al")):
        friends = json.loads((output / "u" / me / "collection" / "friends.json").read_text())
        same = {str(r): {"names": [[other, other]], "more": 0} for r in releases[me] & releases[other]}
        master = {str(r): {"names": [[other, other]], "more": 0} for r in releases[me] - releases[other]
                  if master_of[r] in masters[other]}
        assert friends == {"same": same, "master": master} and same and master, me
        pair = (output / "u" / me / "shared" / other / "index.html").read_text()
        assert f"<dt>Records in common (any pressing)</dt><dd>{len(records[me] & records[other]):,}</dd>" in pair
        assert f"<dt>Of them, the very same release</dt><dd>{len(releases[me] & releases[other]):,}</dd>" in pair
        assert any(not master_of[r] for r in releases[me] & releases[other]), "the world shares no masterless release"
    wanted = {w["id"] for w in world.user("alice").wants}
    owners = json.loads((output / "u" / "al" / "wantlist" / "owners.json").read_text())
    assert owners == {"same": {str(r): {"names": [["ob", "ob"]], "more": 0} for r in wanted & releases["ob"]},
                      "master": {}}
    # The unlisted collector takes no part either way: never named, her records never counted, no page of hers.
    unlisted = next(p.name for p in (output / "u").iterdir() if p.name.startswith("un-"))
    for path in output.rglob("*"):
        if path.is_file() and unlisted not in path.parts:
            text = path.read_text(errors="replace")
            assert "Una Nonymous" not in text and unlisted not in text and "Pia Private" not in text, path
    assert not (output / "u" / unlisted / "collection" / "friends.json").exists()
    taste = json.loads((Path(settings.stores.state_dir) / "shared" / "taste.json").read_text())
    named = {n for kind in ("friends", "wanted") for found in taste[kind].values() for v in found.values()
             for entry in (v.values() if kind == "friends" else [v]) for n in entry["names"]}
    assert named == {"al", "ob"} and set(taste["pairs"]) == {"al", "ob"}  # the shared_taste asset leaves her out
    assert not (output / "u" / unlisted / "shared").exists()
    with serve(output) as url:
        page.goto(url + "u/al/collection/")
        in_common = len(records["al"] & records["ob"])
        assert page.get_by_test_id("pairs").inner_text() == f"ob: {in_common:,} records in common"
        page.get_by_test_id("pairs").get_by_role("link", name="ob").click()
        assert page.locator("h1").inner_text() == "al and ob: shared taste"
        shown = page.get_by_test_id("common").locator("li").evaluate_all("items => items.map(i => i.dataset.release)")
        # Exactly what the count says: one line per record in common, each one of al's own pressings of it.
        common = records["al"] & records["ob"]
        assert {record[int(r)] for r in shown} <= common and {int(r) for r in shown} <= releases["al"]
        assert len({record[int(r)] for r in shown}) == len(shown) == min(100, len(common))
        assert page.get_by_test_id("in-common").locator("dd").first.inner_text() == f"{len(common):,}"
        first_shared = next(r for r in sorted(releases["al"] & releases["ob"]))
        page.goto(url + "u/al/collection/all/?q=&open=" + str(next(
            i["instance_id"] for i in items["al"] if i["id"] == first_shared)))
        page.wait_for_selector("html[data-list-ready]")
        view = page.get_by_role("dialog")
        assert view.get_by_role("link", name="ob").get_attribute("href") == "../../../ob/collection/"
        # On the wantlist, who owns a wanted record.
        owned = sorted(wanted & releases["ob"])[0]
        page.goto(url + "u/al/wantlist/")
        page.wait_for_selector("html[data-list-ready]")
        row = page.locator(f'#releases li:has(a[href$="/release/{owned}"])')
        if not row.count():  # not on the first page: search for it
            title = next(w["basic_information"]["title"] for w in world.user("alice").wants if w["id"] == owned)
            page.locator('input[type="search"]').fill(title)
            settled(page)
        assert row.locator(".friends").inner_text() == "Owned by ob"
        assert row.locator(".friends a").get_attribute("href") == "../../ob/collection/"


def test_a_record_moved_into_a_private_folder_leaves_the_site_at_the_next_refresh(built):
    world, fake, settings, instance = built
    items = sorted((i for i in world.items("alice") if i["folder_id"] != PRIVATE_FOLDER),
                   key=lambda i: i["date_added"])
    moved = {i["instance_id"] for i in items[:3]}  # old records: not on the newest page
    assert moved <= {r["instance_id"] for r in _releases(settings)}
    for instance_id in moved:
        world.update_item("alice", instance_id, folder_id=PRIVATE_FOLDER)
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert not moved & {r["instance_id"] for r in _releases(settings)}
    al = next(o for o in outcomes if o.name == "al")
    assert al.metadata["collection.mode"] == "full"
    # The build's summary (a public log, often) counts what the site shows, not the private folder.
    shown = [i for i in world.items("alice") if i["folder_id"] != PRIVATE_FOLDER]
    assert al.metadata["collection.items"] == len(shown) == len(_releases(settings))
    assert (al.metadata["collection.added"], al.metadata["collection.removed"]) == (0, 3)
    # Two records added straight into the private folder: the summary shows no activity.
    template = items[-1]
    world.add_items("alice", [{**template, "instance_id": 990_000 + n, "folder_id": PRIVATE_FOLDER,
                               "date_added": f"2030-01-0{n + 1}T10:00:00-08:00"} for n in range(2)])
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    al = next(o for o in outcomes if o.name == "al")
    assert al.ok and (al.metadata["collection.items"], al.metadata["collection.added"]) == (len(shown), 0)
    assert al.metadata["collection.mode"] == "incremental"  # an addition is no reason for a full pass


def test_private_folders_by_name_hide_every_folder_of_that_name():
    from pipeline.collection.published import PublishingError, resolve_private_folders
    from pipeline.discogs.records import Folder
    folders = [Folder(0, "All", 9), Folder(1, "Uncategorized", 3), Folder(11, "Private", 2),
               Folder(12, "private ", 4), Folder(13, "Private  stash", 1)]
    assert resolve_private_folders(("PRIVATE",), folders, "al") == [11, 12]
    assert resolve_private_folders(("private stash", 1), folders, "al") == [1, 13]
    with pytest.raises(PublishingError) as raised:
        resolve_private_folders(("Privat",), folders, "al")
    assert "'Privat'" in str(raised.value) and "Uncategorized" not in str(raised.value)


def test_the_masters_of_a_private_folder_are_neither_fetched_nor_cached(built):
    import sqlite3
    world, fake, settings, _ = built
    hidden = {i["basic_information"]["master_id"] for i in world.items("alice") if i["folder_id"] == PRIVATE_FOLDER}
    shown = {i["basic_information"]["master_id"] for i in world.items("alice") if i["folder_id"] != PRIVATE_FOLDER}
    shown |= {i["basic_information"]["master_id"] for i in world.items("obi")}  # obi hides no folder
    only_private = hidden - shown - {0}
    assert only_private
    fetched = {int(s.path.rsplit("/", 1)[1]) for s in fake.requests() if s.path.startswith("/masters/")}
    assert fetched and not fetched & only_private
    with sqlite3.connect(Path(settings.stores.state_dir) / "masters.sqlite") as db:
        cached = {row[0] for row in db.execute("SELECT id FROM masters")}
    assert cached and not cached & only_private
