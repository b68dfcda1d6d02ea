"""Sealing the per-user state for a cache others can read: one archive encrypted with the vault key.

GitHub Actions lets a pull request's workflow restore the default branch's caches, so a cache may hold
only public data or ciphertext. `seal` packs everything per-user in the state directory (collections,
statistics, staged pages, Dagster's run storage) into a tar archive encrypted with DISCOGS_SITE_KEY,
which a fork cannot read; `unseal` puts it back. The master cache stays outside: it holds Discogs'
public master data (the monthly dump is CC0) and is large.
"""

from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
from pathlib import Path

from cryptography.fernet import InvalidToken, MultiFernet

from pipeline.atomic import write_atomically
from pipeline.errors import SiteError
from pipeline.masters.cache import CACHE_FILE
from pipeline.vault import KEY_ENV

PUBLIC = tuple(CACHE_FILE + suffix for suffix in ("", "-wal", "-shm", ".import"))


class SealError(SiteError):
    """The sealed state cannot be written or read back; names the file, never a key."""


def _private_entries(state: Path) -> list[Path]:
    return sorted(p for p in state.iterdir() if p.name not in PUBLIC and not p.name.endswith(".lock"))


def seal(state: Path, archive: Path, keys: MultiFernet) -> int:
    """Encrypt the per-user state into `archive` (replaced atomically); returns how many files it holds."""
    state, archive = Path(state), Path(archive)
    buffer = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        if state.is_dir():
            for entry in _private_entries(state):
                tar.add(entry, arcname=entry.name)
                count += sum(1 for p in entry.rglob("*") if p.is_file()) if entry.is_dir() else 1
    sealed = keys.encrypt(buffer.getvalue())
    archive.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(archive, sealed)
    return count


def unseal(archive: Path, state: Path, keys: MultiFernet) -> int:
    """Replace the per-user state with what `archive` holds; returns how many files came back.

    Nothing in the state directory changes unless the archive decrypts and unpacks whole.
    """
    archive, state = Path(archive), Path(state)
    try:
        plain = keys.decrypt(archive.read_bytes())
    except FileNotFoundError:
        raise SealError(f"{archive}: no sealed state here") from None
    except InvalidToken:
        raise SealError(f"{archive}: cannot be decrypted: {KEY_ENV} is not the key it was sealed with, or the "
                        "file was altered") from None
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=".unseal.", dir=state))
    try:
        try:
            with tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as tar:
                tar.extractall(staging, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SealError(f"{archive}: the sealed state is damaged ({exc})") from None
        for entry in _private_entries(state):
            if entry != staging:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        count = 0
        for entry in staging.iterdir():
            entry.rename(state / entry.name)
            count += sum(1 for p in (state / entry.name).rglob("*") if p.is_file()) if (state / entry.name).is_dir() \
                else 1
        return count
    finally:
        shutil.rmtree(staging, ignore_errors=True)
