"""Checks on a user's assets, evaluated as each asset materializes (they need what the step just learned)."""

from __future__ import annotations

import dagster as dg

COVERAGE_TARGET = 0.9

SIZE_MATCHES_DISCOGS = dg.AssetCheckSpec(
    "size_matches_discogs", asset="collection",
    description="The stored collection (plus items Discogs sent unreadable) holds as many items as Discogs' "
                "folder 0 reports.")

COVERAGE = dg.AssetCheckSpec(
    "coverage", asset="master_enrichment",
    description=f"At least {COVERAGE_TARGET:.0%} of items with a master have their master from Discogs (found: "
                "one Discogs answers 404 for, or not fetched yet, counts against it; a warning below that).")


PUBLISHED_FIELDS_EXIST = dg.AssetCheckSpec(
    "published_fields_exist", asset="collection",
    description="Every custom field users.yaml publishes for this user exists in their Discogs collection "
                "(a misspelt one publishes nothing).")


def published_fields_exist(missing: list[str], published: list[str]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=PUBLISHED_FIELDS_EXIST.name, passed=not missing,
                               severity=dg.AssetCheckSeverity.WARN,
                               metadata={"missing": ", ".join(missing) or "none",
                                         "published": ", ".join(published) or "none"})


VALUE_SNAPSHOT_TODAY = dg.AssetCheckSpec(
    "value_snapshot_today", asset="collection",
    description="When the user publishes their collection's value, today's snapshot of it is stored.")


def value_snapshot_today(published: bool, taken: bool, outcome: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=VALUE_SNAPSHOT_TODAY.name, passed=taken or not published,
                               severity=dg.AssetCheckSeverity.WARN, metadata={"value_snapshot": outcome})


WANTLIST_SIZE_MATCHES_DISCOGS = dg.AssetCheckSpec(
    "wantlist_size_matches_discogs", asset="collection",
    description="When the user publishes their wantlist, the stored wantlist holds as many wants as Discogs "
                "reports.")


def wantlist_size(published: bool, stored: int, discogs_count: int | None, skipped: int = 0) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=WANTLIST_SIZE_MATCHES_DISCOGS.name,
                               passed=not published or stored + skipped == discogs_count,
                               metadata={"stored": stored, "skipped_bad_items": skipped,
                                         "discogs_count": discogs_count if published else 0})


def size_matches_discogs(stored: int, skipped: int, discogs_count: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=SIZE_MATCHES_DISCOGS.name, passed=stored + skipped == discogs_count,
                               metadata={"stored": stored, "skipped_bad_items": skipped,
                                         "discogs_folder_count": discogs_count})


# How many of the items Discogs counts may be missing from the stored collection (unreadable, or gone astray)
# before the user fails instead of publishing: a couple, or 1% of a large collection.
MISSING_ALLOWED, MISSING_SHARE = 2, 0.01


def too_far_from_discogs(user: str, stored: int, discogs_count: int | None, *, private_folders: bool) -> str | None:
    """Why `user` must fail rather than publish, in one line, or None: Discogs counts items and none could be
    stored, or more than max(2, 1%) of them are missing. With private folders set the line gives no count (it
    reaches build logs, and Discogs' count includes those folders)."""
    if not discogs_count:
        return None
    missing = discogs_count - stored
    if stored and abs(missing) <= max(MISSING_ALLOWED, int(discogs_count * MISSING_SHARE)):
        return None
    if private_folders:
        what = "none of their items could" if not stored else "too many of their items could not"
        return f"user {user!r}: {what} be read from Discogs; nothing is published until they can"
    if not stored:
        return (f"user {user!r}: none of the {discogs_count:,} items Discogs lists could be read; nothing is "
                "published until they can")
    read = (f"only {stored:,} of the {discogs_count:,} items Discogs lists could be read" if missing > 0 else
            f"{stored:,} items were read but Discogs lists {discogs_count:,}")
    return (f"user {user!r}: {read} (more than max({MISSING_ALLOWED}, {MISSING_SHARE:.0%}) apart); nothing is "
            "published until they agree")


def coverage(share: float) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=COVERAGE.name, passed=share >= COVERAGE_TARGET,
                               severity=dg.AssetCheckSeverity.WARN, metadata={"coverage": round(share, 4)})
