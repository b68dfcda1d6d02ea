"""Sealing the per-user state for a cache others can read: one archive encrypted with the vault key.

GitHub Actions lets a pull request's workflow restore the default branch's caches, so a cache may hold
only public data or ciphertext. `seal` packs everything per-user in the state directory (collections,
statistics, staged pages, Dagster's run storage) into a tar archive encrypted with DISCOGS_SITE_KEY,
which a fork cannot read; `unseal` puts it back.

The master cache is large and mostly Discogs' public dump (CC0), so it stays a plain file, but the
rows the API answered (and the 404s) tell which masters some collector holds, private folders and
unlisted collections included, and when their run asked. `seal` therefore moves those rows into the
archive and leaves the plain file with the dump's rows only; `unseal` merges them back one master at
a time, never replacing the plain file: an archive carrying a master cache of its own is refused.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from cryptography.fernet import InvalidToken, MultiFernet

from pipeline.accounts.vault import KEY_ENV
from pipeline.common.atomic import write_atomically
from pipeline.errors import SiteError
from pipeline.masters.cache import CACHE_FILE, MasterCache, cache_path

PUBLIC = tuple(CACHE_FILE + suffix for suffix in ("", "-wal", "-shm", ".import"))
FETCHED = "fetched-masters.sqlite"  # the API's rows of the master cache, inside the archive only


class SealError(SiteError):
    """The sealed state cannot be written or read back; names the file, never a key."""


def _kept_out(name: str) -> bool:
    """Whether a state entry of this name is never sealed whole (nor put back from an archive)."""
    return name in PUBLIC or name == FETCHED or name.endswith(".lock")


def _private_entries(state: Path) -> list[Path]:
    return sorted(p for p in state.iterdir() if not _kept_out(p.name))


def _files(entry: Path) -> int:
    return sum(1 for p in entry.rglob("*") if p.is_file()) if entry.is_dir() else 1


def seal(state: Path, archive: Path, keys: MultiFernet) -> int:
    """Encrypt the per-user state, and the master cache's API rows, into `archive` (replaced atomically);
    returns how many files it holds. Those rows then leave the plain master cache (`unseal` brings them
    back); a state never sealed keeps them."""
    state, archive = Path(state), Path(archive)
    masters = cache_path(state)
    # A private directory (0700) for the rows on their way into the archive.
    with tempfile.TemporaryDirectory(prefix="discogs-site-seal.") as scratch:
        fetched = Path(scratch) / FETCHED if masters.is_file() else None
        if fetched is not None:
            with MasterCache(masters) as cache:
                cache.write_fetched(fetched)
        buffer = io.BytesIO()
        count = 0
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            if state.is_dir():
                for entry in _private_entries(state):
                    tar.add(entry, arcname=entry.name)
                    count += _files(entry)
            if fetched is not None:
                tar.add(fetched, arcname=FETCHED)
                count += 1
        sealed = keys.encrypt(buffer.getvalue())
        archive.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(archive, sealed)
        if fetched is not None:  # only once the archive holds them
            with MasterCache(masters) as cache:
                cache.drop_fetched(fetched)
    return count


def unseal(archive: Path, state: Path, keys: MultiFernet) -> int:
    """Replace the per-user state with what `archive` holds and merge its master rows back into the
    master cache; returns how many files came back.

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
        foreign = sorted(e.name for e in staging.iterdir() if _kept_out(e.name) and e.name != FETCHED)
        if foreign:
            # The plain master cache is the dump's data: no archive stands in for it, nor for a lock.
            raise SealError(f"{archive}: the sealed state is damaged (it holds {', '.join(foreign)}, which is "
                            "never sealed)")
        count = 0
        fetched = staging / FETCHED
        if fetched.exists():
            try:
                with MasterCache(cache_path(state)) as cache:
                    cache.merge_fetched(fetched)
            except sqlite3.DatabaseError as exc:
                raise SealError(f"{archive}: the sealed state is damaged (its masters: {exc})") from None
            fetched.unlink()
            count += 1
        for entry in _private_entries(state):
            if entry != staging:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        for entry in staging.iterdir():
            entry.rename(state / entry.name)
            count += _files(state / entry.name)
        return count
    finally:
        shutil.rmtree(staging, ignore_errors=True)
