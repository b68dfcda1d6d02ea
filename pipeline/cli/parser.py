"""The `discogs-site` argument parser: every subcommand, its options and the function that runs it."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline import __version__
from pipeline.cli.accounts import cmd_connect, cmd_disconnect, cmd_keygen, cmd_rotate_key, cmd_users_validate
from pipeline.cli.demos import cmd_demo, cmd_fake_discogs
from pipeline.cli.runs import cmd_build, cmd_serve, cmd_state, cmd_status

DESCRIPTION = "Publish every registered collector's Discogs collection as a static website."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="discogs-site", description=DESCRIPTION)
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
    p.add_argument("--no-images", dest="images", action="store_false",
                   help="generated releases carry no image URLs (the site then draws their covers)")
    p.add_argument("--rate-limit", type=_positive_int, default=60, help="requests per window (default 60)")
    p.add_argument("--window", type=_positive_float, default=60.0, help="window in seconds (default 60)")
    p.add_argument("--latency", type=_seconds, default=0.0, metavar="SECONDS",
                   help="delay every API answer by this much, like a network round trip (default 0)")
    p.add_argument("--dumps", type=Path, metavar="DIR", help="serve the masters dumps in DIR under /data/<year>/")
    p.set_defaults(func=cmd_fake_discogs)

    from pipeline.cli.masters_dump import add_parser as add_masters_dump

    add_masters_dump(sub)

    p = sub.add_parser("build", help="sync, enrich, compute and render every user (or some), then publish")
    p.add_argument("--user", action="append", metavar="NAME", help="rebuild only this user (repeatable) and the index")
    p.add_argument("--output", type=Path, help="where the site goes (default: $DISCOGS_SITE_OUTPUT or output)")
    p.add_argument("--state", type=Path, help="pipeline state directory (default: $DISCOGS_SITE_STATE or .state)")
    p.add_argument("--jobs", type=_at_least(int, "whole number"), metavar="N",
                   help="users refreshed at once, each in a worker process (default: $DISCOGS_SITE_JOBS or the CPU "
                        "count, at most 4)")
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
    p.add_argument("--home", type=Path, default=Path(".demo"), metavar="DIR",
                   help="where the demo keeps its registry, vault, state and Dagster runs, remade on every run "
                        "(default .demo)")
    p.add_argument("--output", type=Path, help="where the site goes (default: $DISCOGS_SITE_OUTPUT or output)")
    p.add_argument("--no-serve", action="store_true", help="build the site and exit instead of serving it")
    p.add_argument("--port", type=int, default=8000, help="port to serve the site on (default 8000; 0: any)")
    p.set_defaults(func=cmd_demo)
    return parser


def _at_least(kind: type, what: str, *, zero: bool = False):
    """An argparse type accepting numbers of `kind` above zero (or from zero, with `zero`)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = -1
        if value < 0 or (value == 0 and not zero) or value != value:  # value != value: NaN
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'non-negative' if zero else 'positive'} {what}")
        return value
    return parse


_positive_int = _at_least(int, "whole number")
_positive_float = _at_least(float, "number")
_seconds = _at_least(float, "number of seconds", zero=True)
