"""`discogs-site connect`: the OAuth 1.0a dance (or a personal token), checked against users.yaml, into the vault.

Nothing is stored unless Discogs confirms, through `/oauth/identity`, that the tokens belong to the
account the registry names: a person who signs in with the wrong account gets a clear refusal.
"""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from pipeline import config
from pipeline.accounts.credentials import Consumer, Credentials, OAuthToken, PersonalToken
from pipeline.accounts.registry import User
from pipeline.accounts.vault import Vault
from pipeline.discogs.client import DiscogsClient, oauth1_auth
from pipeline.discogs.records import Identity
from pipeline.errors import SiteError

CALLBACK_PATH = "/discogs-site/callback"
_DONE_PAGE = (b"<!doctype html><meta charset=utf-8><title>discogs-site</title>"
              b"<p>Done. You can close this tab and return to the terminal.</p>")


class ConnectError(SiteError):
    """The connect flow stopped; nothing was written to the vault."""


@dataclass
class _Callback:
    token: str | None = None
    verifier: str | None = None
    denied: bool = False


class CallbackServer:
    """A one-shot HTTP server on 127.0.0.1 that receives Discogs' redirect after the person answers.

    Only a redirect carrying the pending request token counts: anything else on the port (a scanner,
    a stale tab, another program) is answered 404 and ignored. Each connection gets a few seconds to
    send its request, and connections are served on daemon threads, so an idle one can neither block
    the real callback nor keep the command from exiting.
    """

    IDLE_SECONDS = 5.0

    def __init__(self, port: int = 0) -> None:
        self.result = _Callback()
        self.received = threading.Event()
        self.expected: str | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            timeout = self.IDLE_SECONDS

            def log_message(self, format: str, *args: object) -> None:  # keeps the verifier out of stderr
                return

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                token = query.get("oauth_token") or query.get("denied")  # a denial names the token as `denied`
                if parts.path != CALLBACK_PATH or outer.expected is None or token != outer.expected \
                        or outer.received.is_set():
                    self.send_error(404)
                    return
                outer.result = _Callback(token, query.get("oauth_verifier"),
                                         denied="denied" in query or "oauth_verifier" not in query)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(_DONE_PAGE)))
                self.end_headers()
                self.wfile.write(_DONE_PAGE)
                outer.received.set()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{CALLBACK_PATH}"

    def expect(self, token: str) -> None:
        """The request token whose redirect this server waits for."""
        self.expected = token

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def wait(self, timeout: float) -> _Callback:
        if not self.received.wait(timeout):
            raise ConnectError(f"no answer from Discogs within {timeout:g} s; run connect again")
        return self.result


def connect_oauth(
    user: User,
    vault: Vault,
    consumer: Consumer,
    *,
    show: Callable[[str], None] = print,
    ask: Callable[[str], str] | None = None,
    open_browser: bool = True,
    callback_port: int = 0,
    timeout: float = 15 * 60,
    client_options: dict | None = None,
) -> Identity:
    """Run the OAuth 1.0a flow for `user` and store the access token; returns the confirmed identity.

    With `ask` set, the person pastes the verification code shown by Discogs (callback `oob`);
    otherwise a one-shot callback server on 127.0.0.1 receives it.
    """
    options = dict(client_options or {})
    with DiscogsClient(None, user=user.name, consumer=consumer, **options) as app:
        with CallbackServer(callback_port) if ask is None else _NoServer() as server:
            callback = server.url if server else "oob"
            # Discogs documents GET for request_token; the answer is a form body.
            request = app.post_form("/oauth/request_token", oauth1_auth(consumer, callback_uri=callback),
                                    method="GET")
            token, secret = request["oauth_token"], request.get("oauth_token_secret", "")
            if server:
                server.expect(token)
            url = f"{config.authorize_url()}?{urlencode({'oauth_token': token})}"
            show(f"Open this page, sign in to Discogs as {user.discogs_username} and authorize the app:\n  {url}")
            if open_browser:
                webbrowser.open(url)
            if server:
                answer = server.wait(timeout)
                if answer.denied:
                    raise ConnectError(f"user {user.name!r}: authorization was denied on Discogs; nothing was stored")
                verifier = answer.verifier or ""
            else:
                verifier = ask("Verification code shown by Discogs: ").strip()
                if not verifier:
                    raise ConnectError(f"user {user.name!r}: no verification code given; nothing was stored")
        access = app.post_form("/oauth/access_token", oauth1_auth(consumer, token, secret, verifier=verifier))
    credentials = OAuthToken(access["oauth_token"], access.get("oauth_token_secret", ""))
    return store_if_owner(user, vault, credentials, consumer=consumer, client_options=options)


def connect_personal(user: User, vault: Vault, token: str, *, client_options: dict | None = None) -> Identity:
    """Store a personal access token after checking whose it is."""
    if not token.strip():
        raise ConnectError(f"user {user.name!r}: no personal access token on standard input; nothing was stored")
    return store_if_owner(user, vault, PersonalToken(token.strip()), client_options=client_options)


def store_if_owner(user: User, vault: Vault, credentials: Credentials, *, consumer: Consumer | None = None,
                   client_options: dict | None = None) -> Identity:
    with DiscogsClient(credentials, user=user.name, consumer=consumer, **(client_options or {})) as client:
        identity = client.identity()
    if identity.username.lower() != user.discogs_username.lower():
        raise ConnectError(
            f"user {user.name!r} (users.yaml line {user.line}) is Discogs account {user.discogs_username!r}, "
            f"but the tokens belong to {identity.username!r}; sign in with the right account. Nothing was stored"
        )
    vault.put(user.name, credentials, account=identity.username)
    return identity


class _NoServer:
    """Stands in for the callback server when the person pastes the code."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None
