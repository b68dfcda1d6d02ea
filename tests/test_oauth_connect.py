"""`connect`: the OAuth 1.0a dance end to end against the fake, refusals, and personal tokens."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
import requests

from pipeline.accounts.credentials import Consumer, OAuthToken, PersonalToken
from pipeline.accounts.registry import parse_users
from pipeline.accounts.vault import Vault
from pipeline.config import RateLimit
from pipeline.discogs.client import DiscogsClient
from pipeline.discogs.errors import AuthError
from pipeline.discogs.oauth import ConnectError, connect_oauth, connect_personal
from pipeline.fakes.discogs import FAKE_CONSUMER_KEY, FAKE_CONSUMER_SECRET, personal_token_for
from tests.conftest import KNOWN_SECRETS

CONSUMER = Consumer(FAKE_CONSUMER_KEY, FAKE_CONSUMER_SECRET)
KNOWN_SECRETS.add(FAKE_CONSUMER_SECRET)
USERS = parse_users("users:\n  - name: al\n    discogs_username: alice\n    visibility: public\n"
                    "  - name: cee\n    discogs_username: carol\n    visibility: unlisted\n")


@pytest.fixture
def vault(tmp_path):
    return Vault.open(tmp_path / "vault.json")


@pytest.fixture
def fake_env(fake, monkeypatch):
    monkeypatch.setenv("DISCOGS_API_URL", fake.url)
    monkeypatch.setenv("DISCOGS_RATE_LIMIT", "1000/1")
    return fake


def person(answer: str, sign_in_as: str):
    """Plays the person in the browser: opens the printed URL and approves or denies over HTTP."""
    done = threading.Event()

    def show(message: str) -> None:
        url = re.search(r"http://\S+", message)[0]
        page = requests.get(url, timeout=5)
        assert page.status_code == 200 and "<form" in page.text
        token = re.search(r'name="oauth_token" value="([^"]+)"', page.text)[1]
        # Discogs redirects to the callback; following it delivers the verifier to our one-shot server.
        requests.post(url.split("?")[0], data={"oauth_token": token, "username": sign_in_as, "action": answer},
                      timeout=5)
        done.set()

    return show


def test_oauth_connect_stores_working_tokens(fake_env, world, vault):
    identity = connect_oauth(USERS[0], vault, CONSUMER, show=person("approve", "alice"), open_browser=False,
                             timeout=10)
    assert identity.username == "alice"
    stored = Vault.open(vault.path).get("al")
    assert isinstance(stored, OAuthToken)
    KNOWN_SECRETS.update({stored.token, stored.secret})
    with DiscogsClient(stored, user="al", consumer=CONSUMER, api_url=fake_env.url, rate=RateLimit(1000, 1)) as c:
        assert c.collection_page("alice", 1).items == 250  # a signed request the fake verified
    paths = [s.path for s in fake_env.requests("/oauth/")]
    assert paths == ["/oauth/request_token", "/oauth/access_token", "/oauth/identity"]


def test_signing_in_with_another_account_is_refused(fake_env, vault):
    with pytest.raises(ConnectError, match=r"'al' \(users.yaml line 2\) is Discogs account 'alice', but the tokens "
                                           r"belong to 'carol'.*Nothing was stored"):
        connect_oauth(USERS[0], vault, CONSUMER, show=person("approve", "carol"), open_browser=False, timeout=10)
    assert not vault.path.exists()


def test_denied_authorization_stores_nothing(fake_env, vault):
    with pytest.raises(ConnectError, match="authorization was denied"):
        connect_oauth(USERS[0], vault, CONSUMER, show=person("deny", "alice"), open_browser=False, timeout=10)
    assert Vault.open(vault.path).names() == []
    assert fake_env.count("/oauth/access_token") == 0


def test_pasted_verification_code(fake_env, vault):
    shown = {}

    def show(message: str) -> None:
        url = re.search(r"http://\S+", message)[0]
        token = url.split("oauth_token=")[1]
        page = requests.post(url.split("?")[0], data={"oauth_token": token, "username": "carol",
                                                      "action": "approve"}, timeout=5)
        shown["code"] = re.search(r"verification code is (\w+)", page.text)[1]

    identity = connect_oauth(USERS[1], vault, CONSUMER, show=show, ask=lambda _: shown["code"],
                             open_browser=False)
    assert identity.username == "carol" and "cee" in Vault.open(vault.path)


def test_wrong_consumer_secret_fails_at_request_token(fake_env, vault):
    with pytest.raises(AuthError, match="POST|GET /oauth/request_token: HTTP 401"):
        connect_oauth(USERS[0], vault, Consumer(FAKE_CONSUMER_KEY, "wrong-secret"), show=print,
                      open_browser=False, timeout=5)


def test_personal_token_is_checked_then_stored(fake_env, vault):
    token = personal_token_for("alice")
    KNOWN_SECRETS.add(token)
    assert connect_personal(USERS[0], vault, token + "\n").username == "alice"
    assert Vault.open(vault.path).get("al") == PersonalToken(token)
    with pytest.raises(ConnectError, match="belong to 'carol'"):
        connect_personal(USERS[0], vault, personal_token_for("carol"))
    with pytest.raises(AuthError, match="HTTP 401"):
        connect_personal(USERS[1], vault, "not-a-real-token")
    assert Vault.open(vault.path).names() == ["al"]


def test_the_callback_server_ignores_strangers_and_idle_connections_and_exits_promptly(fake_env, vault):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    approve = person("approve", "alice")
    idle: list[socket.socket] = []

    def show(message: str) -> None:
        idle.append(socket.create_connection(("127.0.0.1", port)))  # connects and never says a word
        stranger = requests.get(f"http://127.0.0.1:{port}/discogs-site/callback",
                                params={"oauth_token": "someone-else", "oauth_verifier": "x"}, timeout=5)
        assert stranger.status_code == 404
        approve(message)

    started = time.monotonic()
    identity = connect_oauth(USERS[0], vault, CONSUMER, show=show, open_browser=False, timeout=10,
                             callback_port=port)
    assert identity.username == "alice" and time.monotonic() - started < 4
    assert Vault.open(vault.path).account("al") == "alice"
    for connection in idle:
        connection.close()
