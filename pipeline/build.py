"""`discogs-site build`: the whole asset graph in-process, user by user, then the site; one bad user never
stops the others, and the command fails (exit 1) when any user did."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter
from filelock import FileLock

from pipeline import config, progress
from pipeline.defs.assets import POOL
from pipeline.defs.factory import build_definitions
from pipeline.defs.resources import PipelineSettings
from pipeline.errors import ConfigError
from pipeline.registry import find_user

PER_USER = ("collection", "master_enrichment", "collection_stats", "user_pages")
INSTANCE_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"


@dataclass
class UserOutcome:
    name: str
    ok: bool
    seconds: float
    metadata: dict[str, object] = field(default_factory=dict)
    error: str = ""


def open_instance(home: Path | None = None) -> dg.DagsterInstance:
    """The Dagster instance under DAGSTER_HOME (default `<state>/dagster`), created on first use.

    The `discogs_api` pool's slots are created here, once and under a lock, before any run can race
    to create them. Runs left STARTED by a killed process are marked failed and their pool slots freed, since
    without the daemon nothing else would, and the next run would wait for the slot for ever.
    """
    home = Path(home or config.dagster_home()).resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    instance = dg.DagsterInstance.get()
    with FileLock(home / ".pools.lock"):
        # Dagster creates a pool's slots on first use; two runs starting at once would each add one.
        if POOL not in instance.event_log_storage.get_concurrency_keys():
            instance.event_log_storage.initialize_concurrency_limit_to_default(POOL)
    for run in instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])):
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_failed(run)
    return instance


def _metadata(result: dg.ExecuteInJobResult) -> dict[str, object]:
    found: dict[str, object] = {}
    for event in result.get_asset_materialization_events():
        for key, value in event.materialization.metadata.items():
            found[f"{event.asset_key.to_user_string()}.{key}"] = getattr(value, "value", value)
    return found


def _error(result: dg.ExecuteInJobResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and "dagster" in (error.cls_name or "").lower():
                error = error.cause
            return f"{event.step_key}: {error.message.strip()}"
    return "failed"


def preflight(settings: PipelineSettings) -> None:
    """Settings every user needs, checked before any user is synced: one clear error instead of N failures."""
    if settings.rate_limit:
        config.parse_rate_limit(settings.rate_limit)
    config.rate_limit()
    config.timeout_seconds()
    output = Path(settings.output_dir).resolve()
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"output directory {settings.output_dir}: cannot create {output.parent}: "
                          f"{exc.strerror}") from None
    if not os.access(output.parent, os.W_OK) or (output.exists() and not output.is_dir()):
        raise ConfigError(f"output directory {settings.output_dir}: not a writable directory")


def build(settings: PipelineSettings, only: list[str] | None = None, *, instance: dg.DagsterInstance | None = None,
          report=print, dagster_log_level: str = "WARNING") -> tuple[list[UserOutcome], bool]:
    """Materialize each selected user's assets, then the site index. Returns (outcomes, site_published).

    Dagster's own console log is kept to warnings unless asked (`-v`): every event is stored in the
    instance anyway, and the progress display says what is happening.
    """
    preflight(settings)
    users = settings.users()
    names = [find_user(users, n, settings.users_file).name for n in only] if only else [u.name for u in users]
    instance = instance or open_instance()
    defs = build_definitions(settings)
    assets = list(defs.assets)
    resources = {"settings": settings}
    run_config = {"loggers": {"console": {"config": {"log_level": dagster_log_level}}}}
    outcomes = []
    for name in names:
        started = time.monotonic()
        report(f"{name}: building …")
        result = dg.materialize(assets, selection=list(PER_USER), partition_key=name, instance=instance,
                                resources=resources, raise_on_error=False, tags={"discogs-site/user": name},
                                run_config=run_config)
        outcome = UserOutcome(name, result.success, time.monotonic() - started, _metadata(result))
        if not result.success:
            outcome.error = _error(result)
        progress.report(name, "done" if outcome.ok else "failed", 1, 1)
        report(f"{name}: {'done' if outcome.ok else 'FAILED: ' + outcome.error} ({outcome.seconds:.1f} s)")
        outcomes.append(outcome)
    site = dg.materialize(assets, selection=["site_index"], instance=instance, resources=resources,
                          raise_on_error=False, run_config=run_config)
    if not site.success:
        report(f"site: FAILED: {_error(site)}; the previous site is unchanged")
    return outcomes, site.success
