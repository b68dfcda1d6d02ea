"""The privacy promise everywhere: current registry entries win, nothing lists unlisted paths, forgotten users
leave no state, tokens stay bound to their account, and exports are safe to open."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline.accounts.vault import Vault
from pipeline.errors import SiteError
from pipeline.runs.build import build
from tests.conftest import cli_env, personal, served_root


def _build(settings, instance, only=None):
    return build(settings, only, instance=instance, report=lambda _: None)


def _edit_users(settings, old: str, new: str) -> None:
    users = Path(settings.stores.users_file)
    text = users.read_text()
    assert old in text
    users.write_text(text.replace(old, new))


def test_visibility_and_display_name_switch_at_the_next_publish_even_with_the_token_revoked(site, pipeline_world):
    settings, fake, instance = site
    _build(settings, instance)
    pipeline_world.revoke("alice")
    _edit_users(settings, "discogs_username: alice\n    visibility: public",
                "discogs_username: alice\n    visibility: unlisted\n    display_name: A. Nonymous")
    fake.reset_log()
    outcomes, published = _build(settings, instance, ["al"])
    assert not outcomes[0].ok and published  # the sync failed, the publish did not
    output = Path(settings.site.output_dir)
    assert not (output / "u" / "al").exists()
    moved = next(p for p in (output / "u").iterdir() if p.name.startswith("al-"))
    for page in moved.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert '<meta name="robots" content="noindex">' in text, page
    assert "A. Nonymous" in (moved / "collection" / "index.html").read_text(encoding="utf-8")
    assert moved.name not in (output / "index.html").read_text(encoding="utf-8")
    assert not (output / "sitemap.xml").exists() or moved.name not in (output / "sitemap.xml").read_text()
    assert [s.path for s in fake.requests()] == ["/users/alice/collection/folders/0/releases"]  # the failed sync


def test_no_directory_listing_reveals_an_unlisted_path(site, tmp_path):
    settings, _, instance = site
    _build(settings, instance)
    output = Path(settings.site.output_dir)
    unlisted = next(p.name for p in (output / "u").iterdir() if p.name.startswith("ob-"))
    for directory in [p for p in output.rglob("*") if p.is_dir()]:
        assert (directory / "index.html").is_file(), f"{directory} has no index page"
    server = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--port", "0", "--output",
                               str(output)], stdout=subprocess.PIPE, text=True)
    try:
        root = served_root(server)
        for path in ("u/", "u", "assets/", "u/al/", ".discogs-site-output"):
            try:
                with urllib.request.urlopen(root + path) as answer:
                    body = answer.read().decode()
            except urllib.error.HTTPError as error:
                body = error.read().decode()
            assert unlisted not in body and "Directory listing" not in body, path
        (output / "u" / "empty").mkdir()  # even a folder without an index page is never listed
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(root + "u/empty/")
        assert missing.value.code == 404
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_private_and_removed_users_leave_nothing_in_the_state_directory(site):
    settings, _, instance = site
    _build(settings, instance)
    state = Path(settings.stores.state_dir)
    assert any("ob" in p.name for p in state.rglob("*"))
    _edit_users(settings, "discogs_username: obi\n    visibility: unlisted", "discogs_username: obi\n"
                "    visibility: private")
    _edit_users(settings, "  - name: al\n    discogs_username: alice\n    visibility: public\n", "")
    _build(settings, instance)
    left = [p for p in state.rglob("*") if "dagster" not in p.parts and p.name != "masters.sqlite"
            and re.match(r"\.?(al|ob|hid)\b", p.name)]
    assert left == []
    runs = instance.get_runs()
    assert not [r for r in runs if r.tags.get("discogs-site/user") in ("al", "ob", "hid")]


def test_state_files_are_the_owners_alone(site):
    settings, _, instance = site
    assert all(o.ok for o in _build(settings, instance)[0])
    state = Path(settings.stores.state_dir)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    loose = [p for p in state.rglob("*") if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []
    published = [p for p in Path(settings.site.output_dir).rglob("*") if p.is_file()]
    assert published and all(stat.S_IMODE(p.stat().st_mode) & 0o444 == 0o444 for p in published)


def test_tokens_are_bound_to_the_account_connect_confirmed(site, pipeline_world):
    settings, fake, instance = site
    _edit_users(settings, "discogs_username: alice", "discogs_username: obi")  # al now names someone else
    fake.reset_log()
    outcomes, published = _build(settings, instance)
    by_name = {o.name: o for o in outcomes}
    assert not by_name["al"].ok and by_name["ob"].ok and published
    assert "belong to Discogs account 'alice'" in by_name["al"].error
    assert "discogs-site connect al" in by_name["al"].error
    assert not [s for s in fake.requests() if s.user == "alice"]  # not one request with her token
    # An entry sealed before accounts were recorded is checked against /oauth/identity instead.
    Vault.open(settings.stores.vault_file).put("al", personal("alice"))
    with pytest.raises(SiteError, match="belong to Discogs account 'alice'"):
        settings.discogs.client(settings.stores.user("al"), settings.stores)


@pytest.mark.parametrize("key", ["", "wrong"])
def test_a_missing_or_wrong_key_stops_the_build_before_anything_changes(site, tmp_path, key):
    settings, fake, _ = site
    output = Path(settings.site.output_dir)
    output.mkdir()
    (output / "index.html").write_text("the site as it was")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    env = cli_env(settings, tmp_path / "dagster")
    if key:
        from pipeline.accounts.vault import generate_key

        env["DISCOGS_SITE_KEY"] = generate_key()
    else:
        env.pop("DISCOGS_SITE_KEY")
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "--users", settings.stores.users_file, "--vault",
                           settings.stores.vault_file, "build"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCOGS_SITE_KEY" in lines[0] and "Traceback" not in done.stdout
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert fake.count() == 0


def test_csv_cells_cannot_run_as_formulas_while_json_keeps_the_text(site, pipeline_world):
    settings, _, instance = site
    nasty = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    with pipeline_world.lock:
        for item, text in zip(pipeline_world.user("alice").items, nasty, strict=False):
            item["basic_information"]["title"] = text
        pipeline_world.version += 1
    _build(settings, instance, ["al"])
    folder = Path(settings.site.output_dir) / "u" / "al" / "collection"
    rows = list(csv.DictReader(io.StringIO((folder / "export.csv").read_bytes().decode("utf-8-sig"), newline="")))
    titles = {r["title"] for r in rows}
    for text in nasty:
        assert "'" + text in titles and text not in titles
    assert all(not re.match(r"[=+\-@\t\r]", cell) for row in rows for cell in row.values() if cell)
    exported = {r["title"] for r in json.loads((folder / "export.json").read_text(encoding="utf-8"))}
    assert set(nasty) <= exported
