"""`publish_after_refreshes`: the site is published once per batch of refreshes, not once per user."""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

from pipeline.defs.site.jobs import publish_site
from pipeline.defs.users.jobs import refresh_user

UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED]


def publish_request(instance: dg.DagsterInstance, cursor: str | None,
                    update_cursor: Callable[[str], None]) -> dg.RunRequest | dg.SkipReason:
    """One publish for every refresh that succeeded since the last one, once none is left to run.

    Publishing after each refresh copied every user's pages once per user per tick; a batch of a
    thousand refreshes now costs one publish. The cursor is the newest refresh already published.
    """
    if instance.get_runs(dg.RunsFilter(job_name=refresh_user.name, statuses=UNFINISHED), limit=1):
        return dg.SkipReason("refreshes are still running; the site is published when the batch is over")
    since = datetime.fromtimestamp(float(cursor or 0), UTC)
    done = instance.get_run_records(dg.RunsFilter(job_name=refresh_user.name, statuses=[dg.DagsterRunStatus.SUCCESS],
                                                  updated_after=since))
    if not done:
        return dg.SkipReason("no refresh has succeeded since the site was last published")
    newest = max(record.update_timestamp for record in done)
    update_cursor(str(newest.timestamp()))
    return dg.RunRequest(run_key=f"publish-after-{newest.timestamp():.6f}")


@dg.sensor(job=publish_site, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Once a batch of refreshes is over (none queued or running), publish the site once.")
def publish_after_refreshes(context: dg.SensorEvaluationContext):
    return publish_request(context.instance, context.cursor, context.update_cursor)
