"""The tables commands end with, drawn by rich: aligned on a terminal, full width in a log or a pipe."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Console
from rich.table import Table

LOG_WIDTH = 10_000  # not a terminal: rich would wrap at 80 columns; a log keeps each row on one line


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else LOG_WIDTH, highlight=False, emoji=False, markup=False)


def print_table(header: Sequence[str], rows: Iterable[Sequence[object]], *, numeric: Sequence[str] = (),
                title: str | None = None) -> None:
    """Rows under `header`; columns named in `numeric` are right-aligned. Cells are printed as text, never
    as rich markup (names and errors come from users.yaml and Discogs)."""
    table = Table(*header, box=box.SIMPLE_HEAD, title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in table.columns:
        column.overflow = "fold"  # on a narrow terminal long cells wrap; nothing is cut off
        if column.header in numeric:
            column.justify, column.no_wrap = "right", True
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console = _console()
    with console.capture() as captured:
        console.print(table)
    print("\n".join(line.rstrip() for line in captured.get().splitlines()))  # no padding after the last column


def build_summary(outcomes: Sequence) -> None:
    """One row per user built: what the run did and what it cost."""
    rows = []
    for o in outcomes:
        m = o.metadata
        requests = int(m.get("collection.requests", 0) or 0) + int(m.get("master_enrichment.requests", 0) or 0)
        wanted, fetched = m.get("master_enrichment.masters_wanted"), m.get("master_enrichment.masters_fetched")
        cached = int(wanted) - int(fetched or 0) if wanted is not None else "–"
        coverage = m.get("master_enrichment.coverage")
        rows.append((o.name, "ok" if o.ok else "FAILED", m.get("collection.items", "–"),
                     m.get("collection.skipped", "–"), m.get("collection.added", "–"),
                     m.get("collection.removed", "–"), requests, cached,
                     f"{coverage:.0%}" if isinstance(coverage, float) else "–", f"{o.seconds:.1f}"))
    # skipped: items Discogs sent that could not be read, in no page (outside private folders, as items)
    columns = ("items", "skipped", "added", "removed", "API requests", "masters from cache", "enriched", "seconds")
    print_table(("user", "result", *columns), rows, numeric=columns)


def status_table(rows: Sequence) -> None:
    print_table(("user", "visibility", "connected", "items", "skipped", "last synced", "coverage", "last error",
                 "page"),
                [(r.name, r.visibility, r.connected, r.items, r.skipped, r.last_synced, r.coverage,
                  r.last_error or "–", r.url) for r in rows], numeric=("items", "skipped", "coverage"))
