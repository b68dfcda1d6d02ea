"""The printed formats of a release, from Discogs' own item JSON and from a table stored before quantities were kept."""

from __future__ import annotations

import polars as pl

from pipeline.collection.rows import SCHEMA, aligned, frame_of, row_of


def _item(formats: list[dict]) -> dict:
    return {"id": 7, "instance_id": 70, "date_added": "2024-01-02T10:00:00-08:00",
            "basic_information": {"id": 7, "title": "T", "formats": formats}}


def test_quantities_are_printed_as_discogs_prints_them():
    cases = [
        ([{"name": "Vinyl", "qty": "2", "descriptions": ["LP", "Album"]}], "2 × Vinyl, LP, Album"),
        ([{"name": "Box Set", "qty": "1", "descriptions": ["Limited Edition"]},
          {"name": "Vinyl", "qty": "6", "descriptions": ["LP"]}], "Box Set, Limited Edition, 6 × Vinyl, LP"),
        # Listed disc by disc: one entry of three, its descriptions said once.
        ([{"name": "CD", "qty": "1", "descriptions": ["Album"]}] * 3 + [{"name": "DVD", "qty": "1"}],
         "3 × CD, Album, DVD"),
        # Two different discs of one name are two entries, never "2 × Vinyl, LP, Album, 7\"".
        ([{"name": "Vinyl", "qty": "1", "descriptions": ["LP", "Album"]},
          {"name": "Vinyl", "qty": "1", "descriptions": ['7"', "Single"]}], 'Vinyl, LP, Album, Vinyl, 7", Single'),
        ([{"name": "Cassette", "qty": "", "descriptions": "not a list"}, {"qty": "4"}], "Cassette"),
        ([], ""),
    ]
    for formats, printed in cases:
        assert row_of(_item(formats))["format"] == printed, formats


def test_a_table_stored_before_the_printed_formats_is_printed_from_its_names_and_descriptions():
    old = frame_of([row_of(_item([]))]).drop("format").with_columns(
        formats=pl.lit(["Box Set", "Vinyl", "Vinyl", "Vinyl"]), format_descriptions=pl.lit(["LP", "Album"]))
    table = aligned(old)
    assert list(table.columns) == list(SCHEMA)
    assert table["format"].to_list() == ["Box Set, 3 × Vinyl, LP, Album"]
