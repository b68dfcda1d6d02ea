"""Operator commands: `status` after real builds, `serve` previewing the site at its base path."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from pipeline import cli
from pipeline.runs.build import build
from tests.conftest import found_share, masters_of, served_root


def test_status_shows_each_user_and_the_last_error(site, pipeline_world, capsys, monkeypatch):
    settings, _, instance = site
    build(settings, instance=instance, report=lambda _: None)
    pipeline_world.revoke("obi")
    build(settings, ["ob"], instance=instance, report=lambda _: None)
    for name, value in (("DISCOGS_SITE_STATE", settings.stores.state_dir), ("DISCOGS_SITE_URL", "https://ex.org"),
                        ("DISCOGS_SITE_BASE_PATH", "/records/")):
        monkeypatch.setenv(name, value)
    assert cli.main(["--users", settings.stores.users_file, "--vault", settings.stores.vault_file, "status"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    cached = len(masters_of(pipeline_world, "alice") | masters_of(pipeline_world, "obi"))
    assert f"master cache: {cached:,} masters, 0 from the dump and {cached:,} from the API" in out
    assert lines["al"].split()[1:5] == ["public", "yes", "230", lines["al"].split()[4]]
    assert f" {found_share(pipeline_world, 'alice'):.0%} " in lines["al"] and lines["al"].endswith("https://ex.org/records/u/al/collection/")
    assert "unlisted" in lines["ob"] and "discogs-site connect ob" in lines["ob"]
    assert re.search(r"https://ex\.org/records/u/ob-[0-9a-f]{20}/collection/$", lines["ob"])
    assert "private" in lines["hid"] and "not published" in lines["hid"] and " – " in lines["hid"]


def test_serve_previews_the_site_under_its_base_path(site, tmp_path):
    settings, _, instance = site
    build(settings, instance=instance, report=lambda _: None)
    env = {**os.environ, "DISCOGS_SITE_OUTPUT": settings.site.output_dir, "DISCOGS_SITE_BASE_PATH": "/records/"}
    server = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--port", "0"], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        root = served_root(server, "/records/")
        with urllib.request.urlopen(root) as index:
            assert b"u/al/collection/" in index.read()
        try:
            urllib.request.urlopen(root + "nope/")
        except urllib.error.HTTPError as missing:
            assert missing.code == 404 and b"Not found" in missing.read()
    finally:
        server.send_signal(signal.SIGTERM)  # a service manager's stop: a clean exit, not a kill
        assert server.wait(timeout=10) == 0


def test_serve_without_a_built_site_says_what_to_do(tmp_path, capsys):
    assert cli.main(["serve", "--output", str(tmp_path / "empty")]) == 1
    assert "no built site here; run `discogs-site build`" in capsys.readouterr().err
    assert not Path(tmp_path / "empty").exists()
