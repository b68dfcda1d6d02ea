"""One partition per public or unlisted user of users.yaml: the only place the registry becomes partitions.

The partitions are dynamic (kept in Dagster's instance) so that the definitions never read the registry:
`build` and the `registered_users` sensor bring them in line with users.yaml before anything runs, and a
user added there is refreshable within a minute, without reloading the code location. Private users never
get a partition, so no run, tag or metadata names them.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from pipeline.accounts.registry import User, Visibility

USERS = dg.DynamicPartitionsDefinition(name="users")


@dataclass(frozen=True)
class PartitionChanges:
    add: list[str]
    remove: list[str]

    def requests(self) -> list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest]:
        return [*([USERS.build_add_request(self.add)] if self.add else []),
                *([USERS.build_delete_request(self.remove)] if self.remove else [])]


def published_names(users: list[User]) -> list[str]:
    return [u.name for u in users if u.visibility is not Visibility.PRIVATE]


def partition_changes(instance: dg.DagsterInstance, users: list[User]) -> PartitionChanges:
    """What to add and remove so that the partitions are exactly the registry's non-private users."""
    wanted = published_names(users)
    have = instance.get_dynamic_partitions(USERS.name)
    return PartitionChanges(add=[n for n in wanted if n not in have], remove=[n for n in have if n not in wanted])


def sync_user_partitions(instance: dg.DagsterInstance, users: list[User]) -> PartitionChanges:
    """Apply `partition_changes` at once (what `build` does before its first run)."""
    changes = partition_changes(instance, users)
    if changes.add:
        instance.add_dynamic_partitions(USERS.name, changes.add)
    for name in changes.remove:
        instance.delete_dynamic_partition(USERS.name, name)
    return changes
