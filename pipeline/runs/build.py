"""`discogs-site build`: every user's `refresh_user` run (a few users at once), then the site's `publish_site`;
one bad user never stops the others, and the command fails (exit 1) when any user did.

Private users are not built at all (they have no partition): nothing is fetched for them, and what an
earlier build stored for them, or for anyone no longer registered, is deleted before anything else runs.
"""

from __future__ import annotations

import os

import dagster as dg

from pipeline import config
from pipeline.accounts.registry import Visibility, find_user
from pipeline.accounts.vault import Vault
from pipeline.common import progress
from pipeline.defs import definitions
from pipeline.defs.resources import PipelineSettings
from pipeline.defs.users.partitions import sync_user_partitions
from pipeline.errors import ConfigError
from pipeline.runs.instance import OWNER_TAG, instance_lock, open_instance, this_process
from pipeline.runs.quick_refresh import record_unchanged
from pipeline.runs.workers import UserOutcome, console_log, refresh_users, run_error, run_metadata
from pipeline.site.output_guard import check_output_dir
from pipeline.state.prune import forget_users

PRIVATE_UMASK = 0o077  # state, Dagster's storage and logs are the owner's alone; publishing sets its own modes

__all__ = ["UserOutcome", "build", "open_instance", "preflight"]


def preflight(settings: PipelineSettings) -> None:
    """Settings every user needs, checked before any user is synced: one clear error instead of N failures.

    Nothing is created or changed here; a refused output directory, an unreadable registry or a vault
    its key does not open stop the build before the first request.
    """
    if settings.discogs.rate_limit:
        config.parse_rate_limit(settings.discogs.rate_limit)
    config.rate_limit()
    config.timeout_seconds()
    config.request_deadline_seconds()
    config.retry_budget_seconds()
    settings.stores.users()
    Vault.open(settings.stores.vault_file)  # a missing or wrong DISCOGS_SITE_KEY, an altered or unreadable vault
    output = check_output_dir(settings.site.output_dir, keep=settings.stores.protected_paths())
    existing = next((p for p in (output, *output.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK):
        raise ConfigError(f"output directory {settings.site.output_dir}: cannot be written ({existing} is not a "
                          "writable directory)")


def build(settings: PipelineSettings, only: list[str] | None = None, *, instance: dg.DagsterInstance | None = None,
          report=print, dagster_log_level: str = "CRITICAL", jobs: int = 1) -> tuple[list[UserOutcome], bool]:
    """Materialize each selected non-private user's assets, then the site. Returns (outcomes, site_published).

    `jobs` users are refreshed at once, each in a worker process (see build_workers); 1 keeps them in
    this process, one after another.

    Dagster's own console log (stack traces included) stays quiet unless asked (`-v`): every event is
    stored in the instance anyway, and `report` says what happened, one line per user. Private users are never named
    in what this reports.
    """
    preflight(settings)
    os.umask(PRIVATE_UMASK)
    stores = settings.stores
    stores.state.mkdir(parents=True, exist_ok=True)
    stores.state.chmod(0o700)  # a state directory made before the umask was set
    users = stores.users()
    chosen = [find_user(users, n, stores.users_file) for n in only] if only else users
    names = [u.name for u in chosen if u.visibility is not Visibility.PRIVATE]
    if len(names) < len(chosen):
        skipped = len(chosen) - len(names)
        report(f"{skipped} private user{'s are' if skipped > 1 else ' is'} not built (nothing fetched or published)")
    instance = instance or open_instance(stores.dagster_home)
    keep = {u.name for u in users if u.visibility is not Visibility.PRIVATE}
    # Two builds on a fresh state would both add the same partitions (a UNIQUE constraint's trace for one).
    with instance_lock(instance.root_directory):
        forget_users(stores.state, instance, keep)
        sync_user_partitions(instance, users)
    def done(outcome: UserOutcome) -> None:
        if outcome.ok:
            progress.report(outcome.name, "done", 1, 1)
        else:  # one line naming the user and the cause; the trace stays in the run's event log
            report(f"{outcome.name}: FAILED: {outcome.error}")

    # The same jobs the schedule and the UI run, so the UI lists these runs under their names.
    # Everyone at once (the schedule's build): unchanged users need no run. One person rebuilt on demand
    # (`--user`) always gets their run, as an operator asking for it expects.
    outcomes = refresh_users(settings, names, instance, jobs=jobs, log_level=dagster_log_level,
                             done=done, report=report, quick=not only)
    record_unchanged(instance, outcomes)
    publish = definitions(settings).resolve_job_def("publish_site")
    site = publish.execute_in_process(instance=instance, raise_on_error=False,
                                      run_config=console_log(dagster_log_level), tags={OWNER_TAG: this_process()})
    if not site.success:
        report(f"site: FAILED: {run_error(site)}; the previous site is unchanged")
    for warning in (run_metadata(site).get("site_index.warnings") or "").splitlines():
        report(f"site: {warning}")
    return outcomes, site.success
