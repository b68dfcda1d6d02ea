"""A collection's value over time: Discogs' estimate, one snapshot per day, kept beside the collection.

Discogs only says what a collection is worth today (`/collection/value`, owner only), so the history
exists only as the snapshots taken here: `<state>/collections/<user>.values.json`, a list of
`{"date", "minimum", "median", "maximum"}` in date order, figures as Discogs formats them. A day's
snapshot is taken once; past days are never fetched again (they cannot be) nor rewritten by a sync.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.common.atomic import write_atomically
from pipeline.discogs.records import CollectionValue

FIGURES = ("minimum", "median", "maximum")


def today() -> str:
    return datetime.now(UTC).date().isoformat()


class ValueHistory:
    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir) / "collections"

    def path(self, user: str) -> Path:
        return self.dir / f"{user}.values.json"

    def load(self, user: str) -> list[dict[str, str]]:
        path = self.path(user)
        if not path.is_file():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        return [s for s in data if isinstance(s, dict) and isinstance(s.get("date"), str)]

    def has(self, user: str, day: str) -> bool:
        return any(s["date"] == day for s in self.load(user))

    def add(self, user: str, day: str, value: CollectionValue) -> list[dict[str, str]]:
        """Record `day`'s figures unless that day already has some; returns the whole history."""
        history = self.load(user)
        if any(s["date"] == day for s in history):
            return history
        history = sorted([*history, {"date": day, **{k: getattr(value, k) for k in FIGURES}}], key=lambda s: s["date"])
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path(user), json.dumps(history, ensure_ascii=False, indent=1).encode())
        return history


_NUMBER = re.compile(r"\d[\d.,\s\u00a0\u202f']*")


def amount(text: str) -> float | None:
    """"$1,234.56", "€1.234,56", "1 234,56 kr" -> 1234.56; None when no number is in it. The decimal mark is
    the last "." or "," followed by one or two digits at the end; every other mark groups thousands."""
    found = _NUMBER.search(text or "")
    if not found:
        return None
    digits = found.group().strip()
    decimal = re.search(r"[.,](\d{1,2})$", digits)
    whole = digits[: decimal.start()] if decimal else digits
    number = re.sub(r"\D", "", whole) or "0"
    return float(f"{number}.{decimal.group(1)}") if decimal else float(number)


def currency(text: str) -> str:
    """What the figure is counted in, as written around the number: "$", "€", "kr", "CA$"."""
    return _NUMBER.sub("", text or "").strip()


def value_stats(history: list[dict[str, str]]) -> dict[str, Any] | None:
    """What the dashboard shows of the history: the median by date as numbers, and the latest figures."""
    if not history:
        return None
    latest = history[-1]
    return {"latest": latest, "currency": currency(latest["median"]),
            "median_by_date": [[s["date"], amount(s["median"])] for s in history if amount(s["median"]) is not None]}
