"""`registered_users`: keeps the user partitions equal to users.yaml's public and unlisted users."""

import dagster as dg

from pipeline.defs.resources import StateStores
from pipeline.defs.users.partitions import partition_changes


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Adds a partition for each user registered in users.yaml and removes those who left or "
                       "turned private, so the schedule and the UI see the registry within a minute.")
def registered_users(context: dg.SensorEvaluationContext, stores: StateStores):
    changes = partition_changes(context.instance, stores.users())
    if not changes.add and not changes.remove:
        return dg.SkipReason("the partitions match users.yaml")
    return dg.SensorResult(dynamic_partitions_requests=changes.requests())
