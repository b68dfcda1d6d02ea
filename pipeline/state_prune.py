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
USER_TAGS = ("discogs-site/user", "dagster/partition")


def _owner(entry: Path) -> str:
    return entry.name.lstrip(".").split(".", 1)[0]


def prune_state(state: Path, keep: set[str]) -> int:
    """Delete per-user files and folders of everyone not in `keep`; returns how many users had some."""
    gone: set[str] = set()
    for sub in PER_USER_DIRS:
        directory = Path(state) / sub
        if not directory.is_dir():
            continue
        for entry in directory.iterdir():
            owner = _owner(entry)
            if not owner or owner in keep or entry.name == "publish.lock":
                continue
            gone.add(owner)
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    return len(gone)


def prune_runs(instance: dg.DagsterInstance, keep: set[str], partitioned_jobs: set[str]) -> int:
    """Delete finished runs of the per-user jobs whose user is not in `keep`; returns how many."""
    deleted = 0
    finished = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
    for run in instance.get_runs(dg.RunsFilter(statuses=finished)):
        names = {run.tags[t] for t in USER_TAGS if t in run.tags}
        per_user = run.job_name in partitioned_jobs or "discogs-site/user" in run.tags
        if per_user and names and not names & keep:
            instance.delete_run(run.run_id)
            deleted += 1
    return deleted
