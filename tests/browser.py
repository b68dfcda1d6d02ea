"""Browser-test support: a built site served on loopback, and Debian's Chromium driven by Playwright.

Every request that would leave loopback is answered here: cover images from Discogs' image host get a
1-pixel PNG and are counted; anything else is refused and recorded, so a test can insist it never
happened. Console errors and uncaught exceptions are collected for the same reason.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.site.serve import site_server

CHROMIUM = "/usr/bin/chromium"
# The flags the machine notes give for a closed network: no background calls home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IMAGE_HOSTS = ("i.discogs.com", "img.discogs.com")
PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                      "0000000d49444154789c6360f8cfc0f01f0005000201a5f5b3a60000000049454e44ae426082")


@contextmanager
def serve(directory: Path, prefix: str = "/") -> Iterator[str]:
    """Serve `directory` at http://127.0.0.1:PORT<prefix> in a thread; yields that URL."""
    server = site_server(directory, 0, prefix)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Watch:
    """What a page did that a test may object to."""

    errors: list[str] = field(default_factory=list)
    covers: list[str] = field(default_factory=list)
    escaped: list[str] = field(default_factory=list)


def watch(page) -> Watch:
    seen = Watch()
    page.on("console", lambda message: message.type == "error" and seen.errors.append(message.text))
    page.on("pageerror", lambda error: seen.errors.append(f"uncaught: {error}"))

    def route(route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if host == "127.0.0.1":
            route.continue_()
        elif host in IMAGE_HOSTS:
            seen.covers.append(url)
            route.fulfill(body=PIXEL, content_type="image/png")
        else:
            seen.escaped.append(url)
            route.abort()

    page.route("**/*", route)
    return seen


def settled(page) -> None:
    """Wait until the list page has answered every change made so far: its worker asked, the rows drawn,
    the facets counted (the page marks <html data-busy> while any of it is under way)."""
    page.wait_for_selector("html:not([data-busy])", state="attached")


def chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`; .ci/run does)"
    return None
