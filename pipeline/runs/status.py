"""`discogs-site status`: per registered user, what an operator asks first (connected? synced? failing? where?)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from pipeline.accounts.registry import Visibility
from pipeline.accounts.vault import Vault
from pipeline.collection.sync import unreadable_of
from pipeline.defs.resources import PipelineSettings
from pipeline.errors import SiteError
from pipeline.runs.failures import failure_line
from pipeline.site.paths import page_path


@dataclass
class UserStatus:
    name: str
    visibility: str
    connected: str
    items: str
    skipped: str  # items the last sync could not read from Discogs (in no page)
    last_synced: str
    coverage: str
    last_error: str
    url: str


def _last_error(instance: DagsterInstance | None, name: str) -> str:
    """The newest finished run for the user: its failure, or nothing when it succeeded."""
    if instance is None:
        return ""
    for tags in ({"discogs-site/user": name}, {"dagster/partition": name}):
        runs = instance.get_runs(RunsFilter(tags=tags, statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE]),
                                 limit=1)
        if runs:
            if runs[0].status is DagsterRunStatus.SUCCESS:
                return ""
            for event in instance.all_logs(runs[0].run_id):
                if not (event.dagster_event and event.dagster_event.is_step_failure):
                    continue
                data = event.dagster_event.step_failure_data
                if data.error:
                    return failure_line(data.error)
            return f"run {runs[0].run_id[:8]} failed"
    return ""


def collect(settings: PipelineSettings, instance: DagsterInstance | None = None) -> list[UserStatus]:
    try:
        vault: Vault | None = Vault.open(settings.stores.vault_file)
        vault_problem = ""
    except SiteError as exc:
        vault, vault_problem = None, str(exc)
    store = settings.stores.collections()
    rows = []
    for user in settings.stores.users():
        private = user.visibility is Visibility.PRIVATE
        connected = ("yes" if user.name in vault else "no") if vault else f"unknown ({vault_problem})"
        table, state = store.load(user.name), store.load_state(user.name)
        stats_file = settings.stores.stats_json(user.name)
        coverage = ""
        if stats_file.exists():
            coverage = f"{json.loads(stats_file.read_text(encoding='utf-8'))['totals']['enrichment_coverage']:.0%}"
        if private:
            url = "(private: not published)"
        else:
            try:
                url = f"{settings.site.site_url}{settings.site.base_path}{page_path(user)}"
            except SiteError as exc:
                url = f"(unknown: {exc})"
        rows.append(UserStatus(user.name, user.visibility.value, connected,
                               str(table.height) if table is not None else "–",
                               str(len(unreadable_of(state))) if state.synced_at else "–",
                               (state.synced_at or "never")[:16].replace("T", " "), coverage or "–",
                               _last_error(instance, user.name), url))
    return rows


def master_cache_summary(settings: PipelineSettings) -> str:
    """One line: how many masters are cached, how many came from the newest dump and from the API."""
    if not settings.stores.master_cache_path.exists():
        return "master cache: empty (no build or dump import yet)"
    with settings.stores.master_cache() as cache:
        sources, dumps = cache.sources(), [d for d in cache.dumps() if d["imported_at"]]
    newest = f" of {dumps[0]['date']}" if dumps else ""
    return (f"master cache: {sources['dump'] + sources['api']:,} masters, {sources['dump']:,} from the dump{newest}"
            f" and {sources['api']:,} from the API")
