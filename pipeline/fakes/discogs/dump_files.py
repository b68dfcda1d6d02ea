"""Masters dumps served by the fake server the way Discogs' S3 bucket serves them: GET, HEAD and byte ranges.

Files live in one directory and are served under `/data/<year>/<name>`, so `DISCOGS_DUMP_URL` can point
at the fake with the real layout: `http://127.0.0.1:PORT/data/{year}/discogs_{date}_masters.xml.gz`.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

_PATH = re.compile(r"/data/\d{4}/(?P<name>discogs_\d{8}_[A-Za-z]+\.(?:xml\.gz|txt))")


def serve_dump_file(handler: BaseHTTPRequestHandler, directory: Path | None, path: str, method: str,
                    note: Callable[[int], None]) -> int:
    """Answer one request for a dump file; returns the status sent.

    `note` logs the request before the first byte goes out, so a client that has its answer always
    finds its request in the log.
    """
    found = _PATH.fullmatch(path)
    file = directory / found["name"] if directory and found else None
    if file is None or not file.is_file():
        return _reply(handler, 404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml", note)
    size = file.stat().st_size
    start = 0
    wanted = re.fullmatch(r"bytes=(\d+)-", handler.headers.get("Range", ""))
    if wanted:
        start = int(wanted[1])
        if start >= size:
            return _reply(handler, 416, b"", "application/xml", note, {"Content-Range": f"bytes */{size}"})
    status = 206 if wanted else 200
    note(status)
    handler.send_response(status)
    handler.send_header("Content-Type", "text/plain" if file.suffix == ".txt" else "application/x-gzip")
    handler.send_header("Content-Length", str(size - start))
    handler.send_header("Accept-Ranges", "bytes")
    if wanted:
        handler.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
    handler.end_headers()
    if method == "GET":
        with file.open("rb") as data:
            data.seek(start)
            try:
                shutil.copyfileobj(data, handler.wfile, 1 << 20)
            except (BrokenPipeError, ConnectionResetError):
                handler.close_connection = True
    return status


def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str, note: Callable[[int], None],
           headers: dict[str, str] | None = None) -> int:
    note(status)
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)
    return status
