"""`discogs-site demo`: a generated fake Discogs world, three registered users, the whole pipeline, a site.

Everything it creates lives in a temporary directory (users.yaml, a vault under a throw-away key, a
generated masters dump) and the fake API runs in a child process that ends with the demo, so Ctrl-C
leaves nothing behind. The dump leaves a fifth of the masters out, as if they were newer than it, so
the build shows both paths: most masters from the dump, the rest through the API.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pipeline import config
from pipeline.build import build, open_instance
from pipeline.build_display import build_display
from pipeline.cli.tables import print_table
from pipeline.config import RateLimit
from pipeline.defs.resources import PipelineSettings
from pipeline.discogs.oauth import connect_personal
from pipeline.dump.update import update
from pipeline.fakes.discogs import generate_world, personal_token_for
from pipeline.fakes.discogs.process import FakeProcess
from pipeline.fakes.dumps import world_masters, write_dump
from pipeline.registry import Visibility, load_users
from pipeline.serve import serve_site
from pipeline.site.output_guard import check_output_dir
from pipeline.site.paths import page_path
from pipeline.vault import Vault, generate_key, parse_keys

# (site name, Discogs username, items, site visibility, Discogs collection public?)
DEMO_USERS = (
    ("vera", "vinyl-vera", 1500, "public", True),
    ("otto", "otto-digs", 300, "unlisted", True),
    ("pia", "pia-private", 50, "private", False),
)
DEMO_RATE = RateLimit(60, 2.0)  # a minute of Discogs' budget compressed into two seconds
DEMO_DUMP_LEAVES_OUT = 0.2


def write_demo_users(path: Path) -> None:
    lines = ["users:"]
    for name, username, _, visibility, _ in DEMO_USERS:
        lines += [f"  - name: {name}", f"    discogs_username: {username}", f"    visibility: {visibility}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_demo(output: Path, keep: bool = False, serve: bool = True, port: int = 8000) -> int:
    check_output_dir(output)  # before anything runs: the demo publishes there too
    spec = ",".join(f"{u}:{n}:{'public' if public else 'private'}" for _, u, n, _, public in DEMO_USERS)
    world = generate_world(spec)
    workdir = Path(tempfile.mkdtemp(prefix="discogs-site-demo-"))
    try:
        # The same world (same spec, same seed) served by a child process, as a real server would be.
        with FakeProcess(spec, rate_limit=DEMO_RATE.requests, window=DEMO_RATE.seconds,
                         dumps_dir=workdir / "dumps") as fake:
            print(f"Fake Discogs API: {fake.url} ({DEMO_RATE.requests} requests per {DEMO_RATE.seconds:g} s)")
            users_file = workdir / "users.yaml"
            write_demo_users(users_file)
            key = generate_key()
            vault = Vault(workdir / "vault.json", parse_keys(key, "demo key"), {})
            options = {"api_url": fake.url, "rate": DEMO_RATE}
            for user in load_users(users_file):
                connect_personal(user, vault, personal_token_for(user.discogs_username), client_options=options)
            print(f"Registered {len(DEMO_USERS)} users in {users_file}; tokens encrypted in {vault.path}\n")
            settings = PipelineSettings.create(users_file=str(users_file), vault_file=str(vault.path),
                                               state_dir=str(workdir / "state"), output_dir=str(output),
                                               api_url=fake.url, rate_limit=str(DEMO_RATE),
                                               site_url=f"http://127.0.0.1:{port}" if port else "")
            config.export("DISCOGS_SITE_KEY", key)  # the pipeline opens the vault itself
            started = time.monotonic()
            import_demo_dump(world, fake, workdir, settings)
            with build_display() as say:
                outcomes, published = build(settings, instance=open_instance(workdir / "dagster"), report=say)
            built = [u for u in load_users(users_file) if u.visibility is not Visibility.PRIVATE]
            rows = []
            for user, outcome in zip(built, outcomes, strict=True):
                m = outcome.metadata
                spent = int(m.get("collection.requests", 0)) + int(m.get("master_enrichment.requests", 0))
                rows.append((user.name, user.visibility.value, m.get("collection.items", 0), spent,
                             m.get("master_enrichment.masters_from_dump", 0),
                             m.get("master_enrichment.masters_from_api", 0), f"{outcome.seconds:.1f}"))
            print()
            print_table(("user", "visibility", "items", "API requests", "masters from the dump",
                         "masters from the API", "seconds"), rows,
                        numeric=("items", "API requests", "masters from the dump", "masters from the API", "seconds"))
            print(f"\nThe fake API served {fake.count()} requests in {time.monotonic() - started:.0f} s and answered "
                  f"{fake.count(status=429)} with 429.")
            if not published:
                return 1
            print(f"Site written to {output.resolve()}")
            if serve:
                pages = [(f"{u.label} ({u.visibility.value})", page_path(u))
                         for u in load_users(users_file) if u.visibility is not Visibility.PRIVATE]
                serve_site(output, port, pages=pages)
            return 0 if all(o.ok for o in outcomes) else 1
    finally:
        if keep:
            print(f"State kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def import_demo_dump(world, fake: FakeProcess, workdir: Path, settings: PipelineSettings) -> None:
    """Publish a generated masters dump on the fake server and import it the way operators do (`latest`)."""
    month = datetime.now(UTC).date().replace(day=1)
    write_dump(workdir / "dumps", month, world_masters(world, leave_out=DEMO_DUMP_LEAVES_OUT))
    config.export("DISCOGS_DUMP_URL", fake.url + "/data/{year}/discogs_{date}_masters.xml.gz")
    outcome = update("latest", settings.stores.master_cache_path)
    result = outcome.result
    print(f"Masters dump of {result.day}: {result.masters:,} masters imported in {result.seconds:.1f} s; "
          f"the API is left for masters newer than the dump.\n")
