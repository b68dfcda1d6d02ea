"""Forgetting people: everything stored for a user who is private, removed or never registered is deleted.

Per-user state lives under a few directories of the state directory, each file or folder named after
the user (`al.parquet`, `.al.lock`, `al/`); user names are slugs without dots, so the name is what
comes before the first dot. The shared master cache holds no per-user data and is kept. Dagster's
runs for such a user (their metadata names them and counts their records) are deleted too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

PER_USER_DIRS = ("collections", "stats", "pages")
USER_JOB = "refresh_user"


def _owner(entry: Path) -> str:
    return entry.name.lstrip(".").split(".", 1)[0]


def prune_state(state: Path, keep: set[str]) -> set[str]:
    """Delete per-user files and folders of everyone not in `keep`; returns whose they were."""
    gone: set[str] = set()
    for sub in PER_USER_DIRS:
        directory = Path(state) / sub
        if not directory.is_dir():
            continue
        for entry in directory.iterdir():
            owner = _owner(entry)
            if not owner or owner in keep:
                continue
            gone.add(owner)
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    return gone


def prune_runs(instance: dg.DagsterInstance, names: set[str]) -> int:
    """Delete the finished per-user runs of `names` (their metadata names them); returns how many."""
    finished = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
    found: dict[str, dg.DagsterRun] = {}
    for name in names:
        for tags in ({"discogs-site/user": name}, {"dagster/partition": name}):
            for run in instance.get_runs(dg.RunsFilter(tags=tags, statuses=finished)):
                if run.job_name == USER_JOB or "discogs-site/user" in run.tags:  # not a masters dump month
                    found[run.run_id] = run
    for run_id in found:
        instance.delete_run(run_id)
    return len(found)


def forget_users(state: Path, instance: dg.DagsterInstance, keep: set[str]) -> int:
    """Everything stored for users not in `keep`, files and runs; returns how many users had some."""
    gone = prune_state(state, keep)
    prune_runs(instance, gone)
    return len(gone)
