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
TASTE = ("release_id", "master_id", "artist", "title", "thumb", "genres", "original_year")


def _named(found: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """What a page says per release: a few names and how many more (a popular record is in dozens)."""
    return {release: {"names": names[:NAMED], "more": max(0, len(names) - NAMED)} for release, names in found.items()}


def _by_user(found: pl.DataFrame, users: list[str]) -> dict[str, dict[str, list[str]]]:
    """(user, release_id, others) rows -> user -> release id (as text) -> the others, every user present."""
    result: dict[str, dict[str, list[str]]] = {name: {} for name in users}
    for user, release, others in found.iter_rows():
        result[user][str(release)] = others
    return result


def _others(mine: pl.DataFrame, theirs: pl.DataFrame, key: str) -> pl.DataFrame:
    """(user, release_id, key) rows joined with who else holds that key: (user, release_id, other)."""
    return (mine.join(theirs.rename({"user": "other"}), on=key).filter(pl.col("user") != pl.col("other"))
            .select("user", "release_id", "other"))


def _listed(pairs: pl.DataFrame) -> pl.DataFrame:
    """(user, release_id, other) -> (user, release_id, others sorted), in a stable order."""
    return (pairs.unique().group_by("user", "release_id").agg(pl.col("other").sort().alias("others"))
            .sort("user", "release_id"))


def compute_taste(tables: dict[str, pl.DataFrame], wants: dict[str, list[int]]) -> dict[str, Any]:
    """`tables`: each public collector's published table; `wants`: their published wantlists' release ids."""
    if not tables:
        return {"friends": {}, "wanted": {}, "pairs": {}}
    records = pl.concat([t.lazy().select(TASTE).with_columns(user=pl.lit(name))
                         for name, t in tables.items()]).collect()
    releases = records.filter(pl.col("release_id") > 0).select("user", "release_id").unique()
    masters = records.filter(pl.col("master_id") > 0).select("user", "master_id").unique()
    held = records.select("user", "release_id", "master_id").unique()
    same = _others(held.filter(pl.col("release_id") > 0), releases, "release_id")
    # The looser match names only those not already said under the very same release.
    master = (_others(held.filter(pl.col("master_id") > 0), masters, "master_id")
              .join(same, on=["user", "release_id", "other"], how="anti"))
    names = list(tables)
    same_by, master_by = _by_user(_listed(same), names), _by_user(_listed(master), names)
    friends = {n: {"same": _named(same_by[n]), "master": _named(master_by[n])} for n in names}
    wanted = {}
    if wants:
        wished = pl.DataFrame({"user": [n for n, ids in wants.items() for _ in ids],
                               "release_id": [i for ids in wants.values() for i in ids]},
                              schema={"user": pl.String, "release_id": pl.Int64})
        found = _by_user(_listed(_others(wished.unique(), releases, "release_id")), list(wants))
        wanted = {n: _named(found[n]) for n in wants}
    return {"friends": friends, "wanted": wanted, "pairs": _pairs(records, releases, masters, names)}


def _genre_shares(records: pl.DataFrame) -> dict[str, dict[str, float]]:
    """user -> genre -> the share of their items carrying it."""
    sizes = records.group_by("user").len("items")
    counted = (records.select("user", pl.col("genres").list.unique()).explode("genres").drop_nulls()
               .group_by("user", "genres").len().join(sizes, on="user"))
    shares: dict[str, dict[str, float]] = {}
    for user, genre, n, items in counted.select("user", "genres", "len", "items").iter_rows():
        shares.setdefault(user, {})[genre] = n / items
    return shares


def _pairs(records: pl.DataFrame, releases: pl.DataFrame, masters: pl.DataFrame,
           names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per collector, the others sharing the most masters with them (then releases), with what they share."""
    apart = pl.col("user") != pl.col("user_other")
    common_releases = releases.join(releases, on="release_id", suffix="_other").filter(apart)
    common_masters = masters.join(masters, on="master_id", suffix="_other").filter(apart)
    counts = (common_masters.group_by("user", "user_other").len("masters")
              .join(common_releases.group_by("user", "user_other").len("releases"), on=["user", "user_other"],
                    how="full", coalesce=True).fill_null(0))
    top = (counts.sort(["user", "masters", "releases", "user_other"], descending=[False, True, True, False])
           .group_by("user", maintain_order=True).head(TOP_FRIENDS))
    # Records of one by master, or by release for those without one, that the other has too.
    by_master = (common_masters.join(top, on=["user", "user_other"], how="semi")
                 .join(records.filter(pl.col("master_id") > 0), on=["user", "master_id"]))
    by_release = (common_releases.join(top, on=["user", "user_other"], how="semi")
                  .join(records.filter(pl.col("master_id") <= 0), on=["user", "release_id"]))
    shown = ["release_id", "artist", "title", "thumb", "original_year"]
    common = (pl.concat([found.select("user", "user_other", *shown) for found in (by_master, by_release)])
              .sort("user", "user_other", "artist", "title", "release_id")
              .unique(["user", "user_other", "release_id"], keep="first", maintain_order=True)
              .group_by("user", "user_other", maintain_order=True).head(COMMON_SHOWN))
    listed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in common.iter_rows(named=True):
        listed.setdefault((row.pop("user"), row.pop("user_other")), []).append(row)
    shares = _genre_shares(records)
    pairs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for name, other, n_masters, n_releases in top.select("user", "user_other", "masters", "releases").iter_rows():
        mine, theirs = shares.get(name, {}), shares.get(other, {})
        genres = sorted(set(mine) | set(theirs), key=lambda g: (-(mine.get(g, 0) + theirs.get(g, 0)), g))
        pairs[name].append({
            "with": other, "masters": n_masters, "releases": n_releases,
            "genres": [[g, round(mine.get(g, 0), 4), round(theirs.get(g, 0), 4)] for g in genres[:GENRES_SHOWN]],
            "common": listed.get((name, other), []),
        })
    return pairs
