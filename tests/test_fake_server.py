"""The fake Discogs API speaks Discogs: shapes, pagination, sort keys, access rules, limits, replay."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import requests

from pipeline.fakes.discogs import FakeDiscogs, generate_world, load_world, parse_spec, personal_token_for
from pipeline.fakes.discogs.generator import SpecError
from pipeline.fakes.discogs.replay import ReplayError


def get(fake, path, user="alice", **params):
    headers = {"User-Agent": "tests/1", "Authorization": f"Discogs token={personal_token_for(user)}"} if user else {}
    return requests.get(fake.url + path, params=params, headers=headers, timeout=5)


def test_pagination_matches_discogs(fake, world):
    first = get(fake, "/users/alice/collection/folders/0/releases", per_page=100).json()
    assert first["pagination"] | {"urls": None} == {"page": 1, "pages": 3, "per_page": 100, "items": 250, "urls": None}
    assert set(first["pagination"]["urls"]) == {"next", "last"}
    last = get(fake, "/users/alice/collection/folders/0/releases", per_page=100, page=3)
    assert len(last.json()["releases"]) == 50 and set(last.json()["pagination"]["urls"]) == {"first", "prev"}
    assert 'rel="first"' in last.headers["Link"]
    default = get(fake, "/users/alice/collection/folders/0/releases").json()
    assert default["pagination"]["per_page"] == 50
    capped = get(fake, "/users/alice/collection/folders/0/releases", per_page=500).json()
    assert capped["pagination"]["per_page"] == 100


@pytest.mark.parametrize("sort", ["added", "artist", "title", "year", "rating", "label", "catno", "format"])
def test_sort_keys_order_the_whole_folder(fake, sort):
    pages = [get(fake, "/users/alice/collection/folders/0/releases", per_page=100, page=p, sort=sort,
                 sort_order="desc").json()["releases"] for p in (1, 2, 3)]
    items = [i for page in pages for i in page]
    assert len({i["instance_id"] for i in items}) == 250  # pages never overlap or skip
    if sort == "added":
        stamps = [datetime.fromisoformat(i["date_added"]) for i in items]
        assert stamps == sorted(stamps, reverse=True)
    if sort == "year":
        years = [i["basic_information"]["year"] for i in items]
        assert years == sorted(years, reverse=True)


def test_owner_sees_folders_notes_and_images_others_only_public_folder_zero(fake, world):
    owner = get(fake, "/users/alice/collection/folders").json()["folders"]
    assert [f["id"] for f in owner][:2] == [0, 1] and owner[0]["count"] == 250
    assert sum(f["count"] for f in owner[1:]) == 250
    other = get(fake, "/users/alice/collection/folders", user="carol").json()["folders"]
    assert [f["id"] for f in other] == [0]
    seen = get(fake, "/users/alice/collection/folders/0/releases", user="carol", per_page=100).json()["releases"]
    assert all("folder_id" not in i and i["basic_information"]["thumb"] == "" for i in seen)
    # Custom fields: the owner's every field and value; anyone else only the public fields' (as Discogs).
    fields = get(fake, "/users/alice/collection/fields").json()["fields"]
    assert [f["name"] for f in fields] == ["Media Condition", "Sleeve Condition", "Notes", "Price paid"]
    public = {f["id"] for f in fields if f["public"]}
    assert [f["id"] for f in get(fake, "/users/alice/collection/fields", user="carol").json()["fields"]] == \
        sorted(public)
    assert get(fake, "/users/bob/collection/fields", user="alice").status_code == 403
    mine = get(fake, "/users/alice/collection/folders/0/releases", per_page=100).json()["releases"]
    assert {n["field_id"] for i in mine for n in i.get("notes", [])} == {1, 2, 3, 4}
    assert {n["field_id"] for i in seen for n in i.get("notes", [])} == public
    assert get(fake, "/users/alice/collection/folders/1/releases", user="carol").status_code == 403
    assert get(fake, "/users/alice/collection/folders/0/releases", user=None).status_code == 200
    private = get(fake, "/users/bob/collection/folders/0/releases", user="alice")
    assert private.status_code == 403
    assert private.json() == {"message": "You don't have permission to access this resource."}
    assert get(fake, "/users/bob/collection/folders/0/releases", user="bob").json()["pagination"]["items"] == 40


def test_errors_carry_discogs_messages(fake, world):
    deleted = next(m for m in range(1_000_017, 1_100_000, 50))
    assert get(fake, f"/masters/{deleted}").json() == {"message": "Master Release not found."}
    assert get(fake, "/users/nobody/collection/folders").status_code == 404
    bad = requests.get(fake.url + "/oauth/identity", headers={"Authorization": "Discogs token=nope"}, timeout=5)
    assert bad.status_code == 401 and bad.json()["message"].startswith("You must authenticate")
    anonymous = requests.get(fake.url + "/oauth/identity", timeout=5)
    assert anonymous.status_code == 401 and "OAuth realm" in anonymous.headers["WWW-Authenticate"]
    master_id = next(iter(world.masters))
    assert get(fake, f"/masters/{master_id}").json()["id"] == master_id


def test_moving_window_limit_with_headers_and_429(world):
    with FakeDiscogs(world, rate_limit=5, window=30) as fake:
        answers = [get(fake, "/oauth/identity") for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert [a.headers["X-Discogs-Ratelimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
        assert answers[0].headers["X-Discogs-Ratelimit"] == "5"
        assert answers[-1].json() == {"message": "You are making requests too quickly."}
        assert fake.count("/oauth/identity", status=429) == 1


def test_latency_delays_every_answer_like_a_round_trip(world):
    with FakeDiscogs(world, latency=0.25) as fake:
        answer = get(fake, "/oauth/identity")
    assert answer.status_code == 200 and answer.elapsed.total_seconds() >= 0.25


def test_faults_fire_on_matching_paths_only(fake):
    fake.inject("error", count=2, path="/masters/", status=502)
    assert get(fake, "/users/alice/collection/folders").status_code == 200
    assert [get(fake, "/masters/1000001").status_code for _ in range(3)][:2] == [502, 502]
    fake.inject("malformed", path="/folders$")
    with pytest.raises(json.JSONDecodeError):
        json.loads(get(fake, "/users/alice/collection/folders").text)
    fake.inject("drop")
    with pytest.raises(requests.ConnectionError):
        get(fake, "/users/alice/collection/folders")


def test_control_endpoints_serve_other_processes(fake, world):
    armed = requests.post(fake.url + "/_fake/faults", json={"kind": "ratelimit", "count": 1, "retry_after": 2},
                          timeout=5)
    assert armed.json()["faults"][0]["kind"] == "ratelimit"
    limited = get(fake, "/users/alice/collection/folders")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    log = requests.get(fake.url + "/_fake/requests", timeout=5).json()["requests"]
    assert [(r["path"], r["status"]) for r in log] == [("/users/alice/collection/folders", 429)]
    added = requests.post(fake.url + "/_fake/add", json={"username": "carol", "count": 3}, timeout=5).json()
    newest = get(fake, "/users/carol/collection/folders/0/releases", user="carol", sort="added",
                 sort_order="desc").json()["releases"]
    assert {i["instance_id"] for i in newest[:3]} == set(added["added"])
    assert requests.post(fake.url + "/_fake/faults", json={"kind": "explode"}, timeout=5).status_code == 400


def test_generator_is_deterministic_and_realistic():
    first, second = generate_world("x:2000"), generate_world("x:2000")
    assert first.items("x") == second.items("x")
    items = first.items("x")
    infos = [i["basic_information"] for i in items]
    release_ids = [i["id"] for i in items]
    assert len(set(release_ids)) < len(release_ids)  # several copies of one release
    assert any(i["master_id"] == 0 for i in infos) and any(i["year"] == 0 for i in infos)
    assert any("genres" not in i for i in infos) and any("styles" not in i for i in infos)
    artists = [a["name"] for i in infos for a in i["artists"]]
    assert "Various" in artists and any(a.endswith(" (2)") for a in artists)
    assert any("<" in i["title"] or "&" in i["title"] for i in infos)
    assert any(any(ord(c) > 127 for c in i["title"] + "".join(artists)) for i in infos)
    earlier = [i for i in infos if i["master_id"] and i["master_id"] in first.masters
               and 0 < first.masters[i["master_id"]]["year"] < i["year"]]
    assert len(earlier) > len(infos) // 5  # reissues: the master is often older than the pressing
    formats = {f["name"] for i in infos for f in i["formats"]}
    assert {"Vinyl", "CD", "Cassette"} <= formats
    with_images = [i for i in infos if i["thumb"]]
    assert len(infos) // 2 < len(with_images) < len(infos)  # most releases have images, some none
    # The demo's world: the same releases, none with an image (the site draws their covers).
    bare = [i["basic_information"] for i in generate_world("x:2000", images=False).items("x")]
    assert [i["id"] for i in bare] == [i["id"] for i in infos]
    assert all(i["thumb"] == i["cover_image"] == "" for i in bare)


@pytest.mark.parametrize("spec", ["", "alice", "alice:0", "alice:200001", "a:1,A:2", "alice:10:secret"])
def test_bad_generate_specs_are_named(spec):
    with pytest.raises(SpecError, match="--generate"):
        parse_spec(spec)


def test_replay_directory_in_discogs_format(tmp_path):
    item = {"id": 7, "instance_id": 70, "date_added": "2020-01-01T00:00:00-08:00", "rating": 0, "folder_id": 1,
            "basic_information": {"id": 7, "master_id": 5, "title": "T", "year": 1999, "artists": [], "labels": [],
                                  "formats": []}}
    pages = tmp_path / "users" / "Real.User" / "collection"
    pages.mkdir(parents=True)
    (pages / "page-1.json").write_text(json.dumps({"pagination": {"page": 1}, "releases": [item]}))
    (pages / "page-2.json").write_text(json.dumps([item, item | {"instance_id": 71}]))
    (tmp_path / "users" / "Real.User.json").write_text(json.dumps({"name": "Real Person"}))
    (tmp_path / "masters").mkdir()
    (tmp_path / "masters" / "5.json").write_text(json.dumps({"id": 5, "year": 1970, "genres": ["Jazz"]}))
    with FakeDiscogs(load_world(tmp_path)) as fake:
        page = get(fake, "/users/real.user/collection/folders/0/releases", user="Real.User",
                   sort="added", sort_order="asc").json()
        assert [i["instance_id"] for i in page["releases"]] == [70, 71]
        assert get(fake, "/masters/5", user="Real.User").json()["year"] == 1970
        assert get(fake, "/masters/6", user="Real.User").status_code == 404
        assert get(fake, "/users/Real.User", user=None).json()["name"] == "Real Person"


def test_replay_errors_name_the_file(tmp_path):
    pages = tmp_path / "users" / "u" / "collection"
    pages.mkdir(parents=True)
    (pages / "1.json").write_text('{"releases": [')
    with pytest.raises(ReplayError, match=r"1\.json:1: not valid JSON"):
        load_world(tmp_path)
    (pages / "1.json").write_text('[{"id": 1}]')
    with pytest.raises(ReplayError, match=r"1\.json: item #0 lacks"):
        load_world(tmp_path)


def test_replay_serves_folders_fields_value_and_wants_in_discogs_shapes_to_their_owner(tmp_path):
    item = {"id": 7, "instance_id": 70, "date_added": "2020-01-01T00:00:00-08:00", "rating": 0, "folder_id": 9,
            "notes": [{"field_id": 1, "value": "Mint (M)"}, {"field_id": 5, "value": "paid too much"}],
            "basic_information": {"id": 7, "master_id": 5, "title": "T", "year": 1999}}
    user = tmp_path / "users" / "vera"
    (user / "collection").mkdir(parents=True)
    (user / "collection" / "1.json").write_text(json.dumps([item]))
    (user / "folders.json").write_text(json.dumps({"folders": [{"id": 0, "name": "All", "count": 1},
                                                               {"id": 9, "name": "To sell", "count": 1}]}))
    fields = [{"id": 1, "name": "Media Condition", "type": "dropdown", "options": ["Mint (M)"], "public": True,
               "position": 1}, {"id": 5, "name": "Price", "type": "textarea", "public": False, "position": 2}]
    (user / "fields.json").write_text(json.dumps({"fields": fields}))
    (user / "value.json").write_text(json.dumps({"minimum": "€1,00", "median": "€2,50", "maximum": "€9,00"}))
    (user / "wants").mkdir()
    want = {"id": 8, "rating": 0, "notes": "mine", "date_added": "2021-01-01T00:00:00-08:00",
            "basic_information": {"id": 8, "title": "W"}}
    (user / "wants" / "1.json").write_text(json.dumps({"pagination": {"page": 1}, "wants": [want]}))
    world = load_world(tmp_path)
    world.add_user("other")
    with FakeDiscogs(world) as fake:
        assert [(f["id"], f["name"]) for f in get(fake, "/users/vera/collection/folders", user="vera")
                .json()["folders"]] == [(0, "All"), (1, "Uncategorized"), (9, "To sell")]
        assert get(fake, "/users/vera/collection/fields", user="vera").json()["fields"] == fields
        assert [f["id"] for f in get(fake, "/users/vera/collection/fields", user="other").json()["fields"]] == [1]
        assert get(fake, "/users/vera/collection/value", user="vera").json()["median"] == "€2,50"
        assert get(fake, "/users/vera/collection/value", user="other").status_code == 403
        mine = get(fake, "/users/vera/wants", user="vera").json()
        assert mine["pagination"]["items"] == 1 and mine["wants"][0]["notes"] == "mine"
        assert "notes" not in get(fake, "/users/vera/wants", user="other").json()["wants"][0]
        seen = get(fake, "/users/vera/collection/folders/0/releases", user="other").json()["releases"][0]
        assert seen["notes"] == [{"field_id": 1, "value": "Mint (M)"}] and "folder_id" not in seen
        world.user("vera").wantlist_public = False
        assert get(fake, "/users/vera/wants", user="other").status_code == 403
    (user / "value.json").write_text(json.dumps({"minimum": 1}))
    with pytest.raises(ReplayError, match=r"value\.json: expected"):
        load_world(tmp_path)
