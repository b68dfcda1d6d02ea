"""The fake Discogs API's HTTP server: authentication, the per-IP rate limit, faults, the request log.

Start it in-process with `FakeDiscogs(world).start()` (a free loopback port is chosen) or from the
command line with `discogs-site fake-discogs`. Besides Discogs' endpoints it answers a few control
endpoints under `/_fake/` (never rate-limited or logged) so a test or benchmark in another process can
read the request log, arm faults, revoke tokens and add records.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pipeline.fakes.discogs.api import MUST_AUTHENTICATE, Answer, FakeApi, error
from pipeline.fakes.discogs.authorize_page import authorize
from pipeline.fakes.discogs.dump_files import serve_dump_file
from pipeline.fakes.discogs.faults import Fault, Faults
from pipeline.fakes.discogs.generator import add_generated_items
from pipeline.fakes.discogs.oauth_server import OAuthServer
from pipeline.fakes.discogs.world import World

TOO_FAST = "You are making requests too quickly."
TRICKLE_PIECES = 100  # a trickled body goes out in this many writes
UNAUTHENTICATED_SHARE = 25 / 60  # Discogs: 25 unauthenticated vs 60 authenticated requests per minute


@dataclass(frozen=True)
class Served:
    """One request the fake answered, stamped when it arrived (status 0: dropped on purpose)."""

    at: float
    method: str
    path: str
    query: str
    status: int
    user: str | None
    client: str
    user_agent: str = ""


class MovingWindow:
    """Discogs' moving-window limit per client IP; a window with no requests resets."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, client: str, limit: int) -> tuple[bool, int]:
        """(admitted, used in the window afterwards). Refused requests do not count."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return False, len(hits)
            hits.append(now)
            return True, len(hits)


class FakeDiscogs:
    """A fake api.discogs.com on 127.0.0.1; use as a context manager or call start()/stop()."""

    def __init__(self, world: World, *, port: int = 0, rate_limit: int = 60, window: float = 60.0,
                 host: str = "127.0.0.1", latency: float = 0.0, dumps_dir: Path | None = None) -> None:
        self.world = world
        self.dumps_dir = Path(dumps_dir) if dumps_dir else None  # masters dumps served under /data/
        # Seconds every API answer waits before it is sent, standing in for the network and Discogs' own
        # work: pacing benchmarks compare clients that do or do not overlap it with their waiting.
        self.latency = latency
        self.api = FakeApi(world)
        self.oauth = OAuthServer(world)
        self.faults = Faults()
        self.window = MovingWindow(rate_limit, window)
        self.log: list[Served] = []
        self._log_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeDiscogs:
        # A short poll interval makes stop() quick; tests start and stop many servers.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-discogs", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeDiscogs:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- for tests and benchmarks ----------------------------------------------------------------

    def inject(self, kind: str, count: int = 1, path: str = "", **options: Any) -> None:
        self.faults.add(Fault(kind, count, path, **options))

    def requests(self, path_prefix: str = "") -> list[Served]:
        with self._log_lock:
            return [s for s in self.log if s.path.startswith(path_prefix)]

    def count(self, path_prefix: str = "", status: int | None = None) -> int:
        return sum(1 for s in self.requests(path_prefix) if status is None or s.status == status)

    def reset_log(self) -> None:
        with self._log_lock:
            self.log.clear()

    def record(self, served: Served) -> None:
        with self._log_lock:
            self.log.append(served)

    def authenticate(self, handler: BaseHTTPRequestHandler, uri: str, method: str, body: str,
                     query: dict[str, str]) -> tuple[str | None, bool]:
        """(username, credentials_presented). Bad credentials give (None, True)."""
        header = handler.headers.get("Authorization", "")
        if header.startswith("Discogs"):
            fields = dict(part.strip().split("=", 1) for part in header[len("Discogs"):].split(",") if "=" in part)
            return self.world.personal_tokens.get(fields.get("token", "")), True
        if header.startswith("OAuth"):
            return self.oauth.username_for(uri, method, body, dict(handler.headers)), True
        if "token" in query:
            return self.world.personal_tokens.get(query["token"]), True
        return None, False

    def unauthenticated_limit(self) -> int:
        return max(1, int(self.window.limit * UNAUTHENTICATED_SHARE))


def _json_bytes(body: Any) -> bytes:
    """UTF-8 JSON; text UTF-8 cannot carry (a lone surrogate in a replayed capture) goes out as a JSON escape."""
    try:
        return json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(body).encode()


def _handler_for(fake: FakeDiscogs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fake-discogs"

        def log_message(self, format: str, *args: Any) -> None:  # the request log replaces stderr noise
            return

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without this, Nagle's algorithm meets the client's
            # delayed ACK and every keep-alive response waits ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_HEAD(self) -> None:
            self._handle("HEAD")

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            if path.startswith("/_fake/"):
                self._send(_control(fake, method, path, body))
                return
            if path == "/oauth/authorize":
                status, headers, html = authorize(fake.world, method, query, body)
                self._send_raw(status, headers, html.encode(), "text/html; charset=utf-8")
                return
            arrived = time.time()
            client = self.client_address[0]
            if path.startswith("/data/"):  # the data dumps' bucket, not the API: no token, no rate limit
                fault = fake.faults.take(path)

                def note(status: int) -> None:
                    fake.record(Served(arrived, method, path, self.headers.get("Range", ""), status, None, client,
                                       self.headers.get("User-Agent", "")))

                if fault and fault.kind == "drop":
                    note(0)
                    self.close_connection = True
                else:
                    serve_dump_file(self, fake.dumps_dir, path, method, note)
                return
            base_url = f"http://{self.headers.get('Host', '127.0.0.1')}"
            fault = fake.faults.take(path)
            if fault and fault.kind == "drop":
                fake.record(Served(arrived, method, path, parts.query, 0, None, client))
                self.close_connection = True
                return
            if path in ("/oauth/request_token", "/oauth/access_token"):
                user, presented = None, True
            else:
                user, presented = fake.authenticate(self, base_url + self.path, method, body, query)
            limit = fake.window.limit if user else fake.unauthenticated_limit()
            admitted, used = fake.window.admit(client, limit)
            if fault and fault.kind == "slow":
                time.sleep(fault.delay)
            elif fake.latency:
                time.sleep(fake.latency)
            if not admitted or (fault and fault.kind == "ratelimit"):
                extra = {"Retry-After": f"{fault.retry_after:g}"} if fault and fault.retry_after else {}
                answer = error(429, TOO_FAST, **extra)
                used = limit
            elif fault and fault.kind == "error":
                answer = error(fault.status, "Something went wrong. Please try again later.")
            elif fault and fault.kind == "notfound":
                answer = error(404, "Master Release not found." if "/masters/" in path else "Not found.")
            elif path in ("/oauth/request_token", "/oauth/access_token"):
                answer = _oauth_exchange(fake, path, base_url + self.path, method, body, dict(self.headers))
            elif presented and user is None:
                answer = error(401, MUST_AUTHENTICATE)
            else:
                answer = fake.api.handle(path, query, user, base_url)
            answer.headers.update({"X-Discogs-Ratelimit": str(limit), "X-Discogs-Ratelimit-Used": str(used),
                                   "X-Discogs-Ratelimit-Remaining": str(max(0, limit - used))})
            fake.record(Served(arrived, method, path, parts.query, answer.status, user, client,
                               self.headers.get("User-Agent", "")))
            malformed = bool(fault and fault.kind == "malformed")
            trickle = fault.delay if fault and fault.kind == "trickle" else 0.0
            self._send(answer, malformed=malformed, trickle=trickle)

        def _send(self, answer: Answer, malformed: bool = False, trickle: float = 0.0) -> None:
            if isinstance(answer.body, str):
                payload, kind = answer.body.encode(), "application/x-www-form-urlencoded"
            else:
                payload, kind = _json_bytes(answer.body), "application/json"
            if malformed:
                payload = payload[: max(1, len(payload) // 2)]
            self._send_raw(answer.status, answer.headers, payload, kind, trickle)

        def _send_raw(self, status: int, headers: dict[str, str], payload: bytes, kind: str,
                      trickle: float = 0.0) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if trickle:
                    self._trickle(payload, trickle)
                else:
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout under a slow fault)

        def _trickle(self, payload: bytes, seconds: float) -> None:
            """The body in TRICKLE_PIECES writes spread over `seconds`: each piece leaves at once (wfile is
            unbuffered), so a client's every read is short however long the whole body takes."""
            piece = max(1, -(-len(payload) // TRICKLE_PIECES))
            for start in range(0, len(payload), piece):
                self.wfile.write(payload[start:start + piece])
                time.sleep(seconds * piece / len(payload))

    return Handler


def _oauth_exchange(fake: FakeDiscogs, path: str, uri: str, method: str, body: str,
                    headers: dict[str, str]) -> Answer:
    endpoint = fake.oauth.request_token if path.endswith("request_token") else fake.oauth.access_token
    create = (endpoint.create_request_token_response if path.endswith("request_token")
              else endpoint.create_access_token_response)
    out_headers, out_body, status = create(uri, http_method=method, body=body, headers=headers)
    return Answer(status, out_body or "", {k: v for k, v in (out_headers or {}).items() if k != "Content-Type"})


def _control(fake: FakeDiscogs, method: str, path: str, body: str) -> Answer:
    try:
        data = json.loads(body) if body else {}
    except json.JSONDecodeError:
        return error(400, "the control body is not JSON")
    if path == "/_fake/requests":
        if method == "DELETE":
            fake.reset_log()
            return Answer(200, {"ok": True})
        return Answer(200, {"requests": [asdict(s) for s in fake.requests()]})
    if path == "/_fake/faults":
        if method == "DELETE":
            fake.faults.clear()
            return Answer(200, {"ok": True})
        if method == "POST":
            try:
                fake.faults.add(Fault.from_dict(data))
            except (TypeError, ValueError) as exc:
                return error(400, f"bad fault: {exc}")
        return Answer(200, {"faults": fake.faults.pending()})
    if path == "/_fake/revoke" and method == "POST":
        return Answer(200, {"revoked": fake.world.revoke(str(data.get("username", "")))})
    if path == "/_fake/add" and method == "POST":
        if fake.world.catalog is None or fake.world.user(str(data.get("username", ""))) is None:
            return error(400, "adding records needs a generated world and a known username")
        added = add_generated_items(fake.world, data["username"], int(data.get("count", 1)))
        return Answer(200, {"added": [item["instance_id"] for item in added]})
    return error(404, f"no control endpoint {method} {path}")
