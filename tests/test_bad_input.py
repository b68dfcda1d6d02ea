"""Bad input at the command line: one clear message naming the culprit, a non-zero exit, nothing stored changed.

Every case starts from the same working set (a valid users.yaml, a vault holding one user's tokens,
some pipeline state) and breaks one thing: a file, a key, an environment variable or an argument.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.accounts.vault import Vault, generate_key
from pipeline.cli import main
from tests.conftest import personal

GOOD_USERS = """users:
  - name: al
    discogs_username: alice
    visibility: public
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "users.yaml").write_text(GOOD_USERS)
    Vault.open(tmp_path / "vault.json").put("al", personal("alice"))
    (tmp_path / "state" / "collections").mkdir(parents=True)
    (tmp_path / "state" / "collections" / "al.json").write_text('{"synced_at": "2026-11-01T00:00:00+00:00"}')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCOGS_SITE_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return tmp_path


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not {"dagster", "ratelimit"} & set(p.parts)}


def users(text: str):
    return lambda root, env: (root / "users.yaml").write_text(text)


def vault(content: bytes):
    return lambda root, env: (root / "vault.json").write_bytes(content)


def setenv(name: str, value: str | None):
    return lambda root, env: env.delenv(name) if value is None else env.setenv(name, value)


def truncate_vault(root: Path, env) -> None:
    path = root / "vault.json"
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def dump_file(name: str):
    return lambda root, env: (root / name).write_bytes(b"\x1f\x8b not really a dump")


def output_under_a_file(root: Path, env) -> None:
    (root / "not-a-dir").write_text("a file where the site should go")


CASES = {
    "empty users.yaml": (users(""), ["users", "validate"], ["users.yaml", "empty"]),
    "tab in users.yaml": (users("users:\n\t- name: al\n"), ["users", "validate"], ["users.yaml:2", "tab"]),
    "duplicate user": (users(GOOD_USERS + "  - name: al\n    discogs_username: b\n    visibility: public\n"),
                       ["users", "validate"], ["users.yaml:5", "'al'", "line 2"]),
    "../ in a name": (users(GOOD_USERS.replace("name: al", "name: ../al")), ["users", "validate"],
                      ["users.yaml:2", "'../al'"]),
    "unknown visibility": (users(GOOD_USERS.replace("public", "friends-only")), ["users", "validate"],
                           ["users.yaml:4", "'friends-only'"]),
    "unknown field": (users(GOOD_USERS + "    colour: blue\n"), ["users", "validate"], ["users.yaml:5", "colour"]),
    "users is not a list": (users("users: everyone\n"), ["users", "validate"], ["users.yaml:1", "users"]),
    "missing users.yaml": (lambda root, env: (root / "users.yaml").unlink(), ["users", "validate"],
                           ["users.yaml"]),
    "wrong vault key": (setenv("DISCOGS_SITE_KEY", generate_key()), ["disconnect", "al"],
                        ["vault.json", "cannot be decrypted", "DISCOGS_SITE_KEY"]),
    "malformed vault key": (setenv("DISCOGS_SITE_KEY", "not-a-key"), ["disconnect", "al"], ["DISCOGS_SITE_KEY"]),
    "no vault key": (setenv("DISCOGS_SITE_KEY", None), ["disconnect", "al"], ["DISCOGS_SITE_KEY"]),
    "truncated vault": (truncate_vault, ["disconnect", "al"], ["vault.json"]),
    "vault not JSON": (vault(b"\x00\x01 binary"), ["disconnect", "al"], ["vault.json"]),
    "vault of the wrong shape": (vault(b"[1, 2, 3]"), ["disconnect", "al"], ["vault.json"]),
    "connect an unknown user": (None, ["connect", "zed", "--personal-token"], ["'zed'", "users validate"]),
    "disconnect an unknown user": (None, ["disconnect", "zed"], ["'zed'"]),
    "build an unknown user": (None, ["build", "--user", "zed"], ["'zed'", "users.yaml"]),
    "bad rate limit": (setenv("DISCOGS_RATE_LIMIT", "fast"), ["build"], ["DISCOGS_RATE_LIMIT='fast'"]),
    "bad timeout": (setenv("DISCOGS_TIMEOUT", "-3"), ["build"], ["DISCOGS_TIMEOUT='-3'"]),
    "rotate without a new key": (None, ["rotate-key"], ["DISCOGS_SITE_NEW_KEY"]),
    "fake-discogs with a missing replay directory": (None, ["fake-discogs", "--data", "no-such-dir"],
                                                     ["no-such-dir"]),
    "fake-discogs with a bad spec": (None, ["fake-discogs", "--generate", "alice:lots"], ["alice:lots"]),
    "serve without a site": (None, ["serve", "--output", "nothing-built"], ["nothing-built", "discogs-site build"]),
    "output under a file": (output_under_a_file, ["build", "--output", "not-a-dir/site"], ["not-a-dir"]),
    "masters dump that is not there": (None, ["masters-dump", "import", "no-such.xml.gz"], ["no-such.xml.gz"]),
    "masters dump without a checksum": (dump_file("discogs_20261001_masters.xml.gz"),
                                        ["masters-dump", "import", "discogs_20261001_masters.xml.gz"],
                                        ["discogs_20261001_CHECKSUM.txt", "--no-verify"]),
    "masters dump with no date in its name": (dump_file("masters.xml.gz"),
                                              ["masters-dump", "import", "masters.xml.gz", "--no-verify"],
                                              ["masters.xml.gz", "--date"]),
    "dump URL without a date": (setenv("DISCOGS_DUMP_URL", "https://example.invalid/masters.xml.gz"),
                                ["masters-dump", "import", "latest"], ["DISCOGS_DUMP_URL", "{date}"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_named_and_changes_nothing(case, workdir, monkeypatch, capsys):
    breaks, argv, named = CASES[case]
    if breaks:
        breaks(workdir, monkeypatch)
    before = snapshot(workdir)
    code = main(argv)
    captured = capsys.readouterr()
    assert code != 0, captured.out
    message = captured.err
    assert "Traceback" not in message
    for part in named:
        assert part in message, f"{case}: {part!r} not in {message!r}"
    assert snapshot(workdir) == before, f"{case} changed stored files"
