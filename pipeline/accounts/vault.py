"""The encrypted token store: one Fernet ciphertext per user in a JSON file that is safe to commit.

The file names nobody: each entry is labelled with an HMAC of its user's name under an entry key drawn
afresh at every save and stored sealed with the vault key, and the name itself travels inside the
ciphertext. Every save also seals every entry again at one instant, so Fernet's timestamps tell when
the file was last written, not when each person connected. Files of the first format, keyed by name
in clear, are read as they are and written in the new shape on the next save.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from pipeline import config
from pipeline.accounts.credentials import Credentials, credentials_from_dict
from pipeline.common.atomic import write_atomically
from pipeline.errors import SiteError

KEY_ENV = "DISCOGS_SITE_KEY"
NEW_KEY_ENV = "DISCOGS_SITE_NEW_KEY"
FORMAT = "discogs-site-vault/2"
NAMED_FORMAT = "discogs-site-vault/1"  # entries keyed by the user's name in clear: read, never written
ENTRY_KEY_BYTES = 32


class VaultError(SiteError):
    """The vault file or its key is unusable; the message names the file and never a token."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def keys_from_env(name: str = KEY_ENV) -> MultiFernet:
    """Fernet keys from an environment variable: comma-separated, the first encrypts, all decrypt."""
    env = config.environment()
    raw = env.site_new_key if name == NEW_KEY_ENV else env.site_key
    if not raw:
        raise VaultError(f"{name} is not set: it holds the vault key (create one with `discogs-site keygen`)")
    return parse_keys(raw, name)


def parse_keys(raw: str, source: str) -> MultiFernet:
    fernets = []
    for position, part in enumerate(p.strip() for p in raw.split(",") if p.strip()):
        try:
            fernets.append(Fernet(part.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise VaultError(
                f"{source}: key #{position + 1} is not a Fernet key (32 url-safe base64 bytes; "
                "create one with `discogs-site keygen`)"
            ) from None
    if not fernets:
        raise VaultError(f"{source} is empty")
    return MultiFernet(fernets)


class Vault:
    """Tokens of registered users. Every entry is decrypted and checked when the file is opened, so a
    wrong key or an altered file is refused before anything could be overwritten."""

    def __init__(self, path: Path, keys: MultiFernet, entries: dict[str, dict] | None = None) -> None:
        self.path = path
        self._keys = keys
        self._entries = dict(entries or {})  # name -> the payload sealed for them (tokens, account, name)

    def __repr__(self) -> str:
        return f"Vault({str(self.path)!r}, {len(self._entries)} entries)"  # names stay out of logs

    @classmethod
    def open(cls, path: Path | str, keys: MultiFernet | None = None) -> Vault:
        """Open (or start, when the file does not exist yet) the vault at `path`."""
        path = Path(path)
        keys = keys or keys_from_env()
        return cls(path, keys, _read_entries(path, keys))

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def get(self, name: str) -> Credentials | None:
        payload = self._entries.get(name)
        return None if payload is None else credentials_from_dict(payload)  # checked usable when read

    def account(self, name: str) -> str | None:
        """The Discogs account `connect` confirmed the tokens belong to (None for entries sealed before it was)."""
        payload = self._entries.get(name)
        account = payload.get("account") if payload else None
        return account if isinstance(account, str) and account else None

    def put(self, name: str, credentials: Credentials, account: str | None = None) -> None:
        """Store `name`'s tokens, sealed with the Discogs `account` they were confirmed to belong to."""
        self._entries[name] = {"user": name, **({"account": account} if account else {}), **credentials.to_dict()}
        self.save()

    def remove(self, name: str) -> bool:
        if self._entries.pop(name, None) is None:
            return False
        self.save()
        return True

    def rotate(self, new_keys: MultiFernet) -> int:
        """Re-encrypt every entry (and the entry key) under `new_keys`' primary key; returns how many."""
        self._keys = new_keys
        self.save()
        return len(self._entries)

    def save(self) -> None:
        """Write atomically: a crash leaves either the old file or the new one, never half of either.

        A fresh entry key each time: the labels of one save cannot be matched with another's, so the
        file's history shows how many people are connected, never which entry came or went.
        """
        entry_key = os.urandom(ENTRY_KEY_BYTES)
        now = int(time.time())  # one instant for every token: none dates its own connection

        def seal(data: bytes) -> str:
            return self._keys.encrypt_at_time(data, now).decode("ascii")

        entries = {_label(entry_key, name): seal(json.dumps(payload).encode()) for name, payload in
                   self._entries.items()}
        document = {"format": FORMAT, "entry_key": seal(entry_key), "entries": dict(sorted(entries.items()))}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, (json.dumps(document, indent=2) + "\n").encode())


def _label(entry_key: bytes, name: str) -> str:
    """An entry's label in the file: HMAC-SHA256 of the name, domain-separated, 128 bits in hex."""
    return hmac.new(entry_key, b"vault-entry:" + name.encode(), hashlib.sha256).hexdigest()[:32]


def _read_entries(path: Path, keys: MultiFernet) -> dict[str, dict]:
    """Every entry of the file, decrypted and checked: name -> payload. Errors name the file's label of
    an entry (an HMAC, or the name a first-format file already shows), never a name the file hides."""
    document = _document(path)
    if document is None:
        return {}
    named = document["format"] == NAMED_FORMAT
    entry_key = None if named else _decrypt(path, keys, document["entry_key"], "the entry key")
    if entry_key is not None and len(entry_key) != ENTRY_KEY_BYTES:
        raise VaultError(f"{path}: the entry key is corrupt")
    entries: dict[str, dict] = {}
    for label, ciphertext in document["entries"].items():
        where = f"the entry {label!r}" if named else f"the entry {label}"
        try:
            payload = json.loads(_decrypt(path, keys, ciphertext, where))
        except (ValueError, UnicodeError):
            raise VaultError(f"{path}: {where} is corrupt") from None
        name = payload.get("user") if isinstance(payload, dict) else None
        # The name is sealed inside the ciphertext, and the label is bound to it, so entries cannot be
        # swapped between users.
        if not isinstance(name, str) or label != (name if named else _label(entry_key, name)):
            raise VaultError(f"{path}: {where} belongs to another user; the file was altered")
        try:
            credentials_from_dict(payload)
        except ValueError:
            raise VaultError(f"{path}: {where} holds no usable token") from None
        entries[name] = payload
    return entries


def _decrypt(path: Path, keys: MultiFernet, ciphertext: str, what: str) -> bytes:
    try:
        return keys.decrypt(ciphertext.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        raise VaultError(
            f"{path}: {what} cannot be decrypted: {KEY_ENV} is not the key this vault was written with, or the "
            "file was altered"
        ) from None


def _document(path: Path) -> dict | None:
    """The vault file's JSON, its shape checked; None when there is no file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise VaultError(f"{path}: cannot be read: {exc}") from None
    if not text.strip():
        raise VaultError(f"{path}: the vault file is empty (delete it to start a new vault)")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VaultError(f"{path}: not a vault file (truncated or altered? JSON error at line {exc.lineno})") from None
    if not isinstance(document, dict) or document.get("format") not in (FORMAT, NAMED_FORMAT):
        raise VaultError(f"{path}: not a vault file (expected format {FORMAT!r})")
    entries = document.get("entries")
    if not isinstance(entries, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in entries.items()
    ):
        raise VaultError(f"{path}: the 'entries' table is malformed")
    if document["format"] == FORMAT and not isinstance(document.get("entry_key"), str):
        raise VaultError(f"{path}: the entry key is missing; the file was altered")
    return document
