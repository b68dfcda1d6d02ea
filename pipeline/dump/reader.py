"""Stream the masters of a dump file (gzip or plain XML) in constant memory, naming where a bad file breaks.

The file is decompressed a block at a time and cut after the last `</master>` of each block, so every
chunk holds whole masters. Chunks are parsed (`pipeline.dump.chunks`: lxml and libxslt, which let go of
the GIL) in a few threads, a few chunks in flight at once, and come back in file order as rows for the
cache; nothing else of the XML is kept. Parsing is most of an import's time, so two cores halve it.
A truncated or corrupt gzip stream and malformed XML raise `DumpError` naming the file, the line and
the byte offset reached in the file on disk.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from pipeline.discogs.records import Master
from pipeline.dump.chunks import Row, parse_chunk
from pipeline.errors import ConfigError

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 4 << 20                 # decompressed bytes per chunk
POOL_FROM_BYTES = 8 << 20       # smaller files are parsed by the calling thread alone
_ROOT = re.compile(rb"<masters(\s[^>]*)?>")
_END = re.compile(rb"\s*</masters>\s*")


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


class DumpReader:
    """Iterate a dump's rows (`batches()`) or masters; `offset` is how far into the file on disk it has got."""

    def __init__(self, path: Path, workers: int | None = None) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        if workers is None:
            workers = min(4, os.cpu_count() or 1) if self.size >= POOL_FROM_BYTES else 1
        self.workers = workers
        self.skipped = 0  # <master> elements without a numeric id
        self._counted: _Counted | None = None

    @property
    def offset(self) -> int:
        return self._counted.offset if self._counted else 0

    def __iter__(self) -> Iterator[Master]:
        for batch in self.batches():
            for i, title, year, genres, styles, main_release in batch:
                yield Master(i, title, year, tuple(json.loads(genres)), tuple(json.loads(styles)), main_release)

    def batches(self) -> Iterator[list[Row]]:
        """Rows (id, title, year, genres JSON, styles JSON, main release) in file order, a chunk at a time."""
        with self.path.open("rb") as raw:
            self._counted = _Counted(raw)
            stream = io.BufferedReader(self._counted, buffer_size=1 << 16)
            source = gzip.GzipFile(fileobj=stream) if stream.peek(2)[:2] == GZIP_MAGIC else stream
            try:
                yield from self._parsed(self._chunks(source))
            except EOFError:
                raise DumpError(f"{self.path}: truncated: the gzip stream stops at byte {self.offset:,} of "
                                f"{self.size:,} before its end marker; download the dump again") from None
            except (gzip.BadGzipFile, zlib.error) as exc:
                raise DumpError(f"{self.path}: corrupt gzip data near byte {self.offset:,}: {exc}") from None

    def _malformed(self, line: int, column: int, message: str, offset: int) -> DumpError:
        return DumpError(f"{self.path}: malformed XML at line {line:,}, column {column} (near byte {offset:,} of "
                         f"{self.size:,}): {message}")

    def _chunks(self, source: BinaryIO) -> Iterator[tuple[bytes, bytes, int, int]]:
        """(prefix, chunk of whole masters, the file line the chunk starts on, compressed offset)."""
        buffer, prefix, line = b"", None, 1
        while True:
            block = source.read(CHUNK)
            buffer += block
            if prefix is None:
                root = _ROOT.search(buffer)
                if root is None:
                    if not block or len(buffer) > CHUNK:
                        raise self._malformed(1, 0, "no <masters> root element: not a masters dump", self.offset)
                    continue
                # The declaration (encoding) and the root's start tag open every chunk's document.
                prefix = buffer[:root.start()].rstrip() + buffer[root.start():root.end()]
                line += buffer[:root.end()].count(b"\n")
                buffer = buffer[root.end():]
            cut = buffer.rfind(b"</master>")
            if cut >= 0:
                chunk, buffer = buffer[:cut + 9], buffer[cut + 9:]
                yield prefix, chunk, line, self.offset
                line += chunk.count(b"\n")
            if not block:
                break
            if len(buffer) > 16 * CHUNK:
                raise self._malformed(line, 0, "no </master> in 64 MB", self.offset)
        if not _END.fullmatch(buffer):
            lines = buffer.count(b"\n")
            raise self._malformed(line + lines, 0, "the file ends before </masters>: truncated or not a masters dump",
                                  self.offset)

    def _parsed(self, chunks: Iterator[tuple[bytes, bytes, int, int]]) -> Iterator[list[Row]]:
        if self.workers <= 1:
            for prefix, chunk, line, offset in chunks:
                yield self._checked(parse_chunk(prefix, chunk), line, offset)
            return
        with ThreadPoolExecutor(self.workers, thread_name_prefix="masters-dump") as pool:
            waiting: deque[tuple[Future, int, int]] = deque()
            for prefix, chunk, line, offset in chunks:
                waiting.append((pool.submit(parse_chunk, prefix, chunk), line, offset))
                if len(waiting) > 2 * self.workers:  # a few chunks in flight, never the whole file
                    future, first, at = waiting.popleft()
                    yield self._checked(future.result(), first, at)
            while waiting:
                future, first, at = waiting.popleft()
                yield self._checked(future.result(), first, at)

    def _checked(self, parsed, line: int, offset: int) -> list[Row]:
        rows, skipped, error = parsed
        if error is not None:
            error_line, column, message = error
            raise self._malformed(line + error_line - 1, column, message, offset)
        self.skipped += skipped
        return rows
