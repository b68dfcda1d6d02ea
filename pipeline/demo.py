"""`discogs-site demo`: a generated fake Discogs world, three registered users, synced end to end.

Everything it creates lives in a temporary directory (users.yaml, a vault under a throw-away key) and
the fake API runs in this process, so Ctrl-C leaves nothing behind.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from pipeline.config import RateLimit
from pipeline.discogs.client import DiscogsClient
from pipeline.discogs.fake import FakeDiscogs, generate_world, personal_token_for
from pipeline.discogs.oauth import connect_personal
from pipeline.registry import load_users
from pipeline.vault import Vault, generate_key, parse_keys

# (site name, Discogs username, items, site visibility, Discogs collection public?)
DEMO_USERS = (
    ("vera", "vinyl-vera", 1500, "public", True),
    ("otto", "otto-digs", 300, "unlisted", True),
    ("pia", "pia-private", 50, "private", False),
)
DEMO_RATE = RateLimit(60, 2.0)  # a minute of Discogs' budget compressed into two seconds


def write_demo_users(path: Path) -> None:
    lines = ["users:"]
    for name, username, _, visibility, _ in DEMO_USERS:
        lines += [f"  - name: {name}", f"    discogs_username: {username}", f"    visibility: {visibility}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_demo(keep: bool = False) -> int:
    spec = ",".join(f"{u}:{n}:{'public' if public else 'private'}" for _, u, n, _, public in DEMO_USERS)
    world = generate_world(spec)
    workdir = Path(tempfile.mkdtemp(prefix="discogs-site-demo-"))
    try:
        with FakeDiscogs(world, rate_limit=DEMO_RATE.requests, window=DEMO_RATE.seconds) as fake:
            print(f"Fake Discogs API: {fake.url} ({DEMO_RATE.requests} requests per {DEMO_RATE.seconds:g} s)")
            users_file = workdir / "users.yaml"
            write_demo_users(users_file)
            vault = Vault(workdir / "vault.json", parse_keys(generate_key(), "demo key"), {})
            options = {"api_url": fake.url, "rate": DEMO_RATE}
            for user in load_users(users_file):
                connect_personal(user, vault, personal_token_for(user.discogs_username), client_options=options)
            print(f"Registered {len(DEMO_USERS)} users in {users_file}; tokens encrypted in {vault.path}\n")
            print(f"{'user':<8} {'visibility':<10} {'items':>6} {'masters':>8} {'requests':>9} {'seconds':>8}")
            for user in load_users(users_file):
                started = time.monotonic()
                with DiscogsClient(vault.get(user.name), user=user.name, **options) as client:
                    items = fetch_collection(client, user.discogs_username)
                    masters = {i["basic_information"].get("master_id") or 0 for i in items} - {0}
                    print(f"{user.name:<8} {user.visibility.value:<10} {len(items):>6} {len(masters):>8} "
                          f"{client.stats.requests:>9} {time.monotonic() - started:>8.1f}")
            print(f"\nThe fake API served {fake.count()} requests and answered {fake.count(status=429)} with 429.")
            print("Pipeline, statistics and the site build on this foundation; see README.md for what runs today.")
    finally:
        if keep:
            print(f"State kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def fetch_collection(client: DiscogsClient, username: str) -> list[dict]:
    """Every item of folder 0, 100 per page."""
    first = client.collection_page(username, 1)
    items = list(first.releases)
    for page in range(2, first.pages + 1):
        items.extend(client.collection_page(username, page).releases)
    return items
