"""Writing into the published output: each file replaced atomically and readable by a web server, a new
directory renamed into place whole."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.common.atomic import write_atomically


def write_file(path: Path, data: bytes) -> bool:
    """Replace `path` atomically with `data`, readable by a web server; False when it already held exactly that."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    make_dirs(path.parent)
    # Not flushed to disk: after a power cut the next publish writes the site again.
    write_atomically(path, data, mode=0o644, durable=False)
    return True


def make_dirs(directory: Path) -> None:
    """Create `directory` and its missing parents readable by a web server, whatever the umask (0700 for state)."""
    if directory.is_dir():
        return
    make_dirs(directory.parent)
    directory.mkdir(exist_ok=True)
    directory.chmod(0o755)


def new_directory(target: Path, files: dict[str, bytes]) -> None:
    """Write `files` into a hidden sibling of `target`, then rename it into place in one step."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    for name, data in files.items():
        write_file(tmp / name, data)
    os.rename(tmp, target)
