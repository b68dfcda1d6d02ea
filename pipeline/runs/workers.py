"""Several users in flight during `discogs-site build`: worker processes that each run users' `refresh_user` runs.

A user's refresh is mostly Dagster's own bookkeeping (creating the run, storing its events) and a
little CPU, around one or two requests that wait for the rate limit. One process doing users one
after another leaves the budget idle while it records; with a few workers, one user's requests go
out while others compute and record, so a build of many users runs at the pace of the API. The
request budget stays the shared limiter's (a file, or PostgreSQL across hosts), whatever the count.

Workers are spawned, not forked: the parent holds open SQLite handles and threads. They die with the
parent, however it ends (a kill of its process group, which they are not in, included).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.synchronize
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import dagster as dg

from pipeline.common import progress
from pipeline.defs import definitions
from pipeline.defs.resources import PipelineSettings
from pipeline.runs.failures import failure_line
from pipeline.runs.instance import OWNER_TAG, POOL, this_process
from pipeline.runs.quick_refresh import refresh_if_unchanged


@dataclass
class UserOutcome:
    name: str
    ok: bool
    seconds: float
    metadata: dict[str, object] = field(default_factory=dict)
    error: str = ""


def run_metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    """Every materialization's metadata as `asset.key: value`, and a failed step's own (what it counted before
    it failed: the collection step's items and skipped) as `step.key: value`."""
    found: dict[str, object] = {}
    for event in result.all_events:
        failed = event.step_failure_data if event.is_step_failure else None
        raised = failed.user_failure_data if failed else None  # a dagster.Failure the step raised, with metadata
        for key, value in (raised.metadata if raised else {}).items():
            found[f"{event.step_key}.{key}"] = getattr(value, "value", value)
    for event in result.get_asset_materialization_events():
        for key, value in event.materialization.metadata.items():
            found[f"{event.asset_key.to_user_string()}.{key}"] = getattr(value, "value", value)
    return found


def run_error(result: dg.ExecuteInProcessResult) -> str:
    """The first failed step and its cause, in one line (the trace stays in the run's event log)."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            return f"{event.step_key}: {failure_line(event.step_failure_data.error)}"
    return "failed"


def console_log(level: str) -> dict[str, object]:
    """Run config that sets how much of a run Dagster prints (everything is stored in the instance anyway)."""
    return {"loggers": {"console": {"config": {"log_level": level}}}}


class Refresher:
    """Runs `refresh_user` for one user at a time on one instance; the same job the schedule and the UI run.

    With `quick`, a user whose collection cannot have changed is recorded without a run (quick_refresh)."""

    def __init__(self, settings: PipelineSettings, instance: dg.DagsterInstance, log_level: str,
                 quick: bool = False) -> None:
        self.job = definitions(settings).resolve_job_def("refresh_user")
        self.settings = settings
        self.instance = instance
        self.run_config = console_log(log_level)
        self.quick = quick

    def __call__(self, name: str) -> UserOutcome:
        started = time.monotonic()
        if self.quick:
            try:
                unchanged = refresh_if_unchanged(self.settings, self.instance, name)
            except Exception:  # any doubt, even an error in the check: the run decides and reports it
                unchanged = None
            if unchanged is not None:
                return UserOutcome(name, True, time.monotonic() - started, unchanged)
        result = self.job.execute_in_process(partition_key=name, instance=self.instance, raise_on_error=False,
                                             tags={"discogs-site/user": name, OWNER_TAG: this_process()},
                                             run_config=self.run_config)
        outcome = UserOutcome(name, result.success, time.monotonic() - started, run_metadata(result))
        if not result.success:
            outcome.error = run_error(result)
        return outcome


_worker: Refresher | None = None
_stop: multiprocessing.synchronize.Event | None = None
_listening = ExitStack()

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5


def _die_with_parent(parent: int) -> None:
    """End this worker the moment the build process `parent` is gone, however it went.

    Out of the build's process group, a worker outlives a kill of that group, and a pool worker whose
    parent is gone finishes the user in hand (its requests included) and then waits for ever on its call
    queue. SIGKILL, not SIGTERM: inside a run Dagster turns SIGTERM into a deferred interrupt, and between
    runs into a KeyboardInterrupt trace; the run a killed worker leaves started is reaped by the next build,
    as after any killed build.
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):  # the watcher below still ends the worker, within a poll
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    # Where prctl is missing, and for a parent that died before prctl took effect (the signal would never come).
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(fields: dict[str, object], ref: str, log_level: str, steps: multiprocessing.Queue,
                  stop: multiprocessing.synchronize.Event, quick: bool, parent: int) -> None:
    global _worker, _stop
    _stop = stop
    # Out of the terminal's process group: Ctrl-C reaches the parent alone, which stops handing out users and
    # lets the runs in flight end cleanly (rather than every worker and Dagster's helpers printing traces).
    os.setpgrp()
    _die_with_parent(parent)
    # Dagster's resources and instance refs do not pickle: they cross as plain fields and serialized text.
    settings = PipelineSettings.create(**fields)
    _worker = Refresher(settings, dg.DagsterInstance.from_ref(dg.deserialize_value(ref)), log_level, quick)
    # Progress of this worker's users goes to the parent, which owns the display, for the worker's life.
    _listening.enter_context(progress.listening(steps.put))


def _refresh_in_worker(name: str) -> UserOutcome:
    assert _worker is not None and _stop is not None
    if _stop.is_set():  # handed over before the build was interrupted: not started
        return UserOutcome(name, False, 0.0, error="not started: the build was interrupted")
    return _worker(name)


@contextmanager
def _relayed(steps: multiprocessing.Queue) -> Iterator[None]:
    """Hand the workers' progress to this process's listeners until the block ends."""
    def relay() -> None:
        while (step := steps.get()) is not None:
            progress.report(step.user, step.stage, step.done, step.total, step.seconds_per_request)

    thread = threading.Thread(target=relay, name="progress-relay", daemon=True)
    thread.start()
    try:
        yield
    finally:
        steps.put(None)
        thread.join(timeout=5)


def ensure_pool_slots(instance: dg.DagsterInstance, slots: int) -> int | None:
    """At least `slots` concurrent `discogs_api` steps, so that workers never queue on the pool (a step that
    finds it full looks again only a second later); the request budget is the limiter's, not the pool's.
    Returns the count it had when it was raised, else None."""
    storage = instance.event_log_storage
    before = storage.get_concurrency_info(POOL).slot_count
    if before >= slots:
        return None
    storage.set_concurrency_slots(POOL, slots)
    return before


def refresh_users(settings: PipelineSettings, names: list[str], instance: dg.DagsterInstance, *, jobs: int,
                  log_level: str, done: Callable[[UserOutcome], None],
                  report: Callable[[str], None] = print, quick: bool = False) -> list[UserOutcome]:
    """Refresh each named user, `jobs` at a time; `done` hears of each as it ends. Returns outcomes in `names` order.
    With `quick`, unchanged users are recorded without a run (see quick_refresh).

    One worker (or an instance other processes cannot open) means this process, one user after another.
    """
    if jobs <= 1 or len(names) <= 1 or instance.is_ephemeral:
        refresh = Refresher(settings, instance, log_level, quick)
        outcomes = []
        for name in names:
            outcomes.append(refresh(name))
            done(outcomes[-1])
        return outcomes
    workers = min(jobs, len(names))
    raised = ensure_pool_slots(instance, workers)
    if raised is not None:
        report(f"the discogs_api pool had {raised} slot{'s' if raised != 1 else ''}: raised to {workers} so that "
               f"{workers} users can be in flight (the rate limiter still keeps the request budget)")
    context = multiprocessing.get_context("spawn")
    steps, stop = context.Queue(), context.Event()
    found: dict[str, UserOutcome] = {}
    ref = dg.serialize_value(instance.get_ref())
    with _relayed(steps), ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                              initargs=(settings.fields(), ref, log_level, steps, stop,
                                                        quick, os.getpid())) as pool:
        futures = {pool.submit(_refresh_in_worker, name): name for name in names}
        # Dagster's runs defer Ctrl-C to a safe point; here there is none to wait for. SIGTERM (a supervisor,
        # `timeout`) stops the build the same way, instead of killing this process and orphaning its workers.
        previous = {sig: signal.signal(sig, signal.default_int_handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            _collect(futures, found, done)
        except KeyboardInterrupt:
            # Ctrl-C: the users not started yet are dropped at once (a pool's exit would otherwise start every
            # one of them first, those already handed to a worker included); those in flight end with their
            # run, which the next build reaps if need be. A second signal meets the handler from before (for
            # the command, SIGTERM's default: this process dies, its workers with it).
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return [found[name] for name in names]


def _collect(futures: dict, found: dict[str, UserOutcome], done: Callable[[UserOutcome], None]) -> None:
    """Record each user's outcome as their worker reports it."""
    for future in as_completed(futures):
        name = futures[future]
        try:
            outcome = future.result()
        except BrokenProcessPool:
            outcome = UserOutcome(name, False, 0.0, error="the worker process running this user died "
                                                         "(killed, or out of memory)")
        found[name] = outcome
        done(outcome)
