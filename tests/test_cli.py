"""The `discogs-site` command as an operator runs it: help, exit codes, messages, and no token in sight."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from pipeline.cli import build_parser, main
from pipeline.fakes.discogs import personal_token_for
from tests.conftest import KNOWN_SECRETS, ROOT

SUBCOMMANDS = [["connect"], ["disconnect"], ["rotate-key"], ["keygen"], ["users"], ["users", "validate"],
               ["fake-discogs"], ["demo"], ["state"], ["state", "seal"], ["state", "unseal"], ["build"], ["status"],
               ["serve"], ["masters-dump"], ["masters-dump", "import"], ["masters-dump", "status"],
               ["masters-dump", "generate"]]
USERS_YAML = "users:\n  - name: al\n    discogs_username: alice\n    visibility: public\n"


def run(*args: str, stdin: str = "", env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help(words, capsys):
    with pytest.raises(SystemExit) as done:
        main([*words, "--help"])
    assert done.value.code == 0
    assert "usage: discogs-site" in capsys.readouterr().out


COMMANDS = ["connect", "disconnect", "rotate-key", "keygen", "users", "fake-discogs", "masters-dump", "build",
            "status", "state", "serve", "demo"]


def test_parser_lists_every_subcommand():
    """Each command is its own entry of `--help`, in order: a missing one cannot hide inside another's name."""
    help_text = build_parser().format_help()
    assert re.findall(r"^    (\S+)", help_text, re.MULTILINE) == COMMANDS
    assert {words[0] for words in SUBCOMMANDS} == set(COMMANDS)


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["connect"], ["fake-discogs", "--rate-limit", "0"],
                                  ["fake-discogs", "--latency", "-1"], ["fake-discogs", "--latency", "nan"],
                                  ["fake-discogs", "--data", "x", "--generate", "a:1"]])
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2


def test_the_fake_accepts_no_latency_as_its_help_says():
    """`--latency 0` is the default the help names; it must also be accepted when written out."""
    args = build_parser().parse_args(["fake-discogs", "--latency", "0", "--window", "2"])
    assert args.latency == 0 and args.window == 2


def test_failures_exit_1_with_a_message_naming_the_culprit(tmp_path, capsys):
    users = tmp_path / "users.yaml"
    users.write_text("users:\n  - name: ../x\n    discogs_username: a\n    visibility: public\n")
    assert main(["--users", str(users), "users", "validate"]) == 1
    err = capsys.readouterr().err
    assert f"{users}:2: users[0].name: '../x' is not a URL slug" in err and "Traceback" not in err
    users.write_text(USERS_YAML)
    assert main(["--users", str(users), "--vault", str(tmp_path / "v.json"), "disconnect", "zed"]) == 1
    assert "no user named 'zed'" in capsys.readouterr().err
    assert main(["fake-discogs", "--generate", "nonsense"]) == 1
    assert "--generate: 'nonsense'" in capsys.readouterr().err


def test_connect_without_consumer_names_the_missing_variables(tmp_path, capsys):
    users = tmp_path / "users.yaml"
    users.write_text(USERS_YAML)
    assert main(["--users", str(users), "--vault", str(tmp_path / "v.json"), "connect", "al"]) == 1
    assert "DISCOGS_CONSUMER_KEY and DISCOGS_CONSUMER_SECRET not set" in capsys.readouterr().err


def test_keygen_prints_a_usable_key(capsys):
    assert main(["keygen"]) == 0
    Fernet(capsys.readouterr().out.strip().encode())


def test_personal_token_connect_and_disconnect_never_show_the_token(fake, tmp_path):
    token = personal_token_for("alice")
    KNOWN_SECRETS.add(token)
    users, vault = tmp_path / "users.yaml", tmp_path / "vault.json"
    users.write_text(USERS_YAML)
    env = {"DISCOGS_API_URL": fake.url, "DISCOGS_RATE_LIMIT": "1000/1"}
    common = ["-v", "--users", str(users), "--vault", str(vault)]
    connected = run(*common, "connect", "al", "--personal-token", stdin=token + "\n", env=env)
    assert connected.returncode == 0, connected.stderr
    assert "Connected 'al' as Discogs user alice" in connected.stdout
    assert "DEBUG" in connected.stderr  # debug logging was on, and still nothing leaked
    refused = run(*common, "connect", "al", "--personal-token", stdin="bogus-token-value\n", env=env)
    assert refused.returncode == 1 and "HTTP 401" in refused.stderr
    removed = run(*common, "disconnect", "al", env=env)
    assert removed.returncode == 0 and "Removed the tokens of 'al'" in removed.stdout
    for output in (connected, refused, removed):
        text = output.stdout + output.stderr
        assert token not in text and "bogus-token-value" not in text
    assert token not in vault.read_text()


def test_fake_discogs_command_serves_until_interrupted():
    server = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "fake-discogs", "--port", "0",
                               "--generate", "zoe:120", "--window", "2"], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())[0]
        page = requests.get(f"{url}/users/zoe/collection/folders/0/releases", timeout=5,
                            headers={"Authorization": "Discogs token=fake-token-zoe"})
        assert page.json()["pagination"]["items"] == 120
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0


def test_demo_runs_end_to_end_and_keeps_its_runs_where_it_says(tmp_path):
    home, site, operators = tmp_path / "demo-home", tmp_path / "site", tmp_path / "operators-dagster"
    # An operator's DAGSTER_HOME in the shell: the demo's runs must not land in it.
    done = run("demo", "--no-serve", "--output", str(site), "--home", str(home), timeout=300,
               env={"DAGSTER_HOME": str(operators)})
    assert done.returncode == 0, done.stderr
    # The summary (often a public log) counts what the site shows: vera keeps a folder private.
    shown = json.loads((site / "u" / "vera" / "collection" / "stats.json").read_text())["totals"]["items"]
    assert shown < 1500 and re.search(rf"vera\s+public\s+{shown}\s", done.stdout)
    # A 429 under a loaded machine is retried, never fatal: every user is built (exit 0 says so).
    assert re.search(r"The fake API served \d+ requests in \d+ s and answered \d+ with 429", done.stdout)
    assert re.search(r"Masters dump of \d{4}-\d\d-01: [\d,]+ masters imported", done.stdout)
    vera = re.search(rf"vera\s+public\s+{shown}\s+0\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)", done.stdout)  # 0 skipped
    assert int(vera[1]) > int(vera[2]) > 0, "most masters from the dump, the newer ones through the API"
    assert int(vera[3]) == 0, "the first user built finds no master fetched for anyone before"
    # sam shares masters with vera: those vera's run fetched cost sam no request (the shared cache).
    sam = re.search(r"sam\s+public\s+250\s+0\s+(\d+)\s+\d+\s+(\d+)\s+(\d+)", done.stdout)
    assert int(sam[3]) > 0 and int(sam[1]) == 3 + int(sam[2]), "3 collection pages and the masters fetched now"
    assert (site / "u" / "vera" / "collection" / "index.html").exists()
    assert f"stay in {home}" in done.stdout
    # What `make demo-ui` loads: the demo's own registry, state and Dagster runs, kept after the demo ends.
    env = dict(line.split("=", 1) for line in (home / "demo.env").read_text().splitlines()
               if "=" in line and not line.startswith("#"))
    assert Path(env["DISCOGS_SITE_USERS"]).read_text().count("- name:") == 4
    # vera publishes every choice: her wantlist, her conditions as filters, what she shares with sam.
    vera_pages = site / "u" / "vera"
    assert (vera_pages / "wantlist" / "index.html").exists() and (vera_pages / "shared" / "sam" / "index.html").exists()
    assert '"field:Media Condition"' in (vera_pages / "collection" / "releases.json").read_text()
    assert Path(env["DAGSTER_HOME"]).is_relative_to(home) and not operators.exists()
    listing = run("status", env=env)
    assert listing.returncode == 0 and re.search(r"^vera\s+public\s+yes\s+1500", listing.stdout, re.MULTILINE)
    runs = subprocess.run([sys.executable, "-c", "import dagster as dg; i = dg.DagsterInstance.get(); "
                           "print(sorted({r.job_name for r in i.get_runs()}))"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)
    assert runs.stdout.strip() == "['publish_site', 'refresh_user']", runs.stderr
    unlisted = next(p.name for p in (site / "u").iterdir() if p.name.startswith("otto-"))
    again = run("demo", "--no-serve", "--output", str(site), "--home", str(home), timeout=300)
    assert again.returncode == 0, again.stderr
    assert (site / "u" / unlisted / "collection" / "index.html").exists(), "the unlisted link survives a rerun"


def test_demo_refuses_a_taken_port_and_a_folder_it_did_not_make_before_building(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = run("demo", "--port", str(port), "--output", str(tmp_path / "site"), "--home", str(tmp_path / "h"))
        assert done.returncode == 1 and time.monotonic() - started < 20
    assert done.stderr.strip().splitlines() == [
        f"discogs-site: error: port {port} on 127.0.0.1 is taken (Address already in use); nothing was built. "
        "Choose another: `make demo PORT=8080` or `discogs-site demo --port 8080`"]
    assert not (tmp_path / "site").exists() and not (tmp_path / "h").exists() and done.stdout == ""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused = run("demo", "--no-serve", "--output", str(tmp_path / "site"), "--home", str(mine))
    assert refused.returncode == 1 and "not made by `discogs-site demo`" in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"] and not (tmp_path / "site").exists()
    dry = subprocess.run(["make", "-n", "demo", "PORT=8080"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "discogs-site demo --port 8080" in dry.stdout
