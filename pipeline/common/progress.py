"""Progress of the API-bound steps (collection pages, masters) for whoever watches: the build display, run logs.

The steps call `report` as they go; listeners are registered with `listening` for as long as they
watch. A listener that breaks must never break the build, so its errors are logged and dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    user: str
    stage: str                 # "collection pages", "masters", or a final "done" / "failed"
    done: int
    total: int
    seconds_per_request: float = 0.0  # what the rate limit allows, for the time estimate

    @property
    def finished(self) -> bool:
        return self.stage in ("done", "failed")

    @property
    def eta_seconds(self) -> float:
        """Time left if every remaining request waits its turn under the rate limit."""
        return max(self.total - self.done, 0) * self.seconds_per_request


Listener = Callable[[Step], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def report(user: str, stage: str, done: int, total: int, seconds_per_request: float = 0.0) -> None:
    step = Step(user, stage, done, total, seconds_per_request)
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(step)
        except Exception:  # a display problem is never worth a failed build
            log.exception("progress listener %r failed", listener)


@contextmanager
def listening(listener: Listener) -> Iterator[Listener]:
    with _lock:
        _listeners.append(listener)
    try:
        yield listener
    finally:
        with _lock:
            _listeners.remove(listener)


def duration(seconds: float) -> str:
    """`45 s`, `12 min`, `3 h 05 min`: precise enough for a wait, short enough for a progress line."""
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60:02d} min"


def describe(step: Step) -> str:
    if step.finished:
        return f"{step.user}: {step.stage}"
    line = f"{step.user}: {step.stage} {step.done:,}/{step.total:,}"
    if step.seconds_per_request and step.done < step.total:
        line += f", about {duration(step.eta_seconds)} left at the rate limit"
    return line


class LineReporter:
    """A listener for logs (no terminal to redraw): a line when a stage starts or ends, else every `every` s."""

    def __init__(self, emit: Callable[[str], None], *, user: str | None = None, every: float = 10.0) -> None:
        self.emit, self.user, self.every = emit, user, every
        self._last: dict[tuple[str, str], float] = {}

    def __call__(self, step: Step) -> None:
        if self.user is not None and step.user != self.user:
            return
        key, now = (step.user, step.stage), time.monotonic()
        first = key not in self._last
        if first or step.done >= step.total or now - self._last[key] >= self.every:
            self._last[key] = now
            self.emit(describe(step))
