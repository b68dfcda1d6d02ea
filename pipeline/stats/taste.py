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
COMMON_ROWS = 200_000  # records looked through at once for what two collectors share (bounds memory)
TASTE = ("release_id", "master_id", "artist", "title", "thumb", "genres", "original_year", "year")


def record_key() -> pl.Expr:
    """What two collectors have "in common": the same record, any pressing of it. A record is its master; a
    release without one (master_id 0) is a record of its own, told apart from masters by its sign. The pair
    pages count these and list one line for each, so the count and the list always agree."""
    return pl.when(pl.col("master_id") > 0).then(pl.col("master_id")).otherwise(-pl.col("release_id"))


def _named(found: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """What a page says per release: a few names and how many more (a popular record is in dozens)."""
    return {release: {"names": names[:NAMED], "more": max(0, len(names) - NAMED)} for release, names in found.items()}


def _by_user(found: pl.DataFrame, names: list[str], users: list[str]) -> dict[str, dict[str, list[str]]]:
    """(user, release_id, others) rows, collectors as their index in `names` -> user -> release id (as text)
    -> the others' names; every one of `users` present."""
    result: dict[str, dict[str, list[str]]] = {name: {} for name in users}
    for user, release, others in found.iter_rows():
        result[names[user]][str(release)] = [names[o] for o in others]
    return result


def _owners(held: pl.DataFrame, key: str) -> pl.DataFrame:
    """key -> every collector holding it, in name order (collectors are numbered in name order)."""
    return (held.filter(pl.col(key) > 0).select("user", key).unique().group_by(key)
            .agg(pl.col("user").sort().alias("owners")))


def _others(mine: pl.DataFrame, owners: pl.DataFrame, key: str) -> pl.DataFrame:
    """(user, release_id, key) rows -> (user, release_id, others): who else holds that key. Lists, not a row per
    pair of collectors: a record owned by dozens stays one row per owner."""
    return (mine.join(owners, on=key)
            .select("user", "release_id", pl.col("owners").list.set_difference(pl.concat_list("user")).alias("others")))


def _listed(found: pl.DataFrame) -> pl.DataFrame:
    """Only rows naming someone, each list in name order, rows in a stable order."""
    return (found.filter(pl.col("others").list.len() > 0).with_columns(pl.col("others").list.sort())
            .sort("user", "release_id"))


def _taste_columns(table: pl.DataFrame) -> pl.DataFrame:
    """Data staged before the pressing year was part of it counts the same, its pressings' years unknown (0)."""
    return table if "year" in table.columns else table.with_columns(year=pl.lit(0, pl.Int64))


def compute_taste(tables: dict[str, pl.DataFrame], wants: dict[str, list[int]]) -> dict[str, Any]:
    """`tables`: each public collector's published table; `wants`: their published wantlists' release ids."""
    if not tables:
        return {"friends": {}, "wanted": {}, "pairs": {}}
    names = sorted(tables)  # collectors are numbered in this order: small keys, and sorting numbers sorts names
    records = pl.concat([_taste_columns(tables[name]).lazy().select(TASTE).with_columns(user=pl.lit(i, pl.UInt32))
                         for i, name in enumerate(names)]).collect()
    records = records.with_columns(record=record_key())
    held = records.select("user", "release_id", "master_id", "record").unique()
    by_release, by_master = _owners(held, "release_id"), _owners(held, "master_id")
    same = _others(held.filter(pl.col("release_id") > 0).select("user", "release_id"), by_release, "release_id")
    # The looser match names only those not already said under the very same release.
    master = (_others(held.filter(pl.col("master_id") > 0), by_master, "master_id")
              .join(same.rename({"others": "said"}), on=["user", "release_id"], how="left")
              .select("user", "release_id", pl.col("others").list.set_difference(pl.col("said").fill_null([]))))
    same_by, master_by = _by_user(_listed(same), names, names), _by_user(_listed(master), names, names)
    friends = {n: {"same": _named(same_by[n]), "master": _named(master_by[n])} for n in tables}
    wanted = {}
    number = {name: i for i, name in enumerate(names)}
    if wants:
        wished = pl.DataFrame({"user": [number[n] for n, ids in wants.items() for _ in ids],
                               "release_id": [i for ids in wants.values() for i in ids]},
                              schema={"user": pl.UInt32, "release_id": pl.Int64}).unique()
        found = _by_user(_listed(_others(wished, by_release, "release_id")), names, list(wants))
        wanted = {n: _named(found[n]) for n in wants}
    pairs = _pairs(records, held, names)
    return {"friends": friends, "wanted": wanted, "pairs": {n: pairs[n] for n in tables}}


def _genre_shares(records: pl.DataFrame, names: list[str]) -> dict[str, dict[str, float]]:
    """user -> genre -> the share of their items carrying it."""
    sizes = records.group_by("user").len("items")
    counted = (records.select("user", pl.col("genres").list.unique()).explode("genres").drop_nulls()
               .group_by("user", "genres").len().join(sizes, on="user"))
    shares: dict[str, dict[str, float]] = {}
    for user, genre, n, items in counted.select("user", "genres", "len", "items").iter_rows():
        shares.setdefault(names[user], {})[genre] = n / items
    return shares


def _in_common(held: pl.DataFrame, key: str, users: list[int] | None = None) -> pl.LazyFrame:
    """(user, user_other, key) for every two collectors both holding a key (the first one of `users`, if given);
    0 is no key (a release id of 0 says nothing, and record keys of releases without a master are negative)."""
    pairs = held.lazy().filter(pl.col(key) != 0).select("user", key).unique()
    mine = pairs if users is None else pairs.filter(pl.col("user").is_in(users))
    return mine.join(pairs, on=key, suffix="_other").filter(pl.col("user") != pl.col("user_other"))


def _chunks(records: pl.DataFrame, top: pl.DataFrame) -> list[list[int]]:
    """Collectors in groups whose records, once per closest collector, stay within COMMON_ROWS rows: what the
    records in common are found among, so memory stays bounded with large, overlapping collections."""
    sizes = records.group_by("user").len("items").join(top.group_by("user").len("pairs"), on="user")
    chunks: list[list[int]] = [[]]
    rows = 0
    for user, items, pairs in sizes.sort("user").select("user", "items", "pairs").iter_rows():
        if chunks[-1] and rows + items * pairs > COMMON_ROWS:
            chunks.append([])
            rows = 0
        chunks[-1].append(user)
        rows += items * pairs
    return [c for c in chunks if c]


def _common(records: pl.DataFrame, held: pl.DataFrame, users: list[int], chosen: pl.LazyFrame) -> pl.DataFrame:
    """For each chosen (user, user_other), every user among `users`: one line per record both hold (`record_key`),
    shown as the user's own pressing of it (the first by artist, title and release), the first COMMON_SHOWN by
    artist and title."""
    found = (_in_common(held, "record", users).join(chosen, on=["user", "user_other"], how="semi")
             .join(records.lazy(), on=["user", "record"]))
    shown = ["release_id", "artist", "title", "thumb", "original_year", "year"]
    return (found.select("user", "user_other", "record", *shown)
            .sort("user", "user_other", "artist", "title", "release_id")
            .unique(["user", "user_other", "record"], keep="first", maintain_order=True)
            .drop("record").group_by("user", "user_other", maintain_order=True).head(COMMON_SHOWN).collect())


def _pairs(records: pl.DataFrame, held: pl.DataFrame, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per collector, the others sharing the most records with them (`record_key`; then the very same releases),
    with what they share. Every release both hold is a record both hold, so `releases` never exceeds `records`."""
    counts = (_in_common(held, "record").group_by("user", "user_other").len("records")
              .join(_in_common(held, "release_id").group_by("user", "user_other").len("releases"),
                    on=["user", "user_other"], how="full", coalesce=True).fill_null(0).collect())
    top = (counts.sort(["user", "records", "releases", "user_other"], descending=[False, True, True, False])
           .group_by("user", maintain_order=True).head(TOP_FRIENDS))
    listed: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for chunk in _chunks(records, top):
        chosen = top.lazy().filter(pl.col("user").is_in(chunk)).select("user", "user_other")
        for row in _common(records, held, chunk, chosen).iter_rows(named=True):
            listed.setdefault((row.pop("user"), row.pop("user_other")), []).append(row)
    shares = _genre_shares(records, names)
    pairs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for user, other, n_records, n_releases in top.select("user", "user_other", "records", "releases").iter_rows():
        name, with_ = names[user], names[other]
        mine, theirs = shares.get(name, {}), shares.get(with_, {})
        genres = sorted(set(mine) | set(theirs), key=lambda g: (-(mine.get(g, 0) + theirs.get(g, 0)), g))
        pairs[name].append({
            "with": with_, "records": n_records, "releases": n_releases,
            "genres": [[g, round(mine.get(g, 0), 4), round(theirs.get(g, 0), 4)] for g in genres[:GENRES_SHOWN]],
            "common": listed.get((user, other), []),
        })
    return pairs
