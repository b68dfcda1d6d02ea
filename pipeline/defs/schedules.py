"""Automation: every user refreshed every six hours (one run per user), the site republished after each."""

import dagster as dg


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

    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[refresh_user],
                          request_job=publish, default_status=dg.DefaultSensorStatus.RUNNING,
                          description="After a user's refresh succeeds, rebuild the published site.")
    def publish_after_refresh(context: dg.RunStatusSensorContext):
        return dg.RunRequest(run_key=context.dagster_run.run_id)

    return [refresh_user, publish], [every_six_hours], [publish_after_refresh]
