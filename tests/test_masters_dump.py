"""The masters dump: generated in Discogs' format, served like Discogs' bucket, imported whole or not at all,
and preferred by enrichment so that only masters newer than the dump cost API requests."""

from __future__ import annotations

import gzip
import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest
import requests

from pipeline.cli import main
from pipeline.defs import definitions
from pipeline.discogs.records import Master
from pipeline.dump.update import DumpFetchError, update
from pipeline.fakes.discogs import FakeDiscogs, generate_world, personal_token_for
from pipeline.fakes.dumps import catalog_masters, first_masters, omitted, world_masters, write_dump
from pipeline.masters.cache import MasterCache
from pipeline.runs.build import build
from pipeline.runs.instance import open_instance
from tests.browser import serve
from tests.conftest import masters_of, register, settings_for

THIS_MONTH = datetime.now(UTC).date().replace(day=1)


@pytest.fixture
def dumps(tmp_path, monkeypatch, site):
    """The `site` fixture's fake API also serving dumps, with DISCOGS_DUMP_URL pointing at it."""
    _, fake, _ = site
    fake.dumps_dir = tmp_path / "dumps"
    monkeypatch.setenv("DISCOGS_DUMP_URL", fake.url + "/data/{year}/discogs_{date}_masters.xml.gz")
    monkeypatch.setenv("DISCOGS_SITE_CACHE", str(tmp_path / "cache"))
    return fake.dumps_dir


def found_share(world, username: str) -> float:
    """Of the user's items with a master, the share whose master Discogs has (deleted ones answer 404), counted
    from the world itself: what the coverage figure must say."""
    masters = [i["basic_information"]["master_id"] for i in world.items(username)]
    with_master = [m for m in masters if m]
    return round(sum(m in world.masters for m in with_master) / len(with_master), 4)


def cached(settings) -> dict[int, tuple]:
    with sqlite3.connect(Path(settings.stores.state_dir) / "masters.sqlite") as db:
        rows = db.execute("SELECT id, found, title, year, genres, styles, source FROM masters")
        return {row[0]: row[1:] for row in rows}


def test_a_generated_dump_imports_with_the_values_the_api_returns(site, dumps, pipeline_world):
    settings, fake, _ = site
    write_dump(dumps, THIS_MONTH, world_masters(pipeline_world))
    outcome = update("latest", settings.stores.master_cache_path)
    assert outcome.result.masters == len(pipeline_world.masters) and outcome.result.written == outcome.result.masters
    with MasterCache(settings.stores.master_cache_path) as cache:
        frame = {row["master_id"]: row for row in cache.frame(pipeline_world.masters).to_dicts()}
        assert cache.sources() == {"api": 0, "dump": len(pipeline_world.masters)}
    for master_id in sorted(pipeline_world.masters)[::7]:
        answer = requests.get(f"{fake.url}/masters/{master_id}", timeout=5,
                              headers={"Authorization": f"Discogs token={personal_token_for('alice')}"})
        api = Master.parse(answer.json())
        row = frame[master_id]
        assert (row["master_year"], tuple(row["master_genres"]), tuple(row["master_styles"])) == \
            (api.year, api.genres, api.styles)


def test_a_collection_whose_masters_are_all_in_the_dump_needs_no_master_request(site, dumps, pipeline_world):
    settings, fake, instance = site
    write_dump(dumps, THIS_MONTH, world_masters(pipeline_world))
    assert main(["masters-dump", "import", "latest", "--state", settings.stores.state_dir]) == 0
    fake.reset_log()
    outcomes, published = build(settings, ["al"], instance=instance, report=lambda _: None)
    assert outcomes[0].ok and published
    deleted = masters_of(pipeline_world, "alice") - set(pipeline_world.masters)  # 404s are in no dump
    assert {int(s.path.rsplit("/", 1)[1]) for s in fake.requests("/masters/")} == deleted
    metadata = outcomes[0].metadata
    assert metadata["master_enrichment.masters_from_dump"] == len(masters_of(pipeline_world, "alice") - deleted)
    assert metadata["master_enrichment.coverage"] == found_share(pipeline_world, "alice") < 1


def test_masters_missing_from_the_dump_are_fetched_through_the_api(site, dumps, pipeline_world):
    settings, fake, instance = site
    write_dump(dumps, THIS_MONTH, world_masters(pipeline_world, leave_out=0.3))
    update("latest", settings.stores.master_cache_path)
    fake.reset_log()
    outcomes, _ = build(settings, ["al"], instance=instance, report=lambda _: None)
    wanted = masters_of(pipeline_world, "alice")
    in_dump = {m for m in wanted if m in pipeline_world.masters and not omitted(m, 0.3)}
    fetched = {int(s.path.rsplit("/", 1)[1]) for s in fake.requests("/masters/")}
    assert fetched == wanted - in_dump and len(in_dump) > len(fetched) > 0
    metadata = outcomes[0].metadata
    assert metadata["master_enrichment.masters_from_dump"] == len(in_dump)
    assert metadata["master_enrichment.masters_from_api"] == len(fetched)
    assert metadata["master_enrichment.coverage"] == found_share(pipeline_world, "alice") < 1


def test_an_api_answer_newer_than_the_dump_is_kept(tmp_path, pipeline_world):
    cache_path = tmp_path / "masters.sqlite"
    some = sorted(pipeline_world.masters)[0]
    with MasterCache(cache_path) as cache:
        cache.put(Master(some, "Newer title", 1999, ("Jazz",), ()), source="api")
    write_dump(tmp_path / "d", date(2026, 10, 1), world_masters(pipeline_world))
    outcome = update(str(tmp_path / "d" / "discogs_20261001_masters.xml.gz"), cache_path)
    assert outcome.result.kept_newer == 1
    with MasterCache(cache_path) as cache:
        assert cache.frame([some]).row(0)[2:4] == (1999, ["Jazz"])


def test_dump_rows_refresh_through_the_api_after_the_ttl_unless_a_newer_dump_waits(tmp_path, pipeline_world):
    cache_path = tmp_path / "masters.sqlite"
    write_dump(tmp_path, date(2026, 10, 1), world_masters(pipeline_world))
    update(str(tmp_path / "discogs_20261001_masters.xml.gz"), cache_path)
    ids = sorted(pipeline_world.masters)
    dumped = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    with MasterCache(cache_path, ttl_days=30) as cache:
        assert cache.due(ids, now=dumped + 20 * 86400) == []
        assert sorted(cache.due(ids, now=dumped + 40 * 86400)) == ids  # past 30 days x up to 1.25
        cache.note_dump("2026-11-01", "https://example.invalid/discogs_20261101_masters.xml.gz")
        assert cache.due(ids, now=dumped + 40 * 86400) == [], "a newer dump is waiting: import it instead"


def test_the_newest_dump_already_imported_is_not_downloaded_again(site, dumps, pipeline_world):
    settings, fake, _ = site
    write_dump(dumps, THIS_MONTH, world_masters(pipeline_world))
    update("latest", settings.stores.master_cache_path)
    fake.reset_log()
    assert update("latest", settings.stores.master_cache_path).result is None
    assert [s.method for s in fake.requests("/data/")] == ["HEAD"]


def test_an_interrupted_download_resumes_where_it_stopped(site, dumps, pipeline_world, tmp_path):
    settings, fake, _ = site
    dump = write_dump(dumps, THIS_MONTH, world_masters(pipeline_world))
    half = dump.stat().st_size // 2
    (tmp_path / "cache" / "dumps").mkdir(parents=True)
    (tmp_path / "cache" / "dumps" / (dump.name + ".part")).write_bytes(dump.read_bytes()[:half])
    fake.reset_log()
    outcome = update("latest", settings.stores.master_cache_path)
    assert outcome.downloaded_bytes == dump.stat().st_size - half
    assert [s.query for s in fake.requests("/data/") if s.method == "GET" and s.path.endswith(".gz")] == \
        [f"bytes={half}-"]
    assert outcome.result.masters == len(pipeline_world.masters)
    assert not (tmp_path / "cache" / "dumps" / dump.name).exists(), "the download is deleted once imported"


def test_a_dump_that_fails_its_checksum_is_deleted_and_the_cache_untouched(site, dumps, pipeline_world, tmp_path):
    settings, _, instance = site
    build(settings, ["al"], instance=instance, report=lambda _: None)
    before = cached(settings)
    dump = write_dump(dumps, THIS_MONTH, world_masters(pipeline_world))
    checksum = dumps / f"discogs_{THIS_MONTH:%Y%m%d}_CHECKSUM.txt"
    checksum.write_text("0" * 64 + " " + dump.name + "\n")
    with pytest.raises(DumpFetchError, match="does not match the published"):
        update("latest", settings.stores.master_cache_path)
    assert not list((tmp_path / "cache" / "dumps").iterdir())
    assert before and cached(settings) == before


@pytest.mark.parametrize("damage", ["truncated gzip", "malformed XML"])
def test_a_damaged_dump_is_named_with_its_byte_offset_and_changes_nothing(site, pipeline_world, tmp_path, capsys,
                                                                        damage):
    settings, _, instance = site
    build(settings, ["al"], instance=instance, report=lambda _: None)
    before = cached(settings)
    dump = write_dump(tmp_path / "d", date(2026, 10, 1), world_masters(pipeline_world))
    data = dump.read_bytes()
    if damage == "truncated gzip":
        dump.write_bytes(data[: len(data) * 2 // 3])
        expected = f"truncated: the gzip stream stops at byte {len(data) * 2 // 3:,}"
    else:
        xml = gzip.decompress(data).replace(b"</year>", b"</yaer>", 40)
        dump.write_bytes(gzip.compress(xml))
        expected = "malformed XML at line"
    code = main(["masters-dump", "import", str(dump), "--no-verify", "--state", settings.stores.state_dir])
    err = capsys.readouterr().err
    assert code == 1 and expected in err and str(dump) in err and "byte" in err
    assert cached(settings) == before
    assert not list(Path(settings.stores.state_dir).glob("*.import")), "no staging file left behind"


IMPORT = """
import sys
from pathlib import Path
from pipeline.dump.importer import import_dump
import_dump(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def test_a_killed_import_leaves_the_cache_usable_and_the_next_one_completes(site, pipeline_world, tmp_path):
    settings, _, instance = site
    build(settings, ["al"], instance=instance, report=lambda _: None)
    before = cached(settings)
    dump = write_dump(tmp_path / "d", date(2026, 10, 1), first_masters(60_000))
    staging = settings.stores.master_cache_path.with_name("masters.sqlite.import")
    child = subprocess.Popen([sys.executable, "-c", IMPORT, str(dump), str(settings.stores.master_cache_path)])
    deadline = time.monotonic() + 60
    while not (staging.exists() and staging.stat().st_size > 1_000_000) and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert staging.exists(), "killed while staging"
    assert cached(settings) == before
    with sqlite3.connect(settings.stores.master_cache_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    outcomes, _ = build(settings, ["al"], instance=instance, report=lambda _: None)
    assert outcomes[0].ok, "the cache works after the kill"
    outcome = update(str(dump), settings.stores.master_cache_path, verify=False)
    assert outcome.result.masters > 55_000 and not staging.exists()


def test_the_monthly_asset_imports_its_month_once(site, dumps, pipeline_world):
    settings, _, instance = site
    write_dump(dumps, THIS_MONTH, world_masters(pipeline_world))
    defs = definitions(settings)
    month = THIS_MONTH.isoformat()
    first = dg.materialize(list(defs.assets), selection=["masters_dump"], partition_key=month, instance=instance,
                           resources=settings.resources())
    metadata = first.asset_materializations_for_node("masters_dump")[0].metadata
    assert metadata["masters"].value == len(pipeline_world.masters)
    again = dg.materialize(list(defs.assets), selection=["masters_dump"], partition_key=month, instance=instance,
                           resources=settings.resources())
    assert again.asset_materializations_for_node("masters_dump")[0].metadata["already_imported"].value is True


def test_parallel_parsing_reads_exactly_what_one_thread_reads(tmp_path):
    from pipeline.dump.reader import DumpReader

    dump = write_dump(tmp_path, date(2026, 10, 1), first_masters(40_000))
    alone = [row for batch in DumpReader(dump, workers=1).batches() for row in batch]
    together = [row for batch in DumpReader(dump, workers=3).batches() for row in batch]
    assert len(alone) > 39_000 and together == alone


def test_text_that_looks_like_the_readers_separators_is_kept_as_written(tmp_path):
    from pipeline.dump.chunks import FIELD, ITEM
    from pipeline.dump.reader import DumpReader

    odd = {"id": 7, "title": f'Odd {FIELD} "title" \\ here', "year": 1999, "genres": [f"Jazz{ITEM}"],
           "styles": ['Free "Jazz"'], "main_release": 70}
    plain = {"id": 8, "title": "Plain", "year": 0, "genres": [], "styles": [], "main_release": None}
    dump = write_dump(tmp_path, date(2026, 10, 1), [odd, plain])
    assert list(DumpReader(dump)) == [Master(7, odd["title"], 1999, (f"Jazz{ITEM}",), ('Free "Jazz"',), 70),
                                      Master(8, "Plain", 0, (), (), None)]


def test_generate_then_import_then_status_from_the_command_line(tmp_path, capsys):
    from pipeline.dump.names import sha256_of
    from pipeline.dump.update import parse_checksums

    out = tmp_path / "dumps"
    assert main(["masters-dump", "generate", str(out), "--generate", "alice:200", "--leave-out", "0.25",
                 "--date", "2026-09-01"]) == 0
    dump = out / "discogs_20260901_masters.xml.gz"
    listed = parse_checksums((out / "discogs_20260901_CHECKSUM.txt").read_text(), dump.name, "CHECKSUM")
    assert listed == sha256_of(dump)
    assert main(["masters-dump", "import", str(dump), "--state", str(tmp_path / "state")]) == 0
    imported = int(capsys.readouterr().out.split("masters dump 2026-09-01: ")[1].split(" masters")[0].replace(",", ""))
    assert main(["masters-dump", "status", "--state", str(tmp_path / "state")]) == 0
    status = capsys.readouterr().out
    assert f"{imported:,} masters ({imported:,} from dumps, 0 from the API)" in status
    assert "2026-09-01  imported" in status


def test_a_url_imports_unverified_when_asked(site, dumps, pipeline_world):
    settings, fake, _ = site
    write_dump(dumps, date(2026, 8, 1), world_masters(pipeline_world))
    (dumps / "discogs_20260801_CHECKSUM.txt").unlink()
    url = f"{fake.url}/data/2026/discogs_20260801_masters.xml.gz"
    with pytest.raises(DumpFetchError, match="CHECKSUM.txt: HTTP 404"):
        update(url, settings.stores.master_cache_path)
    assert update(url, settings.stores.master_cache_path, verify=False).result.masters == len(pipeline_world.masters)


WANTLIST = """users:
  - name: al
    discogs_username: alice
    visibility: public
    publish:
      wantlist: true
"""


def test_a_wantlist_takes_years_and_genres_from_the_dump_and_says_unknown_where_no_master_is_known(
        tmp_path, monkeypatch, page):
    world = generate_world("alice:120", catalog_size=600)
    wants = world.user("alice").wants
    register(tmp_path, WANTLIST, {"al": "alice"})
    # Discogs' dump holds every master but the deleted ones and those newer than it (a fifth, `omitted`).
    wanted = {w["basic_information"]["master_id"] for w in wants} | masters_of(world, "alice")
    in_dump = {m for m in wanted if m and world.catalog.master_exists(m) and not omitted(m, 0.2)}
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        fake.dumps_dir = tmp_path / "dumps"
        monkeypatch.setenv("DISCOGS_DUMP_URL", fake.url + "/data/{year}/discogs_{date}_masters.xml.gz")
        monkeypatch.setenv("DISCOGS_SITE_CACHE", str(tmp_path / "cache"))
        write_dump(fake.dumps_dir, THIS_MONTH, catalog_masters(world.catalog, sorted(in_dump)))
        settings = settings_for(tmp_path, fake)
        update("latest", settings.stores.master_cache_path)
        outcomes, published = build(settings, instance=open_instance(tmp_path / "dagster"), report=lambda _: None)
        assert published and all(o.ok for o in outcomes)
        fetched = {int(s.path.rsplit("/", 1)[1]) for s in fake.requests("/masters/")}
    assert fetched == masters_of(world, "alice") - in_dump  # the wantlist asks for none
    # What the cache knows of a master: the dump's, or the API's answer for a record in the collection.
    known = {m: world.catalog.make_master(m) for m in in_dump | {m for m in fetched if m in world.masters}}
    expected = {}
    for want in wants:
        info = want["basic_information"]
        master = known.get(info["master_id"])
        year = (master["year"] if master else 0) if info["master_id"] else info["year"]
        genres = master["genres"] if master and master["genres"] else info.get("genres", [])
        expected[want["id"]] = (year or None, sorted(genres))
    output = Path(settings.site.output_dir)
    data = json.loads((output / "u" / "al" / "wantlist" / "wants.json").read_text())
    rows = [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]
    assert {r["release_id"]: (r["original_year"], sorted(r["genres"])) for r in rows} == expected
    unknown = [w for w in wants if expected[w["id"]][0] is None and w["basic_information"]["year"]]
    enriched = [w for w in wants if w["basic_information"]["master_id"] in in_dump]
    assert unknown and len(enriched) > len(wants) / 2
    # The page says so: the pressing's year, the original's unknown.
    want = unknown[0]
    with serve(output) as url:
        page.goto(f"{url}u/al/wantlist/?q=&open={want['id']}")
        page.wait_for_selector("html[data-list-ready]")
        view = page.get_by_role("dialog")
        view.wait_for()
        assert f"{want['basic_information']['year']} pressing · original year unknown" in view.inner_text()
