"""One partition per registered user, read from users.yaml when the definitions are built.

Static partitions need no stored state: a user added to users.yaml appears at the next code reload
(`dagster dev` reloads on demand; `discogs-site build` loads fresh each time), a removed one retires.
"""

from __future__ import annotations

import dagster as dg

from pipeline.registry import load_users


def user_partitions(users_file: str) -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition([user.name for user in load_users(users_file)])
