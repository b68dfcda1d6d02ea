"""Where a user's collection lives between runs: the table as Parquet and what the last sync knew, as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.collection.rows import aligned
from pipeline.common.atomic import replace_atomically, write_atomically


@dataclass
class SyncState:
    """What the last sync knew, beside the table: when it ran and when it last reconciled in full."""

    synced_at: str | None = None
    reconciled_at: str | None = None
    folder_count: int | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # instance ids of unreadable items, counted as known
    skipped_folders: dict[str, int] = field(default_factory=dict)  # instance id -> its folder, where Discogs said
    anonymous: list[int | None] = field(default_factory=list)  # the folder of each unreadable item without an id
    read_rule: int = 0  # rows.READ_RULE the items were read under (0: before it was recorded)
    # What the owner publishes beyond the defaults, as Discogs named it at the last sync: field values are
    # stored for `kept_fields` only; `folders` holds the names of the folders publishing needs (id -> name).
    kept_fields: list[int] = field(default_factory=list)
    fields: list[dict] = field(default_factory=list)  # the published fields: id, name, type, options
    folders: dict[str, str] = field(default_factory=dict)
    private_folders: list[int] = field(default_factory=list)
    # The `publish:` choices (Publishing.key) the folders and fields above were resolved under: data made
    # from this state may only be published under these choices (None: synced before they were recorded).
    choices: str | None = None


class CollectionStore:
    """`<state>/collections/<user>.parquet` plus `<user>.json`, each replaced atomically."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir) / "collections"

    def table_path(self, user: str) -> Path:
        return self.dir / f"{user}.parquet"

    def load(self, user: str) -> pl.DataFrame | None:
        path = self.table_path(user)
        return aligned(pl.read_parquet(path)) if path.exists() else None

    def load_state(self, user: str) -> SyncState:
        path = self.dir / f"{user}.json"
        if not path.exists():
            return SyncState()
        data = json.loads(path.read_text(encoding="utf-8"))
        return SyncState(**{k: data.get(k) for k in ("synced_at", "reconciled_at", "folder_count")},
                         warnings=data.get("warnings") or [], skipped=data.get("skipped") or [],
                         kept_fields=data.get("kept_fields") or [], fields=data.get("fields") or [],
                         folders=data.get("folders") or {}, private_folders=data.get("private_folders") or [],
                         choices=data.get("choices"), skipped_folders=data.get("skipped_folders") or {},
                         anonymous=data.get("anonymous") or [], read_rule=data.get("read_rule") or 0)

    def save(self, user: str, table: pl.DataFrame, state: SyncState) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        replace_atomically(self.table_path(user), lambda tmp: table.write_parquet(tmp))
        text = json.dumps(state.__dict__, indent=2)
        write_atomically(self.dir / f"{user}.json", text.encode())

    def save_state(self, user: str, state: SyncState) -> None:
        """What the last sync knew, the table untouched (it did not change)."""
        write_atomically(self.dir / f"{user}.json", json.dumps(state.__dict__, indent=2).encode())

    def remove(self, user: str) -> None:
        for suffix in (".parquet", ".json"):
            (self.dir / f"{user}{suffix}").unlink(missing_ok=True)

