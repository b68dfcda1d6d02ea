"""The monthly dump import, two days after Discogs publishes it."""

import dagster as dg

from pipeline.defs.masters_dump.jobs import masters_dump_job


@dg.schedule(cron_schedule="0 4 3 * *", job=masters_dump_job, default_status=dg.DefaultScheduleStatus.RUNNING,
             description="On the 3rd of every month: import that month's masters dump (published on the 1st).")
def monthly_masters_dump(context: dg.ScheduleEvaluationContext):
    month = context.scheduled_execution_time.date().replace(day=1).isoformat()
    return dg.RunRequest(run_key=f"masters-dump-{month}", partition_key=month)
