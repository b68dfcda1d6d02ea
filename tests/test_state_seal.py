"""The sealed state: the plain master cache a shared cache keeps holds the dump's rows only, and unseal
brings the API's rows back without ever letting an archive replace the dump's data."""

from __future__ import annotations

import io
import sqlite3
import struct
import tarfile
from pathlib import Path

import pytest

from pipeline.accounts.vault import generate_key, parse_keys
from pipeline.discogs.records import Master
from pipeline.masters.cache import MasterCache, cache_path
from pipeline.state.seal import SealError, seal, unseal

DUMP_DAY = 1_790_000_000.0  # the dump's rows are dated by the dump, not by anybody's run
DUMPED = [Master(id=n, title=f"Dump Master {n}", year=1970 + n, genres=("Rock",), styles=("Prog Rock",),
                 main_release=n * 10) for n in range(1, 40)]
# Fetched by a private collector's run, to the microsecond: what a reader of the cache must not learn.
FETCHED = {101: (Master(id=101, title="Only In A Private Folder Qzx", year=1994, genres=("Electronic",),
                        styles=("Ambient",), main_release=1010), 1796237075.123456),
           102: (Master(id=102, title="Unlisted Collector Only Qzx", year=2001, genres=("Jazz",), styles=(),
                        main_release=None), 1796237076.654321),
           # A dump row the API answered again after its TTL: the API's answer replaced the dump's.
           5: (Master(id=5, title="Refreshed Through The Api Qzx", year=1975, genres=("Rock",),
                      styles=("Prog Rock",), main_release=50), 1796237077.5)}
MISSING = {103: 1796237078.25}  # a remembered 404
IDS = [m.id for m in DUMPED] + list(FETCHED) + list(MISSING)


@pytest.fixture
def keys():
    return parse_keys(generate_key(), "test key")


@pytest.fixture
def state(tmp_path) -> Path:
    """A state directory whose master cache holds dump rows, API rows and a 404, beside per-user files."""
    state = tmp_path / "state"
    (state / "collections").mkdir(parents=True)
    (state / "collections" / "pia.parquet").write_bytes(b"a collection")
    with MasterCache(cache_path(state)) as cache:
        for master in DUMPED:
            cache.put(master, fetched_at=DUMP_DAY, source="dump")
        for master, at in FETCHED.values():
            cache.put(master, fetched_at=at)
        for master_id, at in MISSING.items():
            cache.put_missing(master_id, fetched_at=at)
    return state


def answers(state: Path) -> tuple:
    """What the cache tells the pipeline: the frame, what is due when, and where rows came from."""
    with MasterCache(cache_path(state)) as cache:
        return (cache.frame(IDS).sort("master_id").to_dicts(), cache.due(IDS, now=1796237079 + 40 * 86400),
                cache.sources())


def plain_bytes(state: Path) -> bytes:
    """Every byte the plain master cache leaves on disk (what the Actions cache would upload)."""
    return b"".join(p.read_bytes() for p in state.glob("masters.sqlite*"))


def test_the_plain_cache_keeps_only_the_dump_and_unseal_answers_as_before(state, tmp_path, keys):
    before = answers(state)
    archive = tmp_path / "sealed" / "state.bin"
    assert seal(state, archive, keys) == 2  # the collection and the API's masters

    with sqlite3.connect(cache_path(state)) as db:
        assert db.execute("SELECT source, COUNT(*) FROM masters GROUP BY source").fetchall() == [("dump", 38)]
    data = plain_bytes(state)
    for master, at in FETCHED.values():
        assert master.title.encode() not in data
        assert struct.pack(">d", at) not in data, "no fetch time of an API answer"
    for at in MISSING.values():
        assert struct.pack(">d", at) not in data
    assert b"Dump Master 7" in data  # the public part stays where it was
    assert (state / "collections" / "pia.parquet").exists()  # sealing leaves the state in place

    unseal(archive, state, keys)
    assert answers(state) == before


def test_a_state_sealed_into_a_fresh_runner_comes_back_whole(state, tmp_path, keys):
    """The workflow's case: the next run has the cached plain file and the archive, nothing else."""
    before = answers(state)
    archive = tmp_path / "state.bin"
    seal(state, archive, keys)
    runner = tmp_path / "runner"
    runner.mkdir()
    (runner / "masters.sqlite").write_bytes(cache_path(state).read_bytes())
    assert unseal(archive, runner, keys) == 2
    assert answers(runner) == before
    assert (runner / "collections" / "pia.parquet").read_bytes() == b"a collection"


def test_unseal_merges_row_by_row_and_never_replaces_the_dump_rows(state, tmp_path, keys):
    archive = tmp_path / "state.bin"
    seal(state, archive, keys)
    # Meanwhile a newer dump answered master 101 and holds every other row as it was.
    with MasterCache(cache_path(state)) as cache:
        newer = Master(id=101, title="Newer Dump Answer", year=1995, genres=("Electronic",), styles=(),
                       main_release=1011)
        cache.put(newer, fetched_at=1796300000.0, source="dump")
    unseal(archive, state, keys)
    with MasterCache(cache_path(state)) as cache:
        frame = {row["master_id"]: row for row in cache.frame(IDS).to_dicts()}
        assert frame[101]["master_year"] == 1995, "an older archived answer never replaces a newer row"
        assert frame[102]["master_year"] == 2001 and frame[103]["master_found"] is False
        assert cache.count() == len(set(IDS))


def sealed_with(keys, members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return keys.encrypt(buffer.getvalue())


def test_an_archive_carrying_a_master_cache_of_its_own_is_refused_and_changes_nothing(state, tmp_path, keys):
    """Made with the key or not, an archive never stands in for the plain master cache."""
    before, cache_before = answers(state), cache_path(state).read_bytes()
    archive = tmp_path / "state.bin"
    archive.write_bytes(sealed_with(keys, {"masters.sqlite": b"POISONED", "collections/x.parquet": b"x"}))
    with pytest.raises(SealError, match=r"state\.bin: the sealed state is damaged \(it holds masters\.sqlite"):
        unseal(archive, state, keys)
    assert cache_path(state).read_bytes() == cache_before and answers(state) == before
    assert not (state / "collections" / "x.parquet").exists()


def test_archived_rows_marked_as_the_dumps_are_ignored(state, tmp_path, keys):
    """Only the API's rows come back from an archive: a dump row there cannot overwrite the cache's."""
    forged = tmp_path / "forged.sqlite"
    with MasterCache(forged) as cache:
        cache.put(Master(id=7, title="Forged", year=1, genres=(), styles=(), main_release=None),
                  fetched_at=1896237075.0, source="dump")
    archive = tmp_path / "state.bin"
    archive.write_bytes(sealed_with(keys, {"fetched-masters.sqlite": forged.read_bytes()}))
    unseal(archive, state, keys)
    with MasterCache(cache_path(state)) as cache:
        assert cache.frame([7]).to_dicts()[0]["master_year"] == 1977
