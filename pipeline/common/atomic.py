"""Replacing a file so that readers, and a crash at any instant, see the old file or the new one, never half.

The new content is written to a hidden file beside the target (same directory, so same file system),
optionally flushed to disk, and renamed over the target, which POSIX makes atomic.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def replace_atomically(path: Path, write: Callable[[Path], None], *, mode: int | None = None,
                       durable: bool = True) -> None:
    """Call `write` with a temporary path beside `path`, then rename it over `path`.

    `durable` flushes it to disk first (state that must survive a power cut); `mode` sets its
    permissions (published files are world-readable, state keeps the umask's 0600).
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if durable:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        if mode is not None:
            tmp.chmod(mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes, *, mode: int | None = None, durable: bool = True) -> None:
    """Replace `path` with `data` (see replace_atomically)."""
    replace_atomically(path, lambda tmp: tmp.write_bytes(data), mode=mode, durable=durable)
