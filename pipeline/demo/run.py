"""`discogs-site demo`: a generated fake Discogs world, four registered users, the whole pipeline, a site.

Everything it creates lives in one folder, `.demo/` by default (users.yaml, a vault under a
throw-away key, the state with Dagster's runs, a generated masters dump, and `demo.env` to open them
in `dagster dev`); the next demo run starts it afresh. The fake API runs in a child process that ends
with the demo. The dump leaves a fifth of the masters out, as if they were newer than it, so
the build shows both paths: most masters from the dump, the rest through the API.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

from pipeline import config
from pipeline.accounts.registry import Visibility, load_users
from pipeline.accounts.vault import Vault, generate_key, parse_keys
from pipeline.cli.tables import print_table
from pipeline.config import RateLimit
from pipeline.defs.resources import PipelineSettings
from pipeline.discogs.oauth import connect_personal
from pipeline.dump.update import update
from pipeline.errors import ConfigError
from pipeline.fakes.discogs import generate_world, personal_token_for
from pipeline.fakes.discogs.process import FakeProcess
from pipeline.fakes.dumps import world_masters, write_dump
from pipeline.runs.build import build, open_instance
from pipeline.runs.display import build_display
from pipeline.site.output_guard import check_output_dir
from pipeline.site.paths import page_path
from pipeline.site.serve import serve_site, site_server

# (site name, Discogs username, items, site visibility, Discogs collection public?)
DEMO_USERS = (
    ("vera", "vinyl-vera", 1500, "public", True),
    ("sam", "sam-spins", 250, "public", True),
    ("otto", "otto-digs", 300, "unlisted", True),
    ("pia", "pia-private", 50, "private", False),
)
DEMO_RATE = RateLimit(60, 2.0)  # a minute of Discogs' budget compressed into two seconds
DEFAULT_HOME = Path(".demo")
HOME_MARKER = ".discogs-site-demo"
DEMO_URL_SECRET = "discogs-site-demo"  # a fixed secret: the unlisted demo user's link survives a rerun
DEMO_DUMP_LEAVES_OUT = 0.2


# What vera chooses to publish besides (users.yaml `publish:`), so the demo shows every choice at work.
VERA_PUBLISHES = ["    publish:", "      folders: true", "      private_folders: [Box in the attic]",
                  "      fields: [Media Condition, Sleeve Condition]", "      value: true", "      wantlist: true"]


def write_demo_users(path: Path) -> None:
    lines = ["users:"]
    for name, username, _, visibility, _ in DEMO_USERS:
        lines += [f"  - name: {name}", f"    discogs_username: {username}", f"    visibility: {visibility}"]
        lines += VERA_PUBLISHES if name == "vera" else []
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def prepare_home(home: Path) -> Path:
    """`home` emptied for a new run: made when missing, cleared when an earlier demo made it, refused otherwise."""
    home = home.resolve()
    if home.exists():
        if (home / HOME_MARKER).is_file():
            shutil.rmtree(home)
        elif not home.is_dir() or any(home.iterdir()):
            raise ConfigError(f"{home}: not made by `discogs-site demo` and not empty; nothing was changed "
                              "(choose another folder with --home)")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    (home / HOME_MARKER).write_text("made by `discogs-site demo`; the next demo run deletes and remakes it\n")
    return home


def write_env(home: Path, settings: PipelineSettings, key: str) -> Path:
    """`<home>/demo.env`: the variables under which `dagster dev` (or `make demo-ui`) shows the demo's runs."""
    stores = settings.stores
    values = {"DISCOGS_SITE_USERS": stores.users_file, "DISCOGS_SITE_VAULT": stores.vault_file,
              "DISCOGS_SITE_STATE": stores.state_dir, "DAGSTER_HOME": str(stores.dagster_home),
              "DISCOGS_SITE_OUTPUT": str(Path(settings.site.output_dir).resolve()),
              "DISCOGS_SITE_KEY": key, "DISCOGS_SITE_URL_SECRET": DEMO_URL_SECRET,
              "DISCOGS_API_URL": settings.discogs.api_url, "DISCOGS_RATE_LIMIT": settings.discogs.rate_limit}
    path = home / "demo.env"
    path.write_text("# The demo's settings (a throw-away key for fake tokens). Load with: set -a; . " + str(path)
                    + "; set +a\n" + "".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    return path


def _bind(output: Path, port: int) -> ThreadingHTTPServer:
    try:
        return site_server(output, port)
    except OSError as exc:
        raise ConfigError(f"port {port} on 127.0.0.1 is taken ({exc.strerror}); nothing was built. Choose "
                          "another: `make demo PORT=8080` or `discogs-site demo --port 8080`") from None


def run_demo(output: Path, home: Path = DEFAULT_HOME, serve: bool = True, port: int = 8000) -> int:
    check_output_dir(output)  # before anything runs: the demo publishes there too
    server = _bind(output, port) if serve else None  # a taken port fails now, not after the build
    try:
        return _run(output, prepare_home(home), server)
    finally:
        if server is not None:
            server.server_close()


def _run(output: Path, home: Path, server: ThreadingHTTPServer | None) -> int:
    spec = ",".join(f"{u}:{n}:{'public' if public else 'private'}" for _, u, n, _, public in DEMO_USERS)
    # No image URLs: Discogs' image host is not reachable from the demo, so the site draws every cover.
    world = generate_world(spec, images=False)
    port = server.server_address[1] if server else 0
    # The same world (same spec, same seed) served by a child process, as a real server would be.
    with FakeProcess(spec, rate_limit=DEMO_RATE.requests, window=DEMO_RATE.seconds, dumps_dir=home / "dumps",
                     images=False) as fake:
        print(f"Fake Discogs API: {fake.url} ({DEMO_RATE.requests} requests per {DEMO_RATE.seconds:g} s)")
        users_file = home / "users.yaml"
        write_demo_users(users_file)
        key = generate_key()
        vault = Vault(home / "vault.json", parse_keys(key, "demo key"), {})
        options = {"api_url": fake.url, "rate": DEMO_RATE}
        for user in load_users(users_file):
            connect_personal(user, vault, personal_token_for(user.discogs_username), client_options=options)
        print(f"Registered {len(DEMO_USERS)} users in {users_file}; tokens encrypted in {vault.path}\n")
        # The demo's runs go to its own Dagster home, whatever DAGSTER_HOME the shell has.
        config.export("DAGSTER_HOME", str(home / "state" / "dagster"))
        settings = PipelineSettings.create(users_file=str(users_file), vault_file=str(vault.path),
                                           state_dir=str(home / "state"), output_dir=str(output),
                                           api_url=fake.url, rate_limit=str(DEMO_RATE),
                                           site_url=f"http://127.0.0.1:{port}" if port else "")
        config.export("DISCOGS_SITE_KEY", key)  # the pipeline opens the vault itself
        config.export("DISCOGS_SITE_URL_SECRET", DEMO_URL_SECRET)  # the unlisted user's URL is the same every run
        write_env(home, settings, key)
        started = time.monotonic()
        import_demo_dump(world, fake, home, settings)
        with build_display() as say:
            outcomes, published = build(settings, instance=open_instance(settings.stores.dagster_home), report=say)
        built = [u for u in load_users(users_file) if u.visibility is not Visibility.PRIVATE]
        rows = []
        for user, outcome in zip(built, outcomes, strict=True):
            m = outcome.metadata
            spent = int(m.get("collection.requests", 0)) + int(m.get("master_enrichment.requests", 0))
            fetched = int(m.get("master_enrichment.masters_fetched", 0))
            # The shared cache: masters an earlier user's run fetched cost this user nothing.
            before = max(0, int(m.get("master_enrichment.masters_from_api", 0)) - fetched)
            rows.append((user.name, user.visibility.value, m.get("collection.items", 0), m.get("collection.skipped", 0),
                         spent,
                         m.get("master_enrichment.masters_from_dump", 0), fetched, before, f"{outcome.seconds:.1f}"))
        print()
        columns = ("items", "skipped", "API requests", "masters from the dump", "masters fetched now",
                   "masters fetched for an earlier user", "seconds")
        print_table(("user", "visibility", *columns), rows, numeric=columns)
        print(f"\nThe fake API served {fake.count()} requests in {time.monotonic() - started:.0f} s and answered "
              f"{fake.count(status=429)} with 429.")
        if not published:
            return 1
        print(f"Site written to {output.resolve()}")
        print(f"The demo's registry, vault, state and Dagster runs stay in {home} (see {home}/demo.env).")
        if server is not None:
            pages = [(f"{u.label} ({u.visibility.value})", page_path(u))
                     for u in load_users(users_file) if u.visibility is not Visibility.PRIVATE]
            serve_site(output, port, pages=pages, server=server, hint=f"Operators: `make demo-ui` (or `set -a; . "
                       f"{home}/demo.env; set +a; dagster dev`) shows the demo's runs in the Dagster UI.")
        return 0 if all(o.ok for o in outcomes) else 1


def import_demo_dump(world, fake: FakeProcess, workdir: Path, settings: PipelineSettings) -> None:
    """Publish a generated masters dump on the fake server and import it the way operators do (`latest`)."""
    month = datetime.now(UTC).date().replace(day=1)
    write_dump(workdir / "dumps", month, world_masters(world, leave_out=DEMO_DUMP_LEAVES_OUT))
    config.export("DISCOGS_DUMP_URL", fake.url + "/data/{year}/discogs_{date}_masters.xml.gz")
    outcome = update("latest", settings.stores.master_cache_path)
    result = outcome.result
    print(f"Masters dump of {result.day}: {result.masters:,} masters imported in {result.seconds:.1f} s; "
          f"the API is left for masters newer than the dump.\n")
