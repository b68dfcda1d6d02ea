"""Stream the masters of a dump file (gzip or plain XML) in constant memory, naming where a bad file breaks.

lxml's `iterparse` reads the file a block at a time and hands over each finished `<master>`, which is
turned into a record and cleared at once, along with the finished masters before it, so memory stays
flat however big the file. (lxml, not ElementTree: building each master in C and filtering on the tag
there is twice as fast on the dump, which is most of the import time.) A truncated or corrupt gzip
stream and malformed XML raise `DumpError` with the byte offset reached in the file on disk.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from pipeline.discogs.records import Master
from pipeline.errors import ConfigError

GZIP_MAGIC = b"\x1f\x8b"


class DumpError(ConfigError):
    """A dump file that cannot be read to its end; the message names the file and where it broke."""


class _Counted(io.RawIOBase):
    """A read-only file that remembers how many bytes were taken from it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.offset = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        read = self.raw.readinto(buffer)
        self.offset += read or 0
        return read


def _number(text: str | None) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() else 0


def _names(element) -> tuple[str, ...]:
    return tuple(t for t in ((child.text or "").strip() for child in element) if t)


def _master(element) -> Master | None:
    identifier = element.get("id", "")
    if not identifier.isdigit():
        return None
    fields = {"title": "", "year": 0, "genres": (), "styles": (), "main_release": None}
    for child in element:  # one pass over the children: findtext per field costs twice as much
        tag = child.tag
        if tag == "title":
            fields["title"] = (child.text or "").strip()
        elif tag == "year":
            fields["year"] = _number(child.text)
        elif tag == "genres" or tag == "styles":
            fields[tag] = _names(child)
        elif tag == "main_release":
            fields["main_release"] = _number(child.text) or None
    return Master(id=int(identifier), **fields)


class DumpReader:
    """Iterate a dump's masters; `offset` is how far into the file on disk the reader has got."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self.skipped: list[str] = []  # elements that are not a master with a numeric id
        self._counted: _Counted | None = None

    @property
    def offset(self) -> int:
        return self._counted.offset if self._counted else 0

    def __iter__(self) -> Iterator[Master]:
        with self.path.open("rb") as raw:
            self._counted = _Counted(raw)
            stream = io.BufferedReader(self._counted, buffer_size=1 << 16)
            compressed = stream.peek(2)[:2] == GZIP_MAGIC
            source = gzip.GzipFile(fileobj=stream) if compressed else stream
            try:
                yield from self._parse(source)
            except EOFError:
                raise DumpError(f"{self.path}: truncated: the gzip stream stops at byte {self.offset:,} of "
                                f"{self.size:,} before its end marker; download the dump again") from None
            except (gzip.BadGzipFile, zlib.error) as exc:
                raise DumpError(f"{self.path}: corrupt gzip data near byte {self.offset:,}: {exc}") from None
            except etree.XMLSyntaxError as exc:
                line, column = exc.position
                raise DumpError(f"{self.path}: malformed XML at line {line:,}, column {column} (near byte "
                                f"{self.offset:,} of {self.size:,}): {exc.msg}") from None

    def _parse(self, source: BinaryIO) -> Iterator[Master]:
        # No entity expansion and no network: a dump is data, never instructions to fetch more.
        for _, element in etree.iterparse(source, events=("end",), tag="master", resolve_entities=False,
                                          no_network=True, huge_tree=True):
            master = _master(element)
            if master is None:
                self.skipped.append(f"a <master> without a numeric id near byte {self.offset:,}")
            else:
                yield master
            element.clear(keep_tail=True)
            while element.getprevious() is not None:  # finished masters the root still holds
                del element.getparent()[0]
