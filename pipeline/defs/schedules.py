"""Automation: every user refreshed every six hours (one run per user), the site published once per batch."""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED]


def publish_request(instance: dg.DagsterInstance, cursor: str | None,
                    update_cursor: Callable[[str], None]) -> dg.RunRequest | dg.SkipReason:
    """One publish for every refresh that succeeded since the last one, once none is left to run.

    Publishing after each refresh copied every user's pages once per user per tick; a batch of a
    thousand refreshes now costs one publish. The cursor is the newest refresh already published.
    """
    if instance.get_runs(dg.RunsFilter(job_name="refresh_user", statuses=UNFINISHED), limit=1):
        return dg.SkipReason("refreshes are still running; the site is published when the batch is over")
    since = datetime.fromtimestamp(float(cursor or 0), UTC)
    done = instance.get_run_records(dg.RunsFilter(job_name="refresh_user", statuses=[dg.DagsterRunStatus.SUCCESS],
                                                  updated_after=since))
    if not done:
        return dg.SkipReason("no refresh has succeeded since the site was last published")
    newest = max(record.update_timestamp for record in done)
    update_cursor(str(newest.timestamp()))
    return dg.RunRequest(run_key=f"publish-after-{newest.timestamp():.6f}")


def build_automation(assets: list[dg.AssetsDefinition], user_partitions: dg.PartitionsDefinition):
    """(jobs, schedules, sensors) over `assets` as returned by build_assets."""
    by_name = {a.key.to_user_string(): a for a in assets}
    refresh_user = dg.define_asset_job(
        "refresh_user",
        selection=dg.AssetSelection.assets(*(by_name[n] for n in ("collection", "master_enrichment",
                                                                   "collection_stats", "user_pages"))),
        description="Sync one user's collection, enrich its masters, recompute the stats and re-render the pages.",
    )
    publish = dg.define_asset_job(
        "publish_site", selection=dg.AssetSelection.assets(by_name["site_index"]),
        description="Assemble every user's staged pages into the published site and swap it in.",
    )

    @dg.schedule(cron_schedule="0 */6 * * *", job=refresh_user, default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Every 6 hours: one refresh run per registered user. Switch it off in the UI.")
    def every_six_hours(context: dg.ScheduleEvaluationContext):
        for name in user_partitions.get_partition_keys():
            yield dg.RunRequest(run_key=f"{name}-{context.scheduled_execution_time:%Y%m%d%H}", partition_key=name)

    @dg.sensor(job=publish, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
               description="Once a batch of refreshes is over (none queued or running), publish the site once.")
    def publish_after_refreshes(context: dg.SensorEvaluationContext):
        return publish_request(context.instance, context.cursor, context.update_cursor)

    return [refresh_user, publish], [every_six_hours], [publish_after_refreshes]
