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
    description=f"At least {COVERAGE_TARGET:.0%} of items with a master are enriched (a warning below that).")


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


def wantlist_size(published: bool, stored: int, discogs_count: int | None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=WANTLIST_SIZE_MATCHES_DISCOGS.name,
                               passed=not published or stored == discogs_count,
                               metadata={"stored": stored, "discogs_count": discogs_count if published else 0})


def size_matches_discogs(stored: int, skipped: int, discogs_count: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=SIZE_MATCHES_DISCOGS.name, passed=stored + skipped == discogs_count,
                               metadata={"stored": stored, "skipped_bad_items": skipped,
                                         "discogs_folder_count": discogs_count})


def coverage(share: float) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=COVERAGE.name, passed=share >= COVERAGE_TARGET,
                               severity=dg.AssetCheckSeverity.WARN, metadata={"coverage": round(share, 4)})
