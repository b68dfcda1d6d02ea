"""Turn one run of whole `<master>` elements into cache rows, in C as far as possible.

A chunk is wrapped in a root element and parsed by lxml in one call; an XSLT stylesheet (libxslt) then
writes each master's id, title, year, genres, styles and main release as one line of text, split by
private-use characters that never occur in Discogs data. Both steps release the GIL, so chunks parse
in parallel threads; Python only splits strings. Should a field ever contain a separator, that chunk
is read element by element instead. Errors come back as values, with lines relative to the chunk.
"""

from __future__ import annotations

import json
import re
import threading

from lxml import etree

Row = tuple[int, str, int, str, str, int | None]  # id, title, year, genres JSON, styles JSON, main_release
FIELD, ITEM, RECORD = "\ue000", "\ue001", "\ue002"
_STYLESHEET = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/*"><xsl:for-each select="master"><xsl:value-of select="@id"/>{FIELD}<xsl:value-of
select="title"/>{FIELD}<xsl:value-of select="year"/>{FIELD}<xsl:for-each select="genres/genre"><xsl:value-of
select="."/>{ITEM}</xsl:for-each>{FIELD}<xsl:for-each select="styles/style"><xsl:value-of
select="."/>{ITEM}</xsl:for-each>{FIELD}<xsl:value-of select="main_release"/>{RECORD}</xsl:for-each></xsl:template>
</xsl:stylesheet>"""
_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')
_local = threading.local()


def _tools() -> tuple[etree.XMLParser, etree.XSLT]:
    """One parser and one transform per thread: lxml does not share them safely between threads."""
    tools = getattr(_local, "tools", None)
    if tools is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        tools = _local.tools = (parser, etree.XSLT(etree.XML(_STYLESHEET.encode())))
    return tools


def _number(text: str | None) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() else 0


def _json_list(items: list[str]) -> str:
    names = [s for s in (item.strip() for item in items) if s]
    joined = '","'.join(names)
    # Genre and style names are plain text; json.dumps only for the odd one with quotes or controls.
    return f'["{joined}"]' if names and _PLAIN.fullmatch(joined) else json.dumps(names, ensure_ascii=False)


def parse_chunk(prefix: bytes, chunk: bytes) -> tuple[list[Row], int, tuple[int, int, str] | None]:
    """(rows, masters without a numeric id, error as (line in chunk, column, message) or None)."""
    parser, transform = _tools()
    try:
        root = etree.fromstring(prefix + chunk + b"</masters>", parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        # libxml2 ends its message with the position inside this chunk; the reader gives the file's.
        return [], 0, (line, column, re.sub(r",? line \d+, column \d+$", "", exc.msg))
    text = str(transform(root))
    records = text.split(RECORD)[:-1]
    if len(records) != sum(1 for _ in root.iterchildren("master")) or text.count(FIELD) != 5 * len(records):
        return _by_element(root)
    rows: list[Row] = []
    skipped = 0
    for record in records:
        identifier, title, year, genres, styles, main_release = record.split(FIELD)
        if not identifier.isdigit():
            skipped += 1
            continue
        rows.append((int(identifier), title.strip(), _number(year), _json_list(genres.split(ITEM)[:-1]),
                     _json_list(styles.split(ITEM)[:-1]), _number(main_release) or None))
    return rows, skipped, None


def _by_element(root) -> tuple[list[Row], int, None]:
    rows: list[Row] = []
    skipped = 0
    for element in root.iterchildren("master"):
        identifier = element.get("id", "")
        if not identifier.isdigit():
            skipped += 1
            continue
        rows.append((int(identifier), (element.findtext("title") or "").strip(), _number(element.findtext("year")),
                     _json_list([g.text or "" for g in element.iterfind("genres/genre")]),
                     _json_list([s.text or "" for s in element.iterfind("styles/style")]),
                     _number(element.findtext("main_release")) or None))
    return rows, skipped, None
