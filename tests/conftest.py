"""Shared fixtures: an isolated environment per test and a fake Discogs API on a free loopback port."""

from __future__ import annotations

import logging
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline.accounts.credentials import PersonalToken
from pipeline.accounts.vault import Vault, generate_key
from pipeline.config import RateLimit
from pipeline.defs.resources import PipelineSettings
from pipeline.discogs.client import DiscogsClient
from pipeline.fakes.discogs import FakeDiscogs, generate_world, personal_token_for
from pipeline.runs.instance import open_instance
from tests.browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing, watch

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# Every token a test hands to the code; the session fails if any of them shows up in the run's log.
KNOWN_SECRETS: set[str] = set()

FAST = RateLimit(1000, 1.0)
logging.getLogger("filelock").setLevel(logging.INFO)  # a line per lock would drown the debug log


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test reads the operator's settings or shares a rate-limit window with another test."""
    for name in list(os.environ):
        if name.startswith("DISCOGS"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DISCOGS_RATELIMIT_DIR", str(tmp_path / "ratelimit"))
    monkeypatch.setenv("DISCOGS_SITE_KEY", generate_key())
    return tmp_path


@pytest.fixture
def world():
    return generate_world("alice:250,bob:40:private,carol:5")


@pytest.fixture
def fake(world):
    with FakeDiscogs(world, rate_limit=FAST.requests, window=FAST.seconds) as server:
        yield server


def personal(username: str) -> PersonalToken:
    token = personal_token_for(username)
    KNOWN_SECRETS.add(token)
    return PersonalToken(token)


@pytest.fixture
def client_for(fake):
    """A client for a world user with fast backoff, closed after the test."""
    made: list[DiscogsClient] = []

    def make(username: str = "alice", **options) -> DiscogsClient:
        options.setdefault("rate", FAST)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("backoff_max", 0.05)
        options.setdefault("timeout", 5)
        client = DiscogsClient(personal(username), user=username, api_url=fake.url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


# A registry of three users (public, unlisted, private) with tokens in a vault, for pipeline tests.
USERS = """users:
  - name: al
    discogs_username: alice
    visibility: public
  - name: ob
    discogs_username: obi
    visibility: unlisted
  - name: hid
    discogs_username: hidden-one
    visibility: private
"""


@pytest.fixture
def pipeline_world():
    return generate_world("alice:230,obi:120,hidden-one:30:private", catalog_size=600)


def register(root: Path, users_yaml: str, accounts: dict[str, str]) -> None:
    """`root/users.yaml` and `root/vault.json` holding each registered name's personal token."""
    (root / "users.yaml").write_text(users_yaml, encoding="utf-8")
    vault = Vault.open(root / "vault.json")
    for name, username in accounts.items():
        vault.put(name, personal(username), account=username)


def settings_for(root: Path, fake: FakeDiscogs, **changes: str) -> PipelineSettings:
    """Pipeline settings with everything under `root`, talking to `fake` at its (fast) rate."""
    return PipelineSettings.create(users_file=str(root / "users.yaml"), vault_file=str(root / "vault.json"),
                                   state_dir=str(root / "state"), output_dir=str(root / "output"),
                                   api_url=fake.url, rate_limit=f"{fake.window.limit}/{fake.window.window:g}",
                                   **changes)


@contextmanager
def built_site(root: Path, world, users_yaml: str, accounts: dict[str, str]):
    """`world` registered as `users_yaml` under `root`, served by a fast fake API and built once, every user
    ok: yields (world, fake, settings, instance)."""
    from pipeline.runs.build import build
    register(root, users_yaml, accounts)
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        settings = settings_for(root, fake)
        instance = open_instance(root / "dagster")
        outcomes, published = build(settings, instance=instance, report=lambda _: None)
        assert published and all(o.ok for o in outcomes), [o.error for o in outcomes]
        yield world, fake, settings, instance


def build_once(root: Path, world, users_yaml: str, accounts: dict[str, str]) -> list:
    """Build `world` registered as `users_yaml` under `root` for a module-scoped fixture (the environment
    cleared as `isolated_env` clears it per test), every user ok; returns the outcomes."""
    from pipeline.runs.build import build
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("DISCOGS")]:
            env.delenv(name)
        env.setenv("DISCOGS_SITE_KEY", generate_key())
        env.setenv("DISCOGS_RATELIMIT_DIR", str(root / "ratelimit"))
        register(root, users_yaml, accounts)
        with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
            outcomes, published = build(settings_for(root, fake), instance=open_instance(root / "dagster"),
                                        report=lambda _: None)
    assert published and all(o.ok for o in outcomes), [o.error for o in outcomes]
    return outcomes


CLI = [sys.executable, "-m", "pipeline.cli"]


def cli_env(settings: PipelineSettings, dagster_home: Path, **extra: str) -> dict[str, str]:
    """The environment in which a `discogs-site` process works on `settings` (registry, vault, state, output,
    the fake API at a fast rate) with Dagster's storage in `dagster_home`; `extra` wins."""
    return {**os.environ, "DISCOGS_SITE_USERS": settings.stores.users_file,
            "DISCOGS_SITE_VAULT": settings.stores.vault_file, "DISCOGS_SITE_STATE": settings.stores.state_dir,
            "DISCOGS_SITE_OUTPUT": settings.site.output_dir, "DISCOGS_API_URL": settings.discogs.api_url,
            "DISCOGS_RATE_LIMIT": "1000/1", "DAGSTER_HOME": str(dagster_home), **extra}


@pytest.fixture
def site(tmp_path, pipeline_world):
    register(tmp_path, USERS, {"al": "alice", "ob": "obi", "hid": "hidden-one"})
    with FakeDiscogs(pipeline_world, rate_limit=1000, window=1) as fake:
        yield settings_for(tmp_path, fake), fake, open_instance(tmp_path / "dagster")


def masters_of(world, username):
    return {i["basic_information"]["master_id"] for i in world.items(username)} - {0}


def found_share(world, username: str) -> float:
    """Coverage as a collector reads it, counted from the world: the share of the user's items with a master
    whose master the world has (answers 200), among the items with one."""
    with_master = [i["basic_information"]["master_id"] for i in world.items(username)
                   if i["basic_information"].get("master_id")]
    return sum(1 for m in with_master if m in world.masters) / len(with_master) if with_master else 1.0


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module."""
    if missing := chromium_missing():
        pytest.fail(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; the test fails if it logged an error or asked anything of a host but loopback."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.seen = watch(tab)
    yield tab
    context.close()
    assert tab.seen.errors == []
    assert tab.seen.escaped == [], "a request left loopback"


def served_root(server, prefix: str = "/") -> str:
    """The URL a `discogs-site serve` process prints once it listens (read from its standard output)."""
    while True:
        line = server.stdout.readline()
        assert line, "serve exited without printing its URL"
        found = re.search(rf"Open (http://127\.0\.0\.1:\d+{re.escape(prefix)})", line)
        if found:
            return found[1]


def _worker() -> str:
    """The pytest-xdist worker running this process ("" when the tests run in one process)."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def pytest_configure(config: pytest.Config) -> None:
    """Each worker logs to a file of its own; the controller starts from a clean slate."""
    if _worker():
        config.option.log_file = str(ARTIFACTS / f"pytest-{_worker()}.log")
    else:
        for stale in [*ARTIFACTS.glob("leak-*.txt"), *ARTIFACTS.glob("pytest-gw*.log")]:
            stale.unlink()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a token used by any test appears in the run's debug log.

    Each worker scans its own log for the tokens its tests used and leaves a note when it finds one;
    the controller (or the single process) fails the run on any note.
    """
    log = ARTIFACTS / (f"pytest-{_worker()}.log" if _worker() else "pytest.log")
    if log.exists() and KNOWN_SECRETS:
        text = log.read_text(encoding="utf-8", errors="replace")
        leaked = sorted(s for s in KNOWN_SECRETS if s in text)
        if leaked:
            (ARTIFACTS / f"leak-{_worker() or 'main'}.txt").write_text(f"{len(leaked)} token(s) in {log}\n")
    if not _worker():
        notes = sorted(ARTIFACTS.glob("leak-*.txt"))
        if notes:
            print("\nSECRET LEAK: " + "; ".join(n.read_text().strip() for n in notes))
            session.exitstatus = 1
