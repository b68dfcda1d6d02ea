"""The token vault: ciphertext only on disk, rotation without loss, clear refusals that change nothing."""

from __future__ import annotations

import json
import os
import re
import time

import pytest
from cryptography.fernet import Fernet

from pipeline.accounts.credentials import OAuthToken, PersonalToken
from pipeline.accounts.vault import Vault, VaultError, generate_key, parse_keys
from pipeline.cli import main
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
    assert json.loads(text)["format"] == "discogs-site-vault/2"
    vault = Vault.open(vault_file)
    shown = repr(vault) + repr(vault.get("ann")) + str(vault.get("bob"))
    assert TOKEN not in shown and ACCESS not in shown and SECRET not in shown
    assert "ann" not in repr(vault) and "bob" not in repr(vault)


PRIVATE, UNLISTED, ACCOUNT = "secret-pia-private", "quiet-uli-unlisted", "pia-records-account"


def fernet_times(path) -> set[int]:
    """The creation second every Fernet token of a vault file carries."""
    document = json.loads(path.read_text())
    fernet = Fernet(os.environ["DISCOGS_SITE_KEY"].split(",")[0].encode())
    return {fernet.extract_timestamp(token.encode()) for token in [document["entry_key"],
                                                                   *document["entries"].values()]}


def test_the_committed_file_names_nobody_nor_when_each_connected(tmp_path):
    """vault.json sits in a public repository while users.yaml may be a secret."""
    path = tmp_path / "vault.json"
    vault = Vault.open(path)
    vault.put(PRIVATE, PersonalToken(TOKEN), account=ACCOUNT)
    time.sleep(1.1)  # Fernet dates a token to the second: the second connection is a second later
    vault.put(UNLISTED, OAuthToken(ACCESS, SECRET))
    text = path.read_text()
    for hidden in (PRIVATE, UNLISTED, ACCOUNT, "secret", "quiet"):
        assert hidden not in text
    assert len(fernet_times(path)) == 1, "the tokens date the file's last write, not each connection"
    labels = set(json.loads(text)["entries"])
    assert len(labels) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", label) for label in labels)

    reopened = Vault.open(path)
    assert reopened.names() == sorted([PRIVATE, UNLISTED]) and reopened.account(PRIVATE) == ACCOUNT
    assert reopened.get(PRIVATE) == PersonalToken(TOKEN) and reopened.get(UNLISTED) == OAuthToken(ACCESS, SECRET)
    reopened.save()  # the next save's labels cannot be matched with these
    assert labels.isdisjoint(json.loads(path.read_text())["entries"])


def named_vault(path, entries: dict[str, dict]) -> None:
    """A vault file as the first format wrote it: entries keyed by name in clear."""
    fernet = Fernet(os.environ["DISCOGS_SITE_KEY"].encode())
    path.write_text(json.dumps({"format": "discogs-site-vault/1", "entries": {
        name: fernet.encrypt(json.dumps({"user": name, **payload}).encode()).decode() for name, payload in
        entries.items()}}))


def test_a_vault_keyed_by_names_is_read_as_it_is_and_rewritten_without_them(tmp_path):
    path = tmp_path / "vault.json"
    named_vault(path, {PRIVATE: {"account": ACCOUNT, **PersonalToken(TOKEN).to_dict()},
                       UNLISTED: OAuthToken(ACCESS, SECRET).to_dict()})
    before = path.read_bytes()
    vault = Vault.open(path)
    assert vault.names() == sorted([PRIVATE, UNLISTED]) and vault.account(PRIVATE) == ACCOUNT
    assert path.read_bytes() == before, "opening writes nothing"
    vault.remove(UNLISTED)  # the next write
    text = path.read_text()
    assert json.loads(text)["format"] == "discogs-site-vault/2"
    assert PRIVATE not in text and UNLISTED not in text and ACCOUNT not in text
    assert Vault.open(path).get(PRIVATE) == PersonalToken(TOKEN) and Vault.open(path).names() == [PRIVATE]


def test_wrong_key_is_refused_naming_the_file_and_nothing_changes(vault_file, monkeypatch):
    before = vault_file.read_bytes()
    monkeypatch.setenv("DISCOGS_SITE_KEY", generate_key())
    with pytest.raises(VaultError, match=rf"{vault_file.name}: the entry key cannot be decrypted: DISCOGS_SITE_KEY "
                                         "is not the key"):
        Vault.open(vault_file)
    assert vault_file.read_bytes() == before


@pytest.mark.parametrize("key", ["", "not-a-key"])
def test_missing_or_malformed_key_is_named(vault_file, monkeypatch, key):
    monkeypatch.setenv("DISCOGS_SITE_KEY", key)
    with pytest.raises(VaultError, match="DISCOGS_SITE_KEY"):
        Vault.open(vault_file)


def test_tampered_entry_is_refused(vault_file):
    document = json.loads(vault_file.read_text())
    label, ciphertext = next(iter(document["entries"].items()))
    document["entries"][label] = ciphertext[:-6] + ("A" if ciphertext[-6] != "A" else "B") + ciphertext[-5:]
    vault_file.write_text(json.dumps(document))
    with pytest.raises(VaultError, match=f"the entry {label} cannot be decrypted.*altered"):
        Vault.open(vault_file)


def test_entries_swapped_between_users_are_refused(vault_file):
    document = json.loads(vault_file.read_text())
    entries = document["entries"]
    first, second = entries
    entries[first], entries[second] = entries[second], entries[first]
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


def test_rotation_keeps_names_out_and_every_entry_readable(tmp_path, monkeypatch):
    """The labels are keyed by an entry key sealed with the vault key: rotating re-seals it with the
    rest, and a change-over key list reads the vault before and after."""
    path = tmp_path / "vault.json"
    vault = Vault.open(path)
    vault.put(PRIVATE, PersonalToken(TOKEN), account=ACCOUNT)
    vault.put(UNLISTED, OAuthToken(ACCESS, SECRET))
    old_key, new_key = os.environ["DISCOGS_SITE_KEY"], generate_key()
    labels = set(json.loads(path.read_text())["entries"])
    changeover = parse_keys(f"{new_key},{old_key}", "both")
    assert Vault.open(path, changeover).names() == sorted([PRIVATE, UNLISTED])  # before rotating

    monkeypatch.setenv("DISCOGS_SITE_NEW_KEY", new_key)
    assert main(["--vault", str(path), "rotate-key"]) == 0
    text = path.read_text()
    assert PRIVATE not in text and UNLISTED not in text and ACCOUNT not in text
    assert labels.isdisjoint(json.loads(text)["entries"]), "labels cannot be matched across a rotation"
    for keys in (parse_keys(new_key, "new"), changeover):
        rotated = Vault.open(path, keys)
        assert rotated.get(PRIVATE) == PersonalToken(TOKEN) and rotated.account(PRIVATE) == ACCOUNT
        assert rotated.get(UNLISTED) == OAuthToken(ACCESS, SECRET)
    with pytest.raises(VaultError, match="the entry key cannot be decrypted"):
        Vault.open(path, parse_keys(old_key, "old"))


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
from pipeline.accounts.credentials import PersonalToken
from pipeline.accounts.vault import Vault
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
        vault._entries[f"user-{n}"] = {"user": f"user-{n}", **PersonalToken("t" * 2000).to_dict()}
    vault.save()
    rng = random.Random(3)
    for _ in range(15):
        writer = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(path)], stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.3))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        Vault.open(path)  # raises if the kill left a damaged file
