"""Content fingerprints: whether a user's enriched collection changed since their stats and pages were made.

An unchanged user's refresh then costs one request and a fingerprint, not a recomputation and a
re-render: CPU follows what changed, not how many users there are. The fingerprint covers the data
(every row and column of the enriched table), this package's version and polars' (whose output it
feeds), and FORMAT, raised whenever the stats or staged files change shape for the same data.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from pipeline import __version__

FORMAT = "7"  # 2: export.json keeps lists as arrays; 3: releases.json carries every artist; 4: covers.json,
#               the index's covers carry what drawing one needs; 5: decades and years by pressing year;
#               6: published folders and fields (releases.json's "facets", the stats' "published");
#               7: no pressing year taken for the original's, months as Discogs wrote them, Various not an
#               artist, why original years are unknown (the stats' "unknown_year_because")


def fingerprint(frame: pl.DataFrame) -> str:
    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{pl.__version__}|".encode())
    buffer = io.BytesIO()
    frame.sort("instance_id").write_ipc(buffer, compression="uncompressed")
    digest.update(buffer.getvalue())
    return digest.hexdigest()


def files_digest(root: Path, paths: Iterable[Path]) -> str:
    """The names (relative to `root`) and contents of the files `paths`, in one hash, whatever order they come in."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root)}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()
