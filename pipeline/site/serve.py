"""Previewing a built site on 127.0.0.1, mounted at its base path and answering misses with its 404 page.

Like a well-configured static host it never lists a directory (a listing of `u/` would reveal unlisted
users' paths), never serves hidden files and never follows a symbolic link out of the site.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _within(path: Path, site: Path) -> bool:
    """Whether `path`, its symbolic links followed, is still inside `site`: a link out of it is not the site."""
    return path.resolve().is_relative_to(site.resolve())


class SiteHandler(SimpleHTTPRequestHandler):
    prefix = "/"

    def log_message(self, format: str, *args: object) -> None:
        return

    def translate_path(self, path: str) -> str:
        # Mounted under `prefix`, as a GitHub Pages project site lives under /<repo>/.
        outside = str(Path(self.directory) / "__outside_the_site__")
        if not path.startswith(self.prefix):
            return outside
        translated = super().translate_path("/" + path[len(self.prefix):])
        if any(part.startswith(".") for part in Path(translated).relative_to(self.directory).parts):
            return outside
        # A folder is answered with its index.html, opened without coming back here: check that too.
        asked = Path(translated)
        served = [asked, *(asked / name for name in ("index.html", "index.htm") if asked.is_dir())]
        if not all(_within(p, Path(self.directory)) for p in served):
            return outside
        return translated

    def list_directory(self, path: str):
        self.send_error(404)
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file() or not _within(page, Path(self.directory)):
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()  # what static hosts do with a site's own 404.html
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SiteServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # A reader who navigates away mid-download (a big releases.json) is no error worth a stack trace.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def site_server(output: Path, port: int = 0, prefix: str = "/") -> ThreadingHTTPServer:
    """A server (not yet serving) for `output` at http://127.0.0.1:PORT<prefix>."""
    handler = type("Handler", (SiteHandler,), {"prefix": prefix})
    return SiteServer(("127.0.0.1", port), functools.partial(handler, directory=str(output)))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM end the process cleanly, even when it started with SIGINT ignored (`cmd &`)."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def serve_site(output: Path, port: int, prefix: str = "/", pages: list[tuple[str, str]] = (), *,
               server: ThreadingHTTPServer | None = None,
               hint: str = "Operators: `dagster dev` in the repository root shows the pipeline.") -> None:
    """Serve until Ctrl-C, printing where to look; `pages` are (label, path under the site) pairs.

    `server`, bound earlier by the caller (the demo checks its port before building), is used as is."""
    stop_on_signals()
    with server or site_server(output, port, prefix) as httpd:
        root = f"http://127.0.0.1:{httpd.server_address[1]}{prefix}"
        lines = [f"\nOpen {root} (Ctrl-C stops)"] + [f"  {label}: {root}{path}" for label, path in pages]
        print("\n".join(lines) + "\n" + hint, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            httpd.serve_forever()
