"""Older Discogs answers (items without a date added, wants without a master) publish every record; only an item
without its ids or `basic_information` is unreadable, and those are counted where a person looks (the build's
summary, `status`, the dashboard) or, when too many, fail their user in one line. Built by `discogs-site build`
over real HTTP against the fake API replaying a directory of Discogs-shaped captures."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from pipeline.fakes.discogs import FakeDiscogs, load_world
from tests.browser import serve, settled
from tests.conftest import CLI, cli_env, register, settings_for

ATTIC = 7
USERS = """users:
  - name: old
    discogs_username: oldtimer
    visibility: public
    publish:
      wantlist: true
"""
PRIVATE_ATTIC = USERS.replace("wantlist: true", "private_folders: [attic]")
ITEMS, WANTS = 75, 12


def _item(n: int) -> dict:
    """The n-th record as Discogs sent it in an older answer: every fifth without `date_added` (one of those
    with a date that is none), and in turn without a year, formats, labels, artists, genres, rating, notes or
    thumb, or with them malformed."""
    info = {"id": 5000 + n, "master_id": 900 + n % 7 if n % 3 else 0, "title": f"Record {n}", "year": 1960 + n,
            "resource_url": f"https://api.discogs.com/releases/{5000 + n}",
            "thumb": f"https://i.discogs.com/{n}.jpg", "cover_image": f"https://i.discogs.com/{n}-big.jpg",
            "formats": [{"name": "Vinyl", "qty": "1", "descriptions": ["LP", "Album"]}],
            "labels": [{"name": f"Label {n % 9}", "catno": f"LB-{n}", "id": 70 + n % 9}],
            "artists": [{"name": f"Artist {n % 11}", "anv": "", "join": "", "id": 300 + n % 11}],
            "genres": ["Jazz"] if n % 2 else ["Rock"], "styles": ["Bop"] if n % 2 else []}
    item = {"id": 5000 + n, "instance_id": 100_000 + n, "folder_id": 1, "rating": n % 6,
            "date_added": f"20{10 + n % 12:02d}-{1 + n % 12:02d}-{1 + n % 27:02d}T1{n % 10}:00:00-08:00",
            "notes": [{"field_id": 3, "value": "signed"}], "basic_information": info}
    if n % 5 == 0:
        if n % 10 == 0:
            del item["date_added"]
        else:
            item["date_added"] = "0000-00-00 00:00:00" if n % 3 else ""
    missing = n % 8
    if missing == 1:
        info["year"] = "1977" if n % 2 else None
    elif missing == 2:
        info["formats"] = None if n % 2 else "Vinyl"
    elif missing == 3:
        info["labels"] = {"name": "odd"} if n % 2 else None
    elif missing == 4:
        info["artists"] = "Unknown" if n % 2 else 7
    elif missing == 5:
        del info["genres"], info["styles"]
    elif missing == 6:
        del item["rating"], item["notes"]
    elif missing == 7:
        info["thumb"], item["notes"] = None, "a note once kept as text"
    return item


def _want(n: int) -> dict:
    """A want as older answers carry them: no master_id ever, and every third without `date_added`."""
    want = {"id": 8000 + n, "rating": 0, "resource_url": f"https://api.discogs.com/releases/{8000 + n}",
            "date_added": f"2021-0{1 + n % 9}-1{n % 10}T08:00:00-07:00",
            "basic_information": {"id": 8000 + n, "title": f"Wanted {n}", "year": 1990 + n,
                                  "artists": [{"name": f"Wanted artist {n}"}], "formats": [{"name": "CD"}]}}
    if n % 3 == 0:
        del want["date_added"]
    return want


def _capture(root: Path, items: int = ITEMS, private: set[int] = frozenset()) -> Path:
    """The replay directory: two collection pages (a page object, then a bare array), one wantlist page, the
    masters of most records; the items numbered in `private` sit in the folder "Attic"."""
    user = root / "users" / "oldtimer"
    (user / "collection").mkdir(parents=True)
    (user / "wants").mkdir()
    found = [_item(n) | ({"folder_id": ATTIC} if n in private else {}) for n in range(1, items + 1)]
    (user / "collection" / "page-1.json").write_text(json.dumps({"pagination": {"page": 1, "pages": 2},
                                                                 "releases": found[:50]}))
    (user / "collection" / "page-2.json").write_text(json.dumps(found[50:]))
    (user / "wants" / "page-1.json").write_text(json.dumps({"pagination": {"page": 1},
                                                            "wants": [_want(n) for n in range(WANTS)]}))
    (user / "folders.json").write_text(json.dumps({"folders": [{"id": 0, "name": "All", "count": items},
                                                               {"id": ATTIC, "name": "Attic", "count": len(private)}]}))
    (root / "masters").mkdir()
    for master in range(900, 906):  # 906 answers 404
        (root / "masters" / f"{master}.json").write_text(json.dumps({"id": master, "year": 1950 + master % 10,
                                                                     "genres": ["Jazz"], "styles": []}))
    return root


def _items(root: Path) -> list[dict]:
    """Every collection item of the capture, page files in name order."""
    found = []
    for page in sorted((root / "users" / "oldtimer" / "collection").glob("*.json")):
        data = json.loads(page.read_text())
        found += data["releases"] if isinstance(data, dict) else data
    return found


def _counted(root: Path) -> tuple[dict[int, str | None], set[int], set[int]]:
    """From the JSON written, independently of the pipeline: every record's instance id -> its date added
    (None when it gives no date), every wanted release id, and the wants with a date."""
    records: dict[int, str | None] = {}
    for item in _items(root):
        stamp = item.get("date_added")
        dated = isinstance(stamp, str) and re.fullmatch(r"[12]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", stamp)
        records[item["instance_id"]] = stamp if dated else None
    wants = [w for page in (root / "users" / "oldtimer" / "wants").glob("*.json")
             for w in json.loads(page.read_text())["wants"]]
    return records, {w["id"] for w in wants}, {w["id"] for w in wants if w.get("date_added")}


def _rows(path: Path) -> list[dict]:
    data = json.loads(path.read_text())
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


def _cli(settings, root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=cli_env(settings, root / "dagster"), capture_output=True, text=True,
                          timeout=300)


def _cells(printed: str, name: str) -> dict[str, str]:
    """A user's row of the table `build` or `status` printed, by column (columns are two spaces or more apart;
    a cell holds single spaces at most, as "last synced" does)."""
    lines = printed.splitlines()
    header = next(line for line in lines if line.startswith("user "))
    row = next(line for line in lines if line.split()[:1] == [name])
    return dict(zip(re.split(r"\s{2,}", header.strip()), re.split(r"\s{2,}", row.strip()), strict=True))


def _break(world, numbers: set[int] | None = None) -> set[int]:
    """Make the numbered items (every one when None) unreadable: an id that is no integer. Returns their
    instance ids."""
    broken = set()
    for item in world.user("oldtimer").items:
        if numbers is None or item["instance_id"] - 100_000 in numbers:
            item["id"] = f"r{item['id']}"
            broken.add(item["instance_id"])
    world.version += 1
    return broken


def test_older_answers_publish_every_record_and_want_with_what_they_lack_unknown(tmp_path, page):
    capture = _capture(tmp_path / "capture")
    records, wanted, dated_wants = _counted(capture)
    undated = {i for i, stamp in records.items() if stamp is None}
    assert len(records) == ITEMS and 0 < len(undated) < 25 and len(wanted) == WANTS > len(dated_wants)
    register(tmp_path, USERS, {"old": "oldtimer"})
    with FakeDiscogs(load_world(capture), rate_limit=1000, window=1) as fake:
        settings = settings_for(tmp_path, fake)
        built = _cli(settings, tmp_path, "build")
        status = _cli(settings, tmp_path, "status")
    assert built.returncode == 0, built.stderr
    summary = _cells(built.stdout, "old")
    assert (summary["result"], summary["items"], summary["skipped"]) == ("ok", str(ITEMS), "0")
    assert (_cells(status.stdout, "old")["items"], _cells(status.stdout, "old")["skipped"]) == (str(ITEMS), "0")

    pages = Path(settings.site.output_dir) / "u" / "old"
    rows = _rows(pages / "collection" / "releases.json")
    assert {r["instance_id"]: r["date_added"] for r in rows} == records
    assert sorted(r["instance_id"] for r in json.loads((pages / "collection" / "export.json").read_text())) \
        == sorted(records)
    assert {r["release_id"] for r in _rows(pages / "wantlist" / "wants.json")} == wanted
    # What an item lacks (or carries malformed) is unknown on its row; the rest of the row is there.
    by_id = {r["instance_id"]: r for r in rows}
    for item in _items(capture):
        info, row = item["basic_information"], by_id[item["instance_id"]]
        assert row["title"] == info["title"]
        assert bool(row["year"]) == isinstance(info.get("year"), int)
        assert bool(row["formats"]) == isinstance(info.get("formats"), list)
        assert bool(row["labels"]) == isinstance(info.get("labels"), list)
        assert bool(row["artists"]) == isinstance(info.get("artists"), list)
        if not info["master_id"]:  # (a master's genres stand in for the release's)
            assert bool(row["genres"]) == ("genres" in info)
        assert row["rating"] == item.get("rating", 0)
    # Newest first, the records without a date last.
    assert [r["instance_id"] in undated for r in rows] == [False] * (ITEMS - len(undated)) + [True] * len(undated)

    # The growth chart counts the dated records only and says how many it leaves out.
    html = (pages / "collection" / "index.html").read_text()
    assert f"{len(undated)} items have no date added and are not shown." in html
    growth = re.search(r'<table data-table="growth">.*?</table>', html, re.S)[0]
    assert re.findall(r'<td class="num">([\d,]+)</td>', growth)[-1] == str(ITEMS - len(undated))
    # A feed entry needs its date: the records and wants without one are in no feed.
    atom = "{http://www.w3.org/2005/Atom}"
    for feed, expected in ((pages / "collection" / "feed.xml", min(50, ITEMS - len(undated))),
                           (pages / "wantlist" / "feed.xml", len(dated_wants))):
        entries = ET.fromstring(feed.read_bytes()).findall(f"{atom}entry")
        assert len(entries) == expected and all(e.findtext(f"{atom}updated") for e in entries), feed

    # The list sorted by date added, either way: the records without a date come last.
    with serve(Path(settings.site.output_dir)) as url:
        for sort in ("added", "added-asc"):
            shown: list[int] = []
            for number in (1, 2, 3):  # 25 rows a page
                page.goto(f"{url}u/old/collection/all/?sort={sort}&page={number}")
                page.wait_for_selector("html[data-list-ready]")
                settled(page)
                shown += page.locator("#releases > li").evaluate_all("li => li.map(r => Number(r.dataset.instance))")
            assert sorted(shown) == sorted(records)
            keys = [datetime.fromisoformat(records[i]) if records[i] else None for i in shown]
            known = [k for k in keys if k is not None]
            assert keys == known + [None] * len(undated), sort
            assert known == sorted(known, reverse=sort == "added"), sort


def test_unreadable_items_are_counted_where_a_person_looks_and_never_those_of_a_private_folder(tmp_path):
    capture = _capture(tmp_path / "capture", items=300, private={10, 11, 12, 13})
    world = load_world(capture)
    broken = _break(world, {11, 120, 240})  # 11 sits in the private Attic: 3 of 300 is within max(2, 1%)
    private = {i["instance_id"] for i in _items(capture) if i["folder_id"] == ATTIC}
    register(tmp_path, PRIVATE_ATTIC, {"old": "oldtimer"})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        settings = settings_for(tmp_path, fake)
        built = _cli(settings, tmp_path, "build")
        status = _cli(settings, tmp_path, "status")
    assert built.returncode == 0, built.stderr
    shown = {i["instance_id"] for i in _items(capture)} - private - broken
    public_broken = len(broken - private)
    summary = _cells(built.stdout, "old")
    assert (summary["result"], summary["items"], summary["skipped"]) == ("ok", str(len(shown)), str(public_broken))
    pages = Path(settings.site.output_dir) / "u" / "old" / "collection"
    assert {r["instance_id"] for r in _rows(pages / "releases.json")} == shown
    html = (pages / "index.html").read_text()
    assert f'<span data-testid="unreadable">{public_broken} records could not be read from Discogs and are not ' \
           'shown.</span>' in html
    # `status` is the operator's: it counts the stored collection, private folders included, as its items do.
    row = _cells(status.stdout, "old")
    assert (row["items"], row["skipped"]) == (str(300 - len(broken)), str(len(broken)))


@pytest.mark.parametrize(("broken", "users", "cause"), [
    (None, USERS, "none of the 75 items Discogs lists could be read; nothing is published until they can"),
    ({5, 30, 60}, USERS, "only 72 of the 75 items Discogs lists could be read (more than max(2, 1%) apart); "
                         "nothing is published until they agree"),
    ({5, 30, 60}, PRIVATE_ATTIC, "too many of their items could not be read from Discogs; nothing is published "
                                 "until they can"),  # no count: Discogs' includes the private folders
], ids=["every item unreadable", "3 of 75 unreadable", "with private folders"])
def test_a_user_too_far_from_discogs_count_fails_in_one_line_and_publishes_nothing(tmp_path, broken, users, cause):
    capture = _capture(tmp_path / "capture")
    world = load_world(capture)
    gone = _break(world, broken)
    register(tmp_path, users, {"old": "oldtimer"})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        settings = settings_for(tmp_path, fake)
        built = _cli(settings, tmp_path, "build")
        status = _cli(settings, tmp_path, "status")
    assert built.returncode == 1
    assert [line for line in built.stderr.splitlines() if "FAILED" in line] == [
        f"old: FAILED: collection: user 'old': {cause}"]
    assert "old: done" not in built.stderr
    summary = _cells(built.stdout, "old")
    assert (summary["result"], summary["skipped"]) == ("FAILED", str(len(gone)))
    assert not (Path(settings.site.output_dir) / "u" / "old").exists()
    assert _cells(status.stdout, "old")["last error"] == f"user 'old': {cause}"
