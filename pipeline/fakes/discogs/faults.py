"""Faults the fake Discogs API injects on demand: 5xx bursts, 429 storms, slow answers, trickled bodies,
dropped connections, malformed JSON and masters that 404."""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("error", "ratelimit", "slow", "trickle", "drop", "malformed", "notfound")


@dataclass
class Fault:
    """Affects the next `count` requests whose path matches `path` (a regex), after skipping `after`.

    kind: error (answer `status`, 5xx), ratelimit (429, with `retry_after` when set), slow (wait
    `delay` seconds before answering), trickle (the headers at once, then the body in small pieces spread
    over `delay` seconds, so that no single read waits long), drop (close the connection without an
    answer), malformed (a truncated JSON body with status 200), notfound (404, as for a deleted master).
    """

    kind: str
    count: int = 1
    path: str = ""
    status: int = 503
    delay: float = 0.0
    retry_after: float | None = None
    after: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (expected one of {', '.join(KINDS)})")
        if self.count < 1 or self.after < 0:
            raise ValueError("a fault needs count >= 1 and after >= 0")
        re.compile(self.path)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        known = {k: data[k] for k in asdict(cls("error")) if k in data}
        return cls(**known)


class Faults:
    """The armed faults; the first that matches a request fires and is used up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._armed]

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._armed:
                if fault.path and not re.search(fault.path, path):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self._armed.remove(fault)
                return fault
        return None
