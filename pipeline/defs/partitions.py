"""One partition per registered user, read from users.yaml when the definitions are built.

Static partitions need no stored state: a user added to users.yaml appears at the next code reload
(`dagster dev` reloads on demand; `discogs-site build` loads fresh each time), a removed one retires.
"""

from __future__ import annotations

import dagster as dg

from pipeline.registry import Visibility, load_users


def user_partitions(users_file: str) -> dg.StaticPartitionsDefinition:
    """Public and unlisted users only: a private user is never materialized, so no run or metadata names them."""
    return dg.StaticPartitionsDefinition([u.name for u in load_users(users_file) if u.visibility is not
                                          Visibility.PRIVATE])
