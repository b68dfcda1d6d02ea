"""The Dagster instance the command line uses, and the reaping of runs whose owning process is really gone.

`discogs-site build` tags each run with the process that executes it (host, pid, process start time).
A run left STARTED by a killed build holds its `discogs_api` pool slot for ever, since without the
daemon nothing else would end it; such runs are marked failed and their slots freed. A run whose owner
is alive (another build, this very process) or that the UI launched (no owner tag: Dagster's run
monitoring watches those where the daemon runs) is never touched, so `status` or a second build never
fail a running one.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg
from filelock import FileLock

from pipeline import config

POOL = "discogs_api"
OWNER_TAG = "discogs-site/owner"
INSTANCE_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def this_process() -> str:
    """The owner tag for runs executed by this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def owner_alive(owner: str) -> bool:
    """Whether the process an owner tag names still runs; True when it cannot be told (another host)."""
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not started or _start_time(pid) in ("", started)


def reap_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs of builds that died mid-run and free their pool slots; returns their ids."""
    reaped = []
    runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]))
    for run in runs:
        owner = run.tags.get(OWNER_TAG)
        if owner is None or owner_alive(owner):
            continue
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_failed(run)
        reaped.append(run.run_id)
    return reaped


def instance_lock(home: Path | str) -> FileLock:
    """The lock under which the processes sharing a Dagster home take turns to set it up: creating its storage
    and the pool's slots, reaping, bringing the users' partitions in line (each would otherwise race)."""
    return FileLock(Path(home) / ".pools.lock")


def open_instance(home: Path | None = None, *, read_only: bool = False) -> dg.DagsterInstance | None:
    """The Dagster instance under DAGSTER_HOME (default `<state>/dagster`), created on first use.

    With `read_only`, nothing is created or changed: None when there is no instance yet. Otherwise
    the `discogs_api` pool's slots are created once (two runs starting at once would each add one), and
    the runs of dead builds are reaped. Dagster's storage is opened, and on first use created, under the
    same lock, so that processes opening a fresh home at once take turns.
    """
    home = Path(home or config.dagster_home()).resolve()
    if read_only and not (home / "dagster.yaml").exists():
        return None
    if not read_only:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Dagster creates its SQLite tables when an instance is first opened, with no guard against another
    # process doing the same: two builds on a fresh state crashed one with "table runs already exists".
    with instance_lock(home):
        if not read_only and not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
        config.export("DAGSTER_HOME", str(home))
        instance = dg.DagsterInstance.get()
        if read_only:
            return instance
        if POOL not in instance.event_log_storage.get_concurrency_keys():
            instance.event_log_storage.initialize_concurrency_limit_to_default(POOL)
        reap_orphaned_runs(instance)
    return instance
