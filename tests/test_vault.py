"""The token vault: ciphertext only on disk, rotation without loss, clear refusals that change nothing."""

from __future__ import annotations

import json
import os

import pytest

from pipeline.cli import main
from pipeline.discogs.credentials import OAuthToken, PersonalToken
from pipeline.vault import Vault, VaultError, generate_key, parse_keys
from tests.conftest import KNOWN_SECRETS

TOKEN = "personal-token-value-for-vault-tests"
ACCESS, SECRET = "oauth-access-token-value", "oauth-secret-value-for-vault"
KNOWN_SECRETS.update({TOKEN, ACCESS, SECRET})


@pytest.fixture
def vault_file(tmp_path):
    path = tmp_path / "vault.json"
    vault = Vault.open(path)
    vault.put("ann", PersonalToken(TOKEN))
    vault.put("bob", OAuthToken(ACCESS, SECRET))
    return path


def test_round_trip_keeps_every_kind_of_token(vault_file):
    vault = Vault.open(vault_file)
    assert vault.names() == ["ann", "bob"]
    assert vault.get("ann") == PersonalToken(TOKEN)
    assert vault.get("bob") == OAuthToken(ACCESS, SECRET)
    assert vault.get("nobody") is None


def test_file_holds_ciphertext_only_and_reprs_hide_tokens(vault_file):
    text = vault_file.read_text()
    for secret in (TOKEN, ACCESS, SECRET):
        assert secret not in text
    assert json.loads(text)["format"] == "discogs-site-vault/1"
    vault = Vault.open(vault_file)
    shown = repr(vault) + repr(vault.get("ann")) + str(vault.get("bob"))
    assert TOKEN not in shown and ACCESS not in shown and SECRET not in shown


def test_wrong_key_is_refused_naming_the_file_and_nothing_changes(vault_file, monkeypatch):
    before = vault_file.read_bytes()
    monkeypatch.setenv("DISCOGS_SITE_KEY", generate_key())
    with pytest.raises(VaultError, match=rf"{vault_file.name}: the entry for 'ann' cannot be decrypted"):
        Vault.open(vault_file)
    assert vault_file.read_bytes() == before


@pytest.mark.parametrize("key", ["", "not-a-key"])
def test_missing_or_malformed_key_is_named(vault_file, monkeypatch, key):
    monkeypatch.setenv("DISCOGS_SITE_KEY", key)
    with pytest.raises(VaultError, match="DISCOGS_SITE_KEY"):
        Vault.open(vault_file)


def test_tampered_entry_is_refused(vault_file):
    document = json.loads(vault_file.read_text())
    ciphertext = document["entries"]["ann"]
    document["entries"]["ann"] = ciphertext[:-6] + ("A" if ciphertext[-6] != "A" else "B") + ciphertext[-5:]
    vault_file.write_text(json.dumps(document))
    with pytest.raises(VaultError, match="the entry for 'ann' cannot be decrypted.*altered"):
        Vault.open(vault_file)


def test_entries_swapped_between_users_are_refused(vault_file):
    document = json.loads(vault_file.read_text())
    entries = document["entries"]
    entries["ann"], entries["bob"] = entries["bob"], entries["ann"]
    vault_file.write_text(json.dumps(document))
    with pytest.raises(VaultError, match="belongs to another user"):
        Vault.open(vault_file)


@pytest.mark.parametrize(("content", "message"), [
    ("", "the vault file is empty"),
    ('{"format": "discogs-site-vault/1", "entr', "truncated or altered"),
    ('{"format": "other"}', "not a vault file"),
    ('{"format": "discogs-site-vault/1", "entries": []}', "'entries' table is malformed"),
])
def test_damaged_files_are_named_and_left_alone(tmp_path, content, message):
    path = tmp_path / "vault.json"
    path.write_text(content)
    with pytest.raises(VaultError, match=message) as caught:
        Vault.open(path)
    assert str(path) in str(caught.value)
    assert path.read_text() == content


def test_rotation_keeps_every_entry_and_retires_the_old_key(vault_file, monkeypatch, capsys):
    old_key, new_key = os.environ["DISCOGS_SITE_KEY"], generate_key()
    monkeypatch.setenv("DISCOGS_SITE_NEW_KEY", new_key)
    assert main(["--vault", str(vault_file), "rotate-key"]) == 0
    assert "Re-encrypted 2 entries" in capsys.readouterr().out
    assert Vault.open(vault_file, parse_keys(new_key, "new")).get("bob") == OAuthToken(ACCESS, SECRET)
    with pytest.raises(VaultError):
        Vault.open(vault_file, parse_keys(old_key, "old"))
    # Both keys listed: the old one still decrypts during a change-over, the first one encrypts.
    both = Vault.open(vault_file, parse_keys(f"{new_key},{old_key}", "both"))
    assert both.get("ann") == PersonalToken(TOKEN)


def test_rotation_without_a_new_key_changes_nothing(vault_file, capsys):
    before = vault_file.read_bytes()
    assert main(["--vault", str(vault_file), "rotate-key"]) == 1
    assert "DISCOGS_SITE_NEW_KEY is not set" in capsys.readouterr().err
    assert vault_file.read_bytes() == before


def test_remove_and_atomic_save_leave_no_temporary_files(vault_file):
    vault = Vault.open(vault_file)
    assert vault.remove("ann") and not vault.remove("ann")
    assert Vault.open(vault_file).names() == ["bob"]
    assert [p.name for p in vault_file.parent.iterdir() if p.name.startswith(".vault")] == []


SAVE_FOREVER = """
import sys
from pathlib import Path
from pipeline.discogs.credentials import PersonalToken
from pipeline.vault import Vault
vault = Vault.open(Path(sys.argv[1]))
print("ready", flush=True)
n = 0
while True:
    n += 1
    vault.put(f"user-{n % 400}", PersonalToken("t" * 2000))
"""


def test_a_kill_at_any_instant_of_a_save_leaves_a_vault_that_opens(tmp_path):
    """Saves write beside the file and rename: a plain overwrite killed midway would leave half a vault."""
    import random
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "vault.json"
    vault = Vault.open(path)
    for n in range(400):  # about 1.2 MB, so a write takes long enough to be interrupted
        vault._entries[f"user-{n}"] = vault._keys.encrypt(json.dumps(
            {"user": f"user-{n}", **PersonalToken("t" * 2000).to_dict()}).encode()).decode()
    vault.save()
    rng = random.Random(3)
    for _ in range(15):
        writer = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(path)], stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        Vault.open(path)  # raises if the kill left a damaged file
