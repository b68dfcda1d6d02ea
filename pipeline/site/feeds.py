"""Atom feeds of recent additions: one per published collection, one for the site's public collectors.

Friends follow a collection in any feed reader. Entries come from the staged `releases.json` (newest
first), each pointing at the release on Discogs; ids are stable URNs derived from the collection's
folder and the item's instance id, so a reader never shows an item twice. Every feed is well-formed XML
whatever the data: characters XML forbids are replaced (pipeline.common.text).
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from pipeline.collection.formats import stored_text
from pipeline.common.text import legal
from pipeline.site.names import possessive
from pipeline.site.years import years_text

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
EPOCH = "1970-01-01T00:00:00Z"  # `updated` of a feed with nothing in it yet
ET.register_namespace("", ATOM)


def recent(releases_json: bytes, n: int = FEED_SIZE) -> list[dict[str, Any]]:
    """The newest `n` items of a staged releases.json, as dicts (those without a date come last there)."""
    data = json.loads(releases_json)
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"][:n]]


def _dated(rows: list[tuple[str, dict[str, Any], str]]) -> list[tuple[str, dict[str, Any], str]]:
    """An entry needs the date it was added (Atom's `updated`): a record Discogs gave none for is no news."""
    return [row for row in rows if row[1].get("date_added")]


def _instant(stamp: str) -> datetime:
    """Discogs' `date_added` carries its own offset: compare instants, not strings."""
    return datetime.fromisoformat(stamp)


def _urn(*parts: object) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "discogs-site:" + ":".join(map(str, parts))).urn


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    # ElementTree writes any character, so one control character (in a display name, say) would make the
    # whole feed malformed: every text and attribute goes through the one rule for outside text.
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: legal(v) for k, v in attributes.items()})
    if text is not None:
        element.text = legal(text)
    return element


def _entry(feed: ET.Element, key: str, row: dict[str, Any], prefix: str = "") -> None:
    entry = _add(feed, "entry")
    _add(entry, "id", _urn(key, row["instance_id"]))
    name = " – ".join(part for part in (row["artist"], row["title"]) if part) or "(untitled)"
    _add(entry, "title", prefix + name)
    _add(entry, "updated", row["date_added"])
    release = f"https://www.discogs.com/release/{int(row['release_id'])}"
    _add(entry, "link", rel="alternate", type="text/html", href=release)
    labels = ", ".join(dict.fromkeys(row["labels"] or []))
    # Staged before the printed formats were kept, a row has its format names and descriptions only.
    formats = row.get("format") or stored_text(row["formats"], row.get("format_descriptions"))
    details = [years_text(row["original_year"], row["year"]), formats, labels]
    _add(entry, "summary", " · ".join(d for d in details if d) or name)


def _feed(title: str, key: str, author: str, alternate: str, rows: list[tuple[str, dict[str, Any], str]]) -> bytes:
    rows = _dated(rows)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", _urn(key))
    _add(feed, "title", title)
    _add(feed, "updated", max((row["date_added"] for _, row, _ in rows), key=_instant, default=EPOCH))
    _add(feed, "link", rel="self", type="application/atom+xml", href="feed.xml")
    _add(feed, "link", rel="alternate", type="text/html", href=alternate)
    _add(_add(feed, "author"), "name", author)
    _add(feed, "generator", "discogs-site")
    for entry_key, row, prefix in rows:
        _entry(feed, entry_key, row, prefix)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8") + b"\n"


def user_feed(label: str, directory: str, newest: list[dict[str, Any]]) -> bytes:
    """The newest additions to one collection (`recent`); `directory` is its folder under `u/`."""
    return _feed(f"{possessive(label)} record collection: new additions", directory, label, "./",
                 [(directory, row, "") for row in newest])


def wants_feed(label: str, directory: str, newest: list[dict[str, Any]]) -> bytes:
    """The newest wants of one collector (`recent` of wants.json), for friends who could help."""
    return _feed(f"{possessive(label)} wantlist: new wants", f"{directory}/wantlist", label, "./",
                 [(f"{directory}/wantlist", row, "") for row in newest])


def site_feed(collections: list[tuple[str, str, list[dict[str, Any]]]]) -> bytes:
    """The newest additions across (label, directory, newest items) of the public collectors."""
    rows = _dated([(directory, row, f"{label}: ") for label, directory, newest in collections for row in newest])
    rows.sort(key=lambda r: _instant(r[1]["date_added"]), reverse=True)
    return _feed("Record collections: new additions", "site", "Record collections", "./", rows[:FEED_SIZE])
