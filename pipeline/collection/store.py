"""Where a user's collection lives between runs: the table as Parquet and what the last sync knew, as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.atomic import replace_atomically, write_atomically


@dataclass
class SyncState:
    """What the last sync knew, beside the table: when it ran and when it last reconciled in full."""

    synced_at: str | None = None
    reconciled_at: str | None = None
    folder_count: int | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # instance ids of unreadable items, counted as known


class CollectionStore:
    """`<state>/collections/<user>.parquet` plus `<user>.json`, each replaced atomically."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir) / "collections"

    def table_path(self, user: str) -> Path:
        return self.dir / f"{user}.parquet"

    def load(self, user: str) -> pl.DataFrame | None:
        path = self.table_path(user)
        return pl.read_parquet(path) if path.exists() else None

    def load_state(self, user: str) -> SyncState:
        path = self.dir / f"{user}.json"
        if not path.exists():
            return SyncState()
        data = json.loads(path.read_text(encoding="utf-8"))
        return SyncState(**{k: data.get(k) for k in ("synced_at", "reconciled_at", "folder_count")},
                         warnings=data.get("warnings") or [], skipped=data.get("skipped") or [])

    def save(self, user: str, table: pl.DataFrame, state: SyncState) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        replace_atomically(self.table_path(user), lambda tmp: table.write_parquet(tmp))
        text = json.dumps(state.__dict__, indent=2)
        write_atomically(self.dir / f"{user}.json", text.encode())

    def remove(self, user: str) -> None:
        for suffix in (".parquet", ".json"):
            (self.dir / f"{user}{suffix}").unlink(missing_ok=True)

