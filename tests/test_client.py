"""The Discogs client over real HTTP against the fake API: pages, typed errors, retries, the limiter."""

from __future__ import annotations

import time

import pytest
import requests

from pipeline.config import RateLimit
from pipeline.discogs.client import DiscogsClient
from pipeline.discogs.errors import AuthError, MalformedResponseError, NotFoundError, TransientError
from pipeline.fakes.discogs import FakeDiscogs
from tests.conftest import personal


def test_identity_and_folder_counts(client_for):
    client = client_for("alice")
    assert client.identity().username == "alice"
    assert client.folder("alice", 0).count == 250
    assert [f.id for f in client.folders("alice")][:2] == [0, 1]


def test_pages_across_boundaries_return_every_instance_once(client_for, world):
    client = client_for("alice")
    first = client.collection_page("alice", 1, per_page=100, sort="added", sort_order="desc")
    assert (first.page, first.pages, first.items) == (1, 3, 250)
    ids = [i["instance_id"] for p in range(1, 4) for i in client.collection_page("alice", p).releases]
    assert sorted(ids) == sorted(i["instance_id"] for i in world.items("alice"))
    assert client.stats.requests == 4 and client.stats.retries == 0


def test_user_agent_names_the_project_and_who_runs_it(client_for, fake, monkeypatch):
    client_for("alice").identity()
    monkeypatch.setenv("DISCOGS_SITE_URL", "https://records.example.org")
    client_for("alice").identity()
    monkeypatch.setenv("DISCOGS_SITE_CONTACT", "mailto:ops@example.org")
    client_for("alice").identity()
    assert [r.user_agent for r in fake.requests()] == [
        "discogs-site/0.1.0", "discogs-site/0.1.0 +https://records.example.org",
        "discogs-site/0.1.0 +mailto:ops@example.org"]


def test_revoked_token_is_an_auth_error_naming_the_user(client_for, fake, world):
    world.revoke("alice")
    with pytest.raises(AuthError) as caught:
        client_for("alice").identity()
    assert caught.value.status == 401 and caught.value.user == "alice"
    assert "user 'alice'" in str(caught.value) and "discogs-site connect alice" in str(caught.value)
    assert "fake-token" not in str(caught.value)


def test_private_collection_of_someone_else_is_forbidden(client_for):
    with pytest.raises(AuthError) as caught:
        client_for("alice").collection_page("bob", 1)
    assert caught.value.status == 403


def test_deleted_master_is_not_found(client_for):
    with pytest.raises(NotFoundError, match="Master Release not found"):
        client_for("alice").master(1_000_017)


def test_master_parses_what_enrichment_needs(client_for, world):
    master_id, body = next(iter(world.masters.items()))
    master = client_for("alice").master(master_id)
    assert (master.id, master.year, list(master.genres), list(master.styles)) == (
        master_id, body["year"], body["genres"], body["styles"])


def test_5xx_burst_is_retried_with_backoff(client_for, fake):
    fake.inject("error", count=3, path="/folders/0$", status=503)
    client = client_for("alice")
    assert client.folder("alice", 0).count == 250
    assert (client.stats.requests, client.stats.retries) == (4, 3)
    assert fake.count("/users/alice/collection/folders/0", status=503) == 3


def test_retries_run_out_as_a_transient_error(client_for, fake):
    fake.inject("error", count=10, status=500)
    with pytest.raises(TransientError, match=r"gave up after 3 attempts; last: HTTP 500") as caught:
        client_for("alice", max_attempts=3).identity()
    assert caught.value.user == "alice"


def test_retry_after_is_a_floor_for_the_wait(client_for, fake):
    fake.inject("ratelimit", count=1, retry_after=0.4)
    client = client_for("alice")
    client.identity()
    assert client.stats.rate_limited == 1
    assert client.stats.backoff_seconds >= 0.4


def test_a_retry_after_of_a_day_fails_fast_with_a_clear_error(client_for, fake):
    fake.inject("ratelimit", count=1, retry_after=86400)
    client = client_for("alice")
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"asking to wait 86400 s \(Retry-After\)"):
        client.identity()
    assert time.monotonic() - started < 5 and client.stats.requests == 1


def test_dropped_connections_and_slow_answers_are_retried(client_for, fake):
    fake.inject("drop", count=1)
    fake.inject("slow", count=1, delay=1.0)
    client = client_for("alice", timeout=0.3)
    assert client.identity().username == "alice"
    assert client.stats.retries == 2


def test_malformed_json_is_retried_then_reported(client_for, fake, world):
    fake.inject("malformed", count=1, path="/releases$")
    client = client_for("alice")
    assert len(client.collection_page("alice", 1).releases) == 100
    fake.inject("malformed", count=5, path="/masters/")
    with pytest.raises(MalformedResponseError, match="not valid JSON"):
        client_for("alice", max_attempts=2).master(next(iter(world.masters)))


def test_server_headers_tighten_the_local_budget(world, tmp_path):
    """Another tool on the same IP spent most of the window: we wait instead of collecting 429s."""
    with FakeDiscogs(world, rate_limit=10, window=2) as fake:
        for _ in range(8):  # a stranger's requests, invisible to our local window
            requests.get(fake.url + "/masters/1000001", timeout=5,
                         headers={"Authorization": "Discogs token=fake-token-carol"})
        client = DiscogsClient(personal("alice"), user="alice", api_url=fake.url, rate=RateLimit(10, 2),
                               backoff_base=0.01, backoff_max=0.05)
        for _ in range(6):
            client.identity()
        assert fake.count(status=429) == 0
        assert client.stats.limiter_wait_seconds > 0.5


def test_a_trickled_body_is_cut_off_at_the_request_deadline(client_for, fake, monkeypatch):
    """Every read of a trickled body is short, so the socket's timeout never fires; the deadline does."""
    monkeypatch.setenv("DISCOGS_REQUEST_DEADLINE", "1.5")
    client = client_for("alice", timeout=1)
    fake.inject("trickle", count=1, path="/oauth/identity", delay=0.5)  # slow, but within the deadline
    assert client.identity().username == "alice"
    fake.inject("trickle", count=1, path="/oauth/identity", delay=6.0)  # a piece every 60 ms for 6 s
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"user 'alice': GET /oauth/identity: the answer took more than "
                                             r"1\.5 s \(DISCOGS_REQUEST_DEADLINE\)") as caught:
        client.identity()
    assert time.monotonic() - started < 3.0
    assert caught.value.path == "/oauth/identity" and client.stats.requests == 2  # not tried again
    assert client.identity().username == "alice"  # the next answer, on a fresh connection, is read whole


def test_retry_waits_are_capped_per_client_across_its_requests(client_for, fake, monkeypatch):
    """`Retry-After` on every answer cannot hold a client for attempts x 300 s: its sleeps share one budget."""
    monkeypatch.setenv("DISCOGS_RETRY_BUDGET", "1")
    client = client_for("alice")
    fake.inject("ratelimit", count=2, retry_after=0.4)
    assert client.identity().username == "alice"  # 0.8 s of the budget slept
    fake.inject("ratelimit", count=5, retry_after=0.4)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"GET /oauth/identity: gave up after 1 attempts; last: HTTP 429 "
                                             r"\(rate limited\); this client has slept 0\.8 s before retries, and "
                                             r"1 s is all it may \(DISCOGS_RETRY_BUDGET\)") as caught:
        client.identity()
    assert time.monotonic() - started < 0.3, "slept on a Retry-After the budget could not pay"
    assert caught.value.status == 429 and client.stats.requests == 4
