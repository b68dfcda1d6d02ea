"""What `discogs-site build` shows while it runs: per user the stage, a bar and the time left at the rate limit.

On a terminal the bars redraw in place (rich); in a log (CI, GitHub Actions) the same facts come as
plain lines, one when a stage starts or ends and otherwise at most every ten seconds per user.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from pipeline.common import progress


def _own_stderr() -> TextIO:
    """A private copy of stderr: Dagster points fd 2 at its compute-log files while a step runs."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8", errors="replace")
    except (AttributeError, OSError, ValueError):  # stderr already replaced (tests capturing output)
        return sys.stderr


@contextmanager
def build_display(console: Console | None = None) -> Iterator[Callable[[str], None]]:
    """Watch the pipeline's progress until the block ends; yields the function that prints status lines."""
    console = console or Console(file=_own_stderr(), highlight=False)

    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)

    if not console.is_terminal:
        with progress.listening(progress.LineReporter(say)):
            yield say
        return
    bars = Progress(TextColumn("[bold]{task.fields[user]:<16}"), TextColumn("{task.description:<17}"),
                    BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[eta]}"), console=console)
    tasks: dict[str, TaskID] = {}

    def on_step(step: progress.Step) -> None:
        if step.user not in tasks:
            tasks[step.user] = bars.add_task(step.stage, user=step.user, eta="", total=None)
        eta = "" if step.finished or step.done >= step.total else f"~{progress.duration(step.eta_seconds)} left"
        bars.update(tasks[step.user], description=step.stage, completed=step.done, total=max(step.total, 1),
                    eta=eta)

    with bars, progress.listening(on_step):
        yield say
