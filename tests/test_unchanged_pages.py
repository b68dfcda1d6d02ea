"""A publish draws only the pages whose inputs changed, and never trusts its record over what is on disk; the
comparison of collectors is computed again only when one of them changed."""

from __future__ import annotations

import json
import random
from pathlib import Path

import dagster as dg
import polars as pl

from pipeline.accounts.registry import load_users
from pipeline.defs import definitions
from pipeline.fakes.discogs import FakeDiscogs, generate_world
from pipeline.runs.build import build
from pipeline.runs.instance import open_instance
from pipeline.site.publish import publish_site
from pipeline.stats.taste import NAMED, compute_taste
from tests.conftest import register, settings_for

TWO_PUBLIC = """users:
  - name: al
    discogs_username: alice
    visibility: public
  - name: ob
    discogs_username: obi
    visibility: public
"""


def _tree(output: Path) -> dict[str, bytes]:
    """Every user's published files but stats.json (the site's own pages say when they were built: not these)."""
    return {str(p.relative_to(output)): p.read_bytes() for p in (output / "u").rglob("*")
            if p.is_file() and p.name != "stats.json" and p.parent != output / "u"}


def _metadata(instance: dg.DagsterInstance, asset: str) -> dict[str, object]:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    return {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}


def test_an_unchanged_publish_draws_nothing_and_a_change_or_a_lost_file_is_drawn_again(site):
    settings, _, instance = site
    assert build(settings, instance=instance, report=lambda _: None)[1]
    staging, output = settings.stores.pages_staging, Path(settings.site.output_dir)
    users = load_users(settings.stores.users_file)
    taste = json.loads((Path(settings.stores.state_dir) / "shared" / "taste.json").read_text())
    before = _tree(output)

    def publish(registry: list) -> int:
        """Publish as the site_index asset does; how many users' pages were drawn."""
        return publish_site(registry, staging, output, taste=taste).drawn

    assert publish(users) == 0 and _tree(output) == before

    # An upgrade: pages staged before digests existed, published before the record existed, are drawn once
    # more (both users: nothing says how they were drawn), then kept like the others.
    for made_later in ("digest", "newest.json"):
        (staging / "al" / made_later).unlink()
    (Path(settings.stores.state_dir) / "published.json").unlink()
    assert publish(users) == 2 and publish(users) == 0 and (staging / "al" / "digest").is_file()

    # A page deleted behind the publish's back is drawn again, not trusted to the record.
    dashboard = output / "u" / "al" / "collection" / "index.html"
    dashboard.unlink()
    assert publish(users) == 1 and dashboard.is_file()

    # A new display name is on the pages at once, though nothing of the collection changed.
    registry = Path(settings.stores.users_file)
    registry.write_text(registry.read_text().replace("name: al\n", "name: al\n    display_name: Alma Lux\n"))
    assert publish(load_users(registry)) == 1
    assert "Alma Lux" in dashboard.read_text()


def test_a_build_with_nothing_changed_neither_compares_collectors_nor_draws_pages_again(tmp_path):
    world = generate_world("alice:60,obi:50", catalog_size=80)
    register(tmp_path, TWO_PUBLIC, {"al": "alice", "ob": "obi"})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        settings = settings_for(tmp_path, fake)
        instance = open_instance(tmp_path / "dagster")
        assert build(settings, instance=instance, report=lambda _: None)[1]
        assert _metadata(instance, "shared_taste")["computed"] is True
        assert _metadata(instance, "site_index")["users_drawn"] == 2

        assert build(settings, instance=instance, report=lambda _: None)[1]
        assert _metadata(instance, "shared_taste")["computed"] is False
        assert _metadata(instance, "site_index")["users_drawn"] == 0

        # obi buys one of alice's records: the comparison is computed again and both pages say so.
        shared = next(i for i in world.items("alice") if i["id"] not in {j["id"] for j in world.items("obi")})
        world.add_items("obi", [{**shared, "instance_id": 9_000_001, "date_added": "2031-01-01T00:00:00-08:00"}])
        assert build(settings, instance=instance, report=lambda _: None)[1]
        assert _metadata(instance, "shared_taste")["computed"] is True
        assert _metadata(instance, "site_index")["users_drawn"] == 2
        output = Path(settings.site.output_dir)
        friends = json.loads((output / "u" / "al" / "collection" / "friends.json").read_text())
        assert friends["same"][str(shared["id"])] == {"names": [["ob", "ob"]], "more": 0}

        # obi goes unlisted and nothing else changes: al's pages, kept otherwise, must stop naming him.
        registry = tmp_path / "users.yaml"
        registry.write_text(registry.read_text().replace("obi\n    visibility: public",
                                                         "obi\n    visibility: unlisted"))
        assert build(settings, instance=instance, report=lambda _: None)[1]
    assert not (output / "u" / "al" / "collection" / "friends.json").exists()
    assert not (output / "u" / "al" / "shared").exists() and not (output / "u" / "ob").exists()
    assert "shared/ob/" not in (output / "u" / "al" / "collection" / "index.html").read_text()


def _table(rng: random.Random, n: int) -> pl.DataFrame:
    ids = [rng.randint(1, 120) for _ in range(n)]
    return pl.DataFrame({"release_id": ids, "master_id": [i % 37 if i % 4 else 0 for i in ids],
                         "artist": [f"A{i % 9}" for i in ids], "title": [f"T{i}" for i in ids], "thumb": [""] * n,
                         "genres": [[f"G{i % 3}"] for i in ids], "original_year": [1970] * n},
                        schema={"release_id": pl.Int64, "master_id": pl.Int64, "artist": pl.String,
                                "title": pl.String, "thumb": pl.String, "genres": pl.List(pl.String),
                                "original_year": pl.Int64})


def test_what_collectors_share_matches_a_set_computation_on_random_collections():
    for seed in range(8):
        rng = random.Random(seed)
        tables = {f"u{i:02d}": _table(rng, rng.randint(0, 40)) for i in range(rng.randint(2, 24))}
        wants = {name: [rng.randint(1, 120) for _ in range(5)] for name in list(tables)[:3]}
        taste = compute_taste(tables, wants)
        releases = {n: set(t["release_id"]) for n, t in tables.items()}
        master_of = {r: m for t in tables.values() for r, m in zip(t["release_id"], t["master_id"], strict=True)}
        masters = {n: {master_of[r] for r in ids} - {0} for n, ids in releases.items()}
        # A record in common: the same master, or the very same release when it has none.
        record = {r: ("master", m) if m else ("release", r) for r, m in master_of.items()}
        records = {n: {record[r] for r in ids} for n, ids in releases.items()}

        def said(names: list[str]) -> dict[str, object]:
            return {"names": sorted(names)[:NAMED], "more": max(0, len(names) - NAMED)}

        for me in tables:
            others = [n for n in tables if n != me]
            same = {r: [n for n in others if r in releases[n]] for r in releases[me]}
            master = {r: [n for n in others if master_of[r] in masters[n] and r not in releases[n]]
                      for r in releases[me] if master_of[r]}
            assert taste["friends"][me]["same"] == {str(r): said(n) for r, n in same.items() if n}, (seed, me)
            assert taste["friends"][me]["master"] == {str(r): said(n) for r, n in master.items() if n}, (seed, me)
            ranked = sorted(((len(records[me] & records[n]), len(releases[me] & releases[n]), n) for n in others),
                            key=lambda c: (-c[0], -c[1], c[2]))
            expected = [c for c in ranked if c[0]][:10]
            assert [(p["records"], p["releases"], p["with"]) for p in taste["pairs"][me]] == expected, (seed, me)
            for pair in taste["pairs"][me]:
                theirs = pair["with"]
                # One line per record in common, each one of my own pressings of it: the count is the list.
                listed = [record[c["release_id"]] for c in pair["common"]]
                assert sorted(listed) == sorted(records[me] & records[theirs]) and len(listed) == pair["records"]
                assert {c["release_id"] for c in pair["common"]} <= releases[me], (seed, me, theirs)
                assert pair["releases"] <= pair["records"], (seed, me, theirs)
        for me, ids in wants.items():
            owners = {r: [n for n in tables if n != me and r in releases[n]] for r in set(ids)}
            assert taste["wanted"][me] == {str(r): said(n) for r, n in owners.items() if n}, (seed, me)


def test_a_collector_made_private_is_neither_named_nor_counted_when_the_site_alone_is_published(tmp_path):
    names = [f"n{i}" for i in range(1, 10)]
    world = generate_world(",".join(f"{n}:10" for n in names), catalog_size=40)
    popular = world.items("n1")[0]  # a record every one of them owns: a page names six and counts the rest
    for number, name in enumerate(names[1:], start=1):
        world.add_items(name, [{**popular, "instance_id": 8_000_000 + number}])
    register(tmp_path, "users:\n" + "".join(f"  - name: {n}\n    discogs_username: {n}\n    visibility: public\n"
                                            for n in names), {n: n for n in names})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        settings = settings_for(tmp_path, fake)
        instance = open_instance(tmp_path / "dagster")
        assert build(settings, instance=instance, report=lambda _: None)[1]
    # n9 goes private; the operator publishes with site_index alone (the README's recipe for one user).
    registry = tmp_path / "users.yaml"
    registry.write_text(registry.read_text().replace("n9\n    visibility: public", "n9\n    visibility: private"))
    job = definitions(settings).resolve_job_def("publish_site")
    assert job.execute_in_process(instance=instance, asset_selection=[dg.AssetKey("site_index")]).success
    output = Path(settings.site.output_dir)
    owners: dict[int, set[str]] = {}
    for name in names[:-1]:
        for item in world.items(name):
            owners.setdefault(item["id"], set()).add(name)
    counted = 0
    for name in names[:-1]:
        friends = json.loads((output / "u" / name / "collection" / "friends.json").read_text())
        for release, said in friends["same"].items():
            others = owners[int(release)] - {name}
            assert {label for label, _ in said["names"]} <= others, (name, release)
            assert len(said["names"]) + said["more"] == len(others), (name, release, said, others)
            counted += said["more"] > 0
    assert counted, "no release is owned by more collectors than a page names: the test shows nothing"
