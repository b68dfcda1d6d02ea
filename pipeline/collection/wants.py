"""A wantlist, synced with the owner's token and kept beside their collection (only when they publish it).

Discogs documents no sort order for `/wants`, so the cheap check is the count and the first page: a
wantlist that fits one page (100 wants) is read whole by that one request; a longer one whose count and
first page are unchanged costs that request too, and is read whole when either moved or once per
`reconcile_after`. Each want becomes a row of the collection's table (its release id standing for the
instance, which wants do not have); the owner's notes on a want are never kept.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.collection.rows import BadItem, aligned, frame_of, newest_first, row_of
from pipeline.common import progress
from pipeline.common.atomic import replace_atomically, write_atomically
from pipeline.discogs.client import DiscogsClient

PER_PAGE = 100
STAGE = "wantlist pages"


@dataclass
class WantsState:
    synced_at: str | None = None
    reconciled_at: str | None = None
    count: int | None = None  # the wantlist's size as Discogs reported it
    skipped: int = 0  # of those, the wants that could not be read


@dataclass
class WantsResult:
    table: pl.DataFrame
    state: WantsState
    pages: int
    added: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0  # wants Discogs sent unreadable (without an integer id or basic_information)


class WantsStore:
    """`<state>/collections/<user>.wants.parquet` and `<user>.wants.json`, each replaced atomically."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir) / "collections"

    def load(self, user: str) -> pl.DataFrame | None:
        path = self.dir / f"{user}.wants.parquet"
        return aligned(pl.read_parquet(path)) if path.is_file() else None

    def load_state(self, user: str) -> WantsState:
        path = self.dir / f"{user}.wants.json"
        if not path.is_file():
            return WantsState()
        data = json.loads(path.read_text(encoding="utf-8"))
        return WantsState(**{k: data.get(k) for k in ("synced_at", "reconciled_at", "count")},
                          skipped=data.get("skipped") or 0)

    def save(self, user: str, table: pl.DataFrame, state: WantsState) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        replace_atomically(self.dir / f"{user}.wants.parquet", lambda tmp: table.write_parquet(tmp))
        write_atomically(self.dir / f"{user}.wants.json", json.dumps(asdict(state), indent=2).encode())


def _rows(wants: list[dict[str, Any]], user: str, warnings: list[str], skipped: set[str]) -> dict[int, dict[str, Any]]:
    """Rows by release id; an unreadable want is named in `warnings` and kept in `skipped` by its text (a want
    read twice counts once)."""
    rows: dict[int, dict[str, Any]] = {}
    for want in wants:
        release = want.get("id") if isinstance(want, dict) else None
        # A want has no instance of its own: its release stands for it. row_of keeps no notes here (it keeps
        # only published fields' values), so the owner's words on a want are never stored.
        item = {**want, "instance_id": release, "folder_id": None} if isinstance(release, int) else want
        try:
            row = row_of(item)
        except BadItem as exc:
            warnings.append(f"user {user!r}: wantlist: {exc}; skipped")
            skipped.add(repr(want))
            continue
        rows[row["instance_id"]] = row
    return rows


def sync_wants(client: DiscogsClient, user: str, username: str, previous: pl.DataFrame | None,
               state: WantsState, *, reconcile_after: timedelta = timedelta(days=1),
               now: datetime | None = None) -> WantsResult:
    """Bring `previous` (None at first) up to date with `username`'s wantlist."""
    now = now or datetime.now(UTC)
    warnings: list[str] = []
    skipped: set[str] = set()
    first = client.wants_page(username, 1, per_page=PER_PAGE)
    progress.report(user, STAGE, 1, first.pages, client.rate.seconds_per_request)
    rows = _rows(first.wants, user, warnings, skipped)
    known = set(previous["instance_id"].to_list()) if previous is not None else set()
    reconciled = datetime.fromisoformat(state.reconciled_at) if state.reconciled_at else None
    due = previous is None or reconciled is None or now - reconciled >= reconcile_after
    if first.pages > 1 and not due and first.items == state.count and set(rows) <= known:
        return WantsResult(previous, WantsState(now.isoformat(), state.reconciled_at, first.items, state.skipped),
                           pages=1, skipped=state.skipped)
    for number in range(2, first.pages + 1):
        page = client.wants_page(username, number, per_page=PER_PAGE)
        progress.report(user, STAGE, number, first.pages, client.rate.seconds_per_request)
        rows.update(_rows(page.wants, user, warnings, skipped))
    if len(rows) + len(skipped) != first.items:
        warnings.append(f"user {user!r}: Discogs reports {first.items} wants but {len(rows) + len(skipped)} arrived")
    table = newest_first(frame_of(list(rows.values())))
    state = WantsState(now.isoformat(), now.isoformat(), first.items, len(skipped))
    return WantsResult(table, state, pages=first.pages,
                       added=len(set(rows) - known), removed=len(known - set(rows)), warnings=warnings,
                       skipped=len(skipped))
