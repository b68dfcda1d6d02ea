"""taste.py on small hand-made tables: a popular record names a few collectors and counts the rest, and the
looser match (same master) never repeats who already holds the very same release."""

from __future__ import annotations

import polars as pl

from pipeline.stats.taste import NAMED, compute_taste


def _table(*records: tuple[int, int]) -> pl.DataFrame:
    return pl.DataFrame({"release_id": [r for r, _ in records], "master_id": [m for _, m in records],
                         "artist": ["A"] * len(records), "title": ["T"] * len(records), "thumb": [""] * len(records),
                         "genres": [["Jazz"]] * len(records), "original_year": [1970] * len(records)})


def test_a_popular_record_names_a_few_and_counts_the_rest_and_each_collector_is_said_once():
    tables = {f"u{i}": _table((1, 0)) for i in range(NAMED + 2)}
    tables["u0"] = _table((1, 0), (2, 10))
    tables["u1"] = _table((1, 0), (2, 10), (3, 10))   # the same release 2, and another pressing of master 10
    tables["u2"] = _table((1, 0), (3, 10))            # only another pressing
    taste = compute_taste(tables, {"u3": [2, 99]})
    u0 = taste["friends"]["u0"]
    assert u0["same"]["1"] == {"names": [f"u{i}" for i in range(1, NAMED + 1)], "more": 1}
    assert u0["same"]["2"] == {"names": ["u1"], "more": 0}
    assert u0["master"]["2"] == {"names": ["u2"], "more": 0}  # u1 is said once, under the same release
    assert taste["wanted"]["u3"] == {"2": {"names": ["u0", "u1"], "more": 0}}
    assert [p["with"] for p in taste["pairs"]["u0"]][:2] == ["u1", "u2"]  # most masters in common first
