"""What public collectors have in common: who else owns a release (or its master), who owns what one wants,
and each pair's shared taste. Computed with Polars from what each of them publishes, nothing fetched.

Only public collectors take part, in both directions: an unlisted or private person is never named and
their records are never counted. The input is each one's published table (private folders already
left out) and their published wantlist's release ids.
"""

from __future__ import annotations

from typing import Any

import polars as pl

TOP_FRIENDS = 10     # pairs each collector's dashboard links to (and that get a page)
COMMON_SHOWN = 100   # records listed on a pair's page
NAMED = 6            # collectors named per release ("Also in …"); how many more is said as a number
GENRES_SHOWN = 12


def _owners(owned: pl.DataFrame, key: str) -> pl.DataFrame:
    """key -> every collector holding it (once each)."""
    return owned.filter(pl.col(key) > 0).group_by(key).agg(pl.col("user").unique().sort().alias("owners"))


def _others(frame: pl.DataFrame, owners: pl.DataFrame, key: str, user: str,
            leave_out: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """release id -> the other collectors holding it (by `key`), all of them; `leave_out` names per release
    who is said already (the same release, when this is the looser match by master)."""
    joined = frame.select(*dict.fromkeys(["release_id", key])).unique().join(owners, on=key)
    found = {}
    for release, names in joined.select("release_id", "owners").iter_rows():
        said = set((leave_out or {}).get(str(release), []))
        others = [n for n in names if n != user and n not in said]
        if others:
            found[str(release)] = others
    return found


def _named(found: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """What a page says per release: a few names and how many more (a popular record is in dozens)."""
    return {release: {"names": names[:NAMED], "more": max(0, len(names) - NAMED)} for release, names in found.items()}


def _genre_shares(frame: pl.DataFrame) -> dict[str, float]:
    if frame.is_empty():
        return {}
    counted = frame.select(pl.col("genres").list.unique()).explode("genres").drop_nulls().group_by("genres").len()
    return {g: n / frame.height for g, n in counted.iter_rows()}


def compute_taste(tables: dict[str, pl.DataFrame], wants: dict[str, list[int]]) -> dict[str, Any]:
    """`tables`: each public collector's published table; `wants`: their published wantlists' release ids."""
    if not tables:
        return {"friends": {}, "wanted": {}, "pairs": {}}
    owned = pl.concat([t.select("release_id", "master_id", pl.lit(name).alias("user")) for name, t in tables.items()])
    by_release, by_master = _owners(owned, "release_id"), _owners(owned, "master_id")
    friends, wanted = {}, {}
    for name, table in tables.items():
        same = _others(table, by_release, "release_id", name)
        master = _others(table, by_master, "master_id", name, leave_out=same)
        friends[name] = {"same": _named(same), "master": _named(master)}
    for name, ids in wants.items():
        frame = pl.DataFrame({"release_id": list(ids)}, schema={"release_id": pl.Int64})
        wanted[name] = _named(_others(frame, by_release, "release_id", name))
    return {"friends": friends, "wanted": wanted, "pairs": _pairs(tables, owned)}


def _pairs(tables: dict[str, pl.DataFrame], owned: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Per collector, the others sharing the most masters with them (then releases), with what they share."""
    releases = owned.select("user", "release_id").unique()
    masters = owned.filter(pl.col("master_id") > 0).select("user", "master_id").unique()
    apart = pl.col("user") != pl.col("user_other")
    common_releases = releases.join(releases, on="release_id", suffix="_other").filter(apart)
    common_masters = masters.join(masters, on="master_id", suffix="_other").filter(apart)
    counts = (common_masters.group_by("user", "user_other").len("masters")
              .join(common_releases.group_by("user", "user_other").len("releases"), on=["user", "user_other"],
                    how="full", coalesce=True).fill_null(0))
    shares = {name: _genre_shares(table) for name, table in tables.items()}
    pairs: dict[str, list[dict[str, Any]]] = {}
    for name in tables:
        ranked = (counts.filter(pl.col("user") == name).sort(["masters", "releases", "user_other"],
                                                             descending=[True, True, False]).head(TOP_FRIENDS))
        pairs[name] = []
        for _, other, n_masters, n_releases in ranked.select("user", "user_other", "masters", "releases").iter_rows():
            mine, theirs = tables[name], tables[other]
            # Records of theirs by master, or by release for those without one: what both of them have.
            by_master = mine.filter(pl.col("master_id") > 0).join(theirs.select("master_id").unique(), on="master_id")
            by_release = mine.filter(pl.col("master_id") <= 0).join(theirs.select("release_id").unique(),
                                                                    on="release_id")
            common = pl.concat([by_master, by_release]).unique("release_id").sort(["artist", "title"])
            common = common.head(COMMON_SHOWN)
            genres = sorted(set(shares[name]) | set(shares[other]),
                            key=lambda g: -(shares[name].get(g, 0) + shares[other].get(g, 0)))[:GENRES_SHOWN]
            pairs[name].append({
                "with": other, "masters": n_masters, "releases": n_releases,
                "genres": [[g, round(shares[name].get(g, 0), 4), round(shares[other].get(g, 0), 4)] for g in genres],
                "common": common.select("release_id", "artist", "title", "thumb", "original_year").to_dicts(),
            })
    return pairs
