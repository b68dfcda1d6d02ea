"""The encrypted token store: one Fernet ciphertext per user in a JSON file that is safe to commit."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from pipeline import config
from pipeline.atomic import write_atomically
from pipeline.discogs.credentials import Credentials, credentials_from_dict
from pipeline.errors import SiteError

KEY_ENV = "DISCOGS_SITE_KEY"
NEW_KEY_ENV = "DISCOGS_SITE_NEW_KEY"
FORMAT = "discogs-site-vault/1"


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
    """Tokens keyed by registry name. Every entry is checked when the file is opened, so a wrong key
    or an altered file is refused before anything could be overwritten."""

    def __init__(self, path: Path, keys: MultiFernet, entries: dict[str, str]) -> None:
        self.path = path
        self._keys = keys
        self._entries = entries  # name -> ciphertext

    def __repr__(self) -> str:
        return f"Vault({str(self.path)!r}, users={sorted(self._entries)})"

    @classmethod
    def open(cls, path: Path | str, keys: MultiFernet | None = None) -> Vault:
        """Open (or start, when the file does not exist yet) the vault at `path`."""
        path = Path(path)
        keys = keys or keys_from_env()
        entries = _read_entries(path)
        vault = cls(path, keys, entries)
        for name in entries:
            vault.get(name)  # proves the key and the integrity of every entry
        return vault

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def get(self, name: str) -> Credentials | None:
        payload = self._payload(name)
        if payload is None:
            return None
        try:
            return credentials_from_dict(payload)
        except ValueError:
            raise VaultError(f"{self.path}: the entry for {name!r} holds no usable token") from None

    def account(self, name: str) -> str | None:
        """The Discogs account `connect` confirmed the tokens belong to (None for entries sealed before it was)."""
        payload = self._payload(name)
        account = payload.get("account") if payload else None
        return account if isinstance(account, str) and account else None

    def _payload(self, name: str) -> dict | None:
        ciphertext = self._entries.get(name)
        if ciphertext is None:
            return None
        try:
            payload = json.loads(self._keys.decrypt(ciphertext.encode("ascii")))
        except InvalidToken:
            raise VaultError(
                f"{self.path}: the entry for {name!r} cannot be decrypted: {KEY_ENV} is not the key this "
                "vault was written with, or the file was altered"
            ) from None
        except (ValueError, UnicodeError):
            raise VaultError(f"{self.path}: the entry for {name!r} is corrupt") from None
        # The name is sealed inside the ciphertext so entries cannot be swapped between users.
        if not isinstance(payload, dict) or payload.get("user") != name:
            raise VaultError(f"{self.path}: the entry for {name!r} belongs to another user; the file was altered")
        return payload

    def put(self, name: str, credentials: Credentials, account: str | None = None) -> None:
        """Store `name`'s tokens, sealed with the Discogs `account` they were confirmed to belong to."""
        payload = {"user": name, **({"account": account} if account else {}), **credentials.to_dict()}
        self._entries[name] = self._keys.encrypt(json.dumps(payload).encode()).decode("ascii")
        self.save()

    def remove(self, name: str) -> bool:
        if self._entries.pop(name, None) is None:
            return False
        self.save()
        return True

    def rotate(self, new_keys: MultiFernet) -> int:
        """Re-encrypt every entry under `new_keys`' primary key; returns how many were rotated."""
        rotated = {}
        for name, ciphertext in self._entries.items():
            self.get(name)  # refuse before writing if anything is unreadable
            plaintext = self._keys.decrypt(ciphertext.encode("ascii"))
            rotated[name] = new_keys.encrypt(plaintext).decode("ascii")
        self._entries, self._keys = rotated, new_keys
        self.save()
        return len(rotated)

    def save(self) -> None:
        """Write atomically: a crash leaves either the old file or the new one, never half of either."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT, "entries": dict(sorted(self._entries.items()))}
        write_atomically(self.path, (json.dumps(document, indent=2) + "\n").encode())


def _read_entries(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise VaultError(f"{path}: cannot be read: {exc}") from None
    if not text.strip():
        raise VaultError(f"{path}: the vault file is empty (delete it to start a new vault)")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VaultError(f"{path}: not a vault file (truncated or altered? JSON error at line {exc.lineno})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise VaultError(f"{path}: not a vault file (expected format {FORMAT!r})")
    entries = document.get("entries")
    if not isinstance(entries, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in entries.items()
    ):
        raise VaultError(f"{path}: the 'entries' table is malformed")
    return entries
