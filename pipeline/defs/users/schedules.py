"""Every six hours, one `refresh_user` run per registered (non-private) user."""

import dagster as dg

from pipeline.defs.resources import StateStores
from pipeline.defs.users.jobs import refresh_user
from pipeline.defs.users.partitions import USERS, published_names


@dg.schedule(cron_schedule="0 */6 * * *", job=refresh_user, default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every 6 hours: one refresh run per registered user. Switch it off in the UI.")
def every_six_hours(context: dg.ScheduleEvaluationContext, stores: StateStores):
    # The registry is read again so that a user made private since the partitions were synced is left out.
    known = set(context.instance.get_dynamic_partitions(USERS.name))
    for name in published_names(stores.users()):
        if name in known:
            yield dg.RunRequest(run_key=f"{name}-{context.scheduled_execution_time:%Y%m%d%H}", partition_key=name)
