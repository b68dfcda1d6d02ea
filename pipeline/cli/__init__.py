"""The `discogs-site` command: argument parsing and wiring; the work happens in the modules it calls.

Exit codes: 0 success, 1 failure (a message naming the culprit on stderr), 2 bad usage.
"""

from __future__ import annotations

import logging
import os
import sys

from pipeline import config
from pipeline.cli.parser import build_parser
from pipeline.errors import SiteError

__all__ = ["build_parser", "main"]


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
