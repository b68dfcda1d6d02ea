"""The `discogs-site` command: argument parsing and wiring; the work happens in the modules it calls.

Exit codes: 0 success, 1 failure (a message naming the culprit on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys
from pathlib import Path

from pipeline import __version__, config
from pipeline.errors import ConfigError, SiteError


def _users(args: argparse.Namespace):
    from pipeline.registry import load_users

    return load_users(args.users)


def _user(args: argparse.Namespace):
    from pipeline.registry import find_user

    return find_user(_users(args), args.name, args.users)


def _vault(args: argparse.Namespace):
    from pipeline.vault import Vault

    return Vault.open(args.vault)


def cmd_connect(args: argparse.Namespace) -> int:
    from pipeline.discogs.credentials import consumer_from_env
    from pipeline.discogs.oauth import connect_oauth, connect_personal

    user = _user(args)
    vault = _vault(args)
    if args.personal_token:
        if sys.stdin.isatty():
            token = getpass.getpass(f"Personal access token for {user.discogs_username} (not echoed): ")
        else:
            token = sys.stdin.readline()
        identity = connect_personal(user, vault, token)
    else:
        consumer = consumer_from_env()
        ask = input if args.paste else None
        identity = connect_oauth(user, vault, consumer, ask=ask, open_browser=not args.no_browser,
                                 callback_port=args.callback_port)
    print(f"Connected {user.name!r} as Discogs user {identity.username}; tokens stored in {vault.path}")
    return 0


def cmd_disconnect(args: argparse.Namespace) -> int:
    user = _user(args)
    vault = _vault(args)
    if vault.remove(user.name):
        print(f"Removed the tokens of {user.name!r} from {vault.path}")
    else:
        print(f"{user.name!r} had no tokens in {vault.path}; nothing changed")
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from pipeline.vault import NEW_KEY_ENV, keys_from_env

    vault = _vault(args)
    new_keys = keys_from_env(NEW_KEY_ENV)
    count = vault.rotate(new_keys)
    print(f"Re-encrypted {count} entr{'y' if count == 1 else 'ies'} in {vault.path} under {NEW_KEY_ENV}.\n"
          f"Set DISCOGS_SITE_KEY to that key now (and in your CI secrets); the old key no longer opens the vault.")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from pipeline.vault import generate_key

    print(generate_key())
    return 0


def cmd_users_validate(args: argparse.Namespace) -> int:
    users = _users(args)
    print(f"{args.users}: {len(users)} user{'s' if len(users) != 1 else ''} OK")
    for user in users:
        print(f"  {user.name:<20} {user.visibility.value:<9} {user.discogs_username}")
    return 0


def cmd_fake_discogs(args: argparse.Namespace) -> int:
    from pipeline.discogs.fake import FakeDiscogs, generate_world, load_world
    from pipeline.discogs.fake.generator import SpecError
    from pipeline.discogs.fake.replay import ReplayError

    try:
        world = load_world(args.data) if args.data else generate_world(args.generate, seed=args.seed)
    except (SpecError, ReplayError) as exc:
        raise ConfigError(str(exc)) from None
    try:
        fake = FakeDiscogs(world, port=args.port, rate_limit=args.rate_limit, window=args.window,
                           latency=args.latency, dumps_dir=args.dumps)
    except OSError as exc:
        raise ConfigError(f"--port {args.port}: cannot listen on 127.0.0.1: {exc.strerror}") from None
    users = ", ".join(f"{u.username} ({len(u.items)} items{'' if u.collection_public else ', private'})"
                      for u in world.users.values())
    print(f"fake Discogs API on {fake.url} ({args.rate_limit} requests per {args.window:g} s)\n"
          f"  users: {users}\n  personal tokens: fake-token-<username>\n"
          f"  use it with: DISCOGS_API_URL={fake.url} DISCOGS_RATE_LIMIT={args.rate_limit}/{args.window:g}",
          flush=True)
    from pipeline.serve import stop_on_signals

    stop_on_signals()
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from pipeline.build import build
    from pipeline.build_display import build_display
    from pipeline.defs.resources import PipelineSettings

    overrides = {"users_file": str(args.users), "vault_file": str(args.vault)}
    if args.output:
        overrides["output_dir"] = str(args.output)
    if args.state:
        overrides["state_dir"] = str(args.state)
    settings = PipelineSettings.from_env(**overrides)
    with build_display() as say:
        outcomes, published = build(settings, args.user or None, report=say,
                                    dagster_log_level="DEBUG" if args.verbose else "CRITICAL")
    print(f"\n{'user':<20} {'result':<7} {'items':>6} {'added':>6} {'requests':>9} {'coverage':>9} {'seconds':>8}")
    for o in outcomes:
        m = o.metadata
        requests = int(m.get("collection.requests", 0) or 0) + int(m.get("master_enrichment.requests", 0) or 0)
        coverage = m.get("master_enrichment.coverage")
        print(f"{o.name:<20} {'ok' if o.ok else 'FAILED':<7} {m.get('collection.items', '–')!s:>6} "
              f"{m.get('collection.added', '–')!s:>6} {requests:>9} "
              f"{(f'{coverage:.0%}' if isinstance(coverage, float) else '–'):>9} {o.seconds:>8.1f}")
    print(f"site: {'published to ' + settings.output_dir if published else 'NOT published'}")
    return 0 if published and all(o.ok for o in outcomes) else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import run_demo

    return run_demo(args.output or config.output_dir(), keep=args.keep, serve=not args.no_serve, port=args.port)


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.defs.resources import PipelineSettings
    from pipeline.instance import open_instance
    from pipeline.status import collect, master_cache_summary

    settings = PipelineSettings.from_env(users_file=str(args.users), vault_file=str(args.vault))
    rows = collect(settings, open_instance(config.dagster_home(), read_only=True))
    header = ("user", "visibility", "connected", "items", "last synced", "coverage", "last error", "page")
    table = [header] + [(r.name, r.visibility, r.connected, r.items, r.last_synced, r.coverage,
                         r.last_error or "–", r.url) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    print(f"\n{master_cache_summary(settings)}")
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    from pipeline.state_seal import seal, unseal
    from pipeline.vault import keys_from_env

    keys = keys_from_env()
    state = Path(args.state or config.state_dir())
    if args.state_command == "seal":
        count = seal(state, args.archive, keys)
        print(f"Sealed {count} state file{'s' if count != 1 else ''} of {state} into {args.archive} (encrypted with "
              "DISCOGS_SITE_KEY)")
    else:
        count = unseal(args.archive, state, keys)
        print(f"Unsealed {count} state file{'s' if count != 1 else ''} from {args.archive} into {state}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.serve import serve_site

    output = Path(args.output or config.output_dir())
    if not (output / "index.html").is_file():
        raise ConfigError(f"{output}: no built site here; run `discogs-site build` (or `discogs-site demo`) first")
    serve_site(output, args.port, config.base_path())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="discogs-site", description=__doc__.splitlines()[0].rstrip(":"))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail (never tokens)")
    parser.add_argument("--users", type=Path, default=None, help="the registry (default: $DISCOGS_SITE_USERS "
                        "or users.yaml)")
    parser.add_argument("--vault", type=Path, default=None, help="the encrypted token file (default: "
                        "$DISCOGS_SITE_VAULT or vault.json)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("connect", help="connect a registered user's Discogs account (OAuth or personal token)")
    p.add_argument("name", help="the user's name in users.yaml")
    p.add_argument("--personal-token", action="store_true", help="read a personal access token from standard "
                   "input instead of running OAuth")
    p.add_argument("--paste", action="store_true", help="paste the verification code instead of receiving it "
                   "on a local callback server")
    p.add_argument("--no-browser", action="store_true", help="print the authorize URL without opening a browser")
    p.add_argument("--callback-port", type=int, default=0, help="port of the local callback server (default: any)")
    p.set_defaults(func=cmd_connect)

    p = sub.add_parser("disconnect", help="remove a user's tokens from the vault")
    p.add_argument("name", help="the user's name in users.yaml")
    p.set_defaults(func=cmd_disconnect)

    p = sub.add_parser("rotate-key", help="re-encrypt the vault under DISCOGS_SITE_NEW_KEY")
    p.set_defaults(func=cmd_rotate_key)

    p = sub.add_parser("keygen", help="print a new vault key")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("users", help="work with users.yaml")
    users_sub = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    v = users_sub.add_parser("validate", help="check users.yaml and list who is registered")
    v.set_defaults(func=cmd_users_validate)

    p = sub.add_parser("fake-discogs", help="serve a fake Discogs API on 127.0.0.1 (tests, benchmarks, demo)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free port; default 8765)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--data", type=Path, help="replay a directory of Discogs JSON responses")
    source.add_argument("--generate", default="collector:1500", metavar="SPEC",
                        help="generate users, e.g. alice:1500,bob:300:private (default collector:1500)")
    p.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    p.add_argument("--rate-limit", type=_positive_int, default=60, help="requests per window (default 60)")
    p.add_argument("--window", type=_positive_float, default=60.0, help="window in seconds (default 60)")
    p.add_argument("--latency", type=_positive_float, default=0.0, metavar="SECONDS",
                   help="delay every API answer by this much, like a network round trip (default 0)")
    p.add_argument("--dumps", type=Path, metavar="DIR", help="serve the masters dumps in DIR under /data/<year>/")
    p.set_defaults(func=cmd_fake_discogs)

    from pipeline.dump.commands import add_parser as add_masters_dump

    add_masters_dump(sub)

    p = sub.add_parser("build", help="sync, enrich, compute and render every user (or some), then publish")
    p.add_argument("--user", action="append", metavar="NAME", help="rebuild only this user (repeatable) and the index")
    p.add_argument("--output", type=Path, help="where the site goes (default: $DISCOGS_SITE_OUTPUT or output)")
    p.add_argument("--state", type=Path, help="pipeline state directory (default: $DISCOGS_SITE_STATE or .state)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("status", help="per user: connected, items, last sync, coverage, last error, page URL")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("state", help="seal the per-user state into an encrypted archive for a shared cache, or back")
    state_sub = p.add_subparsers(dest="state_command", required=True, metavar="ACTION")
    for action, text in (("seal", "encrypt collections, stats, staged pages and run storage into ARCHIVE"),
                         ("unseal", "replace them with what ARCHIVE holds")):
        a = state_sub.add_parser(action, help=text)
        a.add_argument("archive", type=Path, metavar="ARCHIVE")
        a.add_argument("--state", type=Path, help="pipeline state directory (default: $DISCOGS_SITE_STATE or .state)")
        a.set_defaults(func=cmd_state)

    p = sub.add_parser("serve", help="preview the built site on 127.0.0.1")
    p.add_argument("--output", type=Path, help="the built site (default: $DISCOGS_SITE_OUTPUT or output)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="run the demo against a generated fake Discogs world")
    p.add_argument("--keep", action="store_true", help="keep the temporary state directory")
    p.add_argument("--output", type=Path, help="where the site goes (default: $DISCOGS_SITE_OUTPUT or output)")
    p.add_argument("--no-serve", action="store_true", help="build the site and exit instead of serving it")
    p.add_argument("--port", type=int, default=8000, help="port to serve the site on (default 8000; 0: any)")
    p.set_defaults(func=cmd_demo)
    return parser


def _positive(kind: type, what: str):
    """An argparse type accepting numbers of `kind` above zero."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive {what}")
        return value
    return parse


_positive_int = _positive(int, "whole number")
_positive_float = _positive(float, "number")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # Dagster's storage migrations chatter at INFO on every new instance
        logging.getLogger("alembic").setLevel(logging.WARNING)
    os.umask(0o077)  # state, caches and logs are the operator's alone; a publish sets its own files' modes
    try:
        args.users = args.users or config.users_path()
        args.vault = args.vault or config.vault_path()
        return args.func(args)
    except SiteError as exc:
        print(f"discogs-site: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("discogs-site: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
