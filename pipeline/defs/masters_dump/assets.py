"""The `masters_dump` asset: one monthly partition per Discogs data dump, imported into the master cache.

Materializing a month downloads that month's masters dump (resuming a partial download), checks it
against the published SHA-256 and imports it in one transaction. The month is already imported: nothing
is downloaded. It runs outside the `discogs_api` pool: the dumps come from Discogs' data bucket, which
the API's rate limit does not cover.
"""

from datetime import date

import dagster as dg

from pipeline.common import progress
from pipeline.defs.resources import StateStores
from pipeline.dump.names import dump_url
from pipeline.dump.update import update

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", end_offset=1)  # this month included


@dg.asset(partitions_def=MONTHS, group_name="discogs")
def masters_dump(context: dg.AssetExecutionContext, stores: StateStores) -> dg.MaterializeResult:
    """Discogs' monthly masters dump (CC0) in the shared master cache: original year, genres and styles for
    every master that existed on the dump's date, so enrichment asks the API only for newer ones."""
    day = date.fromisoformat(context.partition_key)
    url = dump_url(day)
    reporter = progress.LineReporter(context.log.info, user="masters dump", every=30.0)

    def report(stage: str, done: int, total: int) -> None:
        reporter(progress.Step("masters dump", f"{stage} (MB)", done // 1_000_000, total // 1_000_000))

    outcome = update(url, stores.master_cache_path, day=day, report=report)
    if outcome.result is None:
        return dg.MaterializeResult(metadata={"dump_date": outcome.day, "already_imported": True, "url": url})
    r = outcome.result
    if r.skipped:
        context.log.warning(f"masters dump {r.day}: skipped {r.skipped:,} <master> elements without a numeric id")
    return dg.MaterializeResult(metadata={
        "dump_date": r.day, "url": url, "masters": r.masters, "stored": r.written, "kept_newer_api_answers":
        r.kept_newer, "skipped": r.skipped, "downloaded_bytes": outcome.downloaded_bytes,
        "file_bytes": r.file_bytes, "seconds": round(r.seconds, 1), "masters_per_second": round(r.per_second)})
