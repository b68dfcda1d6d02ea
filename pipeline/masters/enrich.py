"""Enrichment: fetch each master a collection points to that the cache lacks or holds past its TTL, once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.common import progress
from pipeline.discogs.client import DiscogsClient
from pipeline.discogs.errors import MalformedResponseError, NotFoundError, TransientError
from pipeline.masters.cache import MasterCache

log = logging.getLogger(__name__)


@dataclass
class EnrichResult:
    wanted: int = 0          # distinct masters the collection points to
    fetched: int = 0         # answered this run (found or 404)
    not_found: int = 0
    remaining: int = 0       # still due when the run stopped (budget spent or the API gave out)
    errors: list[str] = field(default_factory=list)


def enrich(client: DiscogsClient, cache: MasterCache, master_ids: Iterable[int], *, budget: int | None = None,
           now: float | None = None) -> EnrichResult:
    """Fetch what is due, at most `budget` requests' worth; every answer is stored the moment it arrives.

    Auth errors propagate (the user must reconnect). A master whose body stays malformed is reported
    and skipped; when the API keeps failing the run stops early, keeping everything fetched so far.
    """
    ids = {m for m in master_ids if m and m > 0}
    due = cache.due(ids, now)
    result = EnrichResult(wanted=len(ids), remaining=len(due))
    planned = len(due) if budget is None else min(budget, len(due))
    pace = client.rate.seconds_per_request

    def tick() -> None:
        progress.report(client.user or "", "masters", len(due) - result.remaining, planned, pace)

    tick()
    for master_id in due:
        if budget is not None and result.fetched >= budget:
            break
        try:
            cache.put(client.master(master_id))
        except NotFoundError:
            cache.put_missing(master_id)
            result.not_found += 1
        except MalformedResponseError as exc:
            result.errors.append(f"master {master_id}: {exc}")
            result.remaining -= 1
            tick()
            continue
        except TransientError as exc:
            result.errors.append(f"stopped early, {result.remaining} masters left: {exc}")
            log.warning("enrichment stopped early: %s", exc)
            break
        result.fetched += 1
        result.remaining -= 1
        tick()
    return result
