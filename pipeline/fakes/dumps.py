"""Write masters dumps in Discogs' XML format, agreeing with the fake API's masters, plus their CHECKSUM file.

Each `<master>` carries what the real dump carries (main release, images, artists, genres, styles, year,
title, data quality, videos), so file sizes and parsing costs resemble the real thing. Masters come
from the generated catalog, so a dump and the fake API answer alike for every id both know.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pipeline.dump.names import checksum_name, dump_name, sha256_of
from pipeline.fakes.discogs.generator import MASTER_BASE, Catalog


def _video(rng: random.Random, title: str) -> str:
    key = "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", k=11))
    return (f'<video src="https://www.youtube.com/watch?v={key}" duration="{rng.randint(90, 600)}" embed="true">'
            f"<title>{escape(title)}</title><description>{escape(title)}</description></video>")


def master_xml(master: dict[str, Any]) -> str:
    """One `<master>` element for an API-shaped master body."""
    rng = random.Random(master["id"])
    artists = "".join(
        f"<artist><id>{a.get('id', 0)}</id><name>{escape(a.get('name', ''))}</name><anv>{escape(a.get('anv', ''))}"
        f"</anv><join>{escape(a.get('join', ''))}</join><role></role><tracks></tracks></artist>"
        for a in master.get("artists") or [])
    genres = "".join(f"<genre>{escape(g)}</genre>" for g in master.get("genres") or [])
    styles = "".join(f"<style>{escape(s)}</style>" for s in master.get("styles") or [])
    videos = "".join(_video(rng, master.get("title", "")) for _ in range(rng.choice((0, 0, 1, 2, 3, 5))))
    return (f"<master id={quoteattr(str(master['id']))}><main_release>{master.get('main_release') or 0}</main_release>"
            f'<images><image type="primary" uri="" uri150="" width="600" height="600"/></images>'
            f"<artists>{artists}</artists><genres>{genres}</genres><styles>{styles}</styles>"
            f"<year>{master.get('year') or 0}</year><title>{escape(master.get('title', ''))}</title>"
            f"<data_quality>{escape(master.get('data_quality', 'Correct'))}</data_quality>"
            f"<videos>{videos}</videos></master>\n")


def catalog_masters(catalog: Catalog, master_ids: Iterable[int]) -> Iterator[dict[str, Any]]:
    """The catalog's masters for these ids, skipping deleted ones, without keeping them in memory."""
    for master_id in master_ids:
        if catalog.master_exists(master_id):
            yield catalog.make_master(master_id)


def world_masters(world, leave_out: float = 0.0) -> Iterator[dict[str, Any]]:
    """The masters a generated world's collections point to, less `leave_out` of them (see `omitted`)."""
    return (m for m in catalog_masters(world.catalog, sorted(world.masters)) if not omitted(m["id"], leave_out))


def first_masters(count: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    """`count` ids from the start of the catalog (deleted ones skipped), for big benchmark dumps."""
    return catalog_masters(Catalog(seed), range(MASTER_BASE + 1, MASTER_BASE + 1 + count))


def write_dump(directory: Path, dump_date: date, masters: Iterable[dict[str, Any]], *, level: int = 6) -> Path:
    """`discogs_YYYYMMDD_masters.xml.gz` and `discogs_YYYYMMDD_CHECKSUM.txt` in `directory`; returns the dump."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / dump_name(dump_date)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=level) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<masters>\n')
        for master in masters:
            out.write(master_xml(master))
        out.write("</masters>\n")
    (directory / checksum_name(dump_date)).write_text(f"{sha256_of(path)} {path.name}\n", encoding="utf-8")
    return path


def omitted(master_id: int, share: float) -> bool:
    """Whether a generated dump leaves this master out (stands for one created after the dump's date)."""
    return (master_id * 2654435761 % 1000) < share * 1000
