"""`discogs-site masters-dump import|generate|status`: the masters dump from the command line."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from pipeline import config
from pipeline.cli.demos import cmd_generate
from pipeline.errors import ConfigError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-01") from None


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1")
    return value


def cache_path(state: Path | None) -> Path:
    from pipeline.masters.cache import cache_path

    return cache_path(state or config.state_dir())


def cmd_import(args: argparse.Namespace) -> int:
    from pipeline.dump.update import update
    from pipeline.runs.display import build_display

    with build_display() as say:
        last = {"stage": ""}

        def report(stage: str, done: int, total: int) -> None:
            if stage != last["stage"] or done == total:
                say(f"masters dump: {stage} {done / 1e6:,.1f} of {total / 1e6:,.1f} MB")
                last["stage"] = stage

        outcome = update(args.source, cache_path(args.state), checksum=args.checksum, verify=not args.no_verify,
                         day=args.date, keep=args.keep, report=report)
    if outcome.result is None:
        print(f"masters dump {outcome.day}: already imported, nothing to do")
        return 0
    r = outcome.result
    print(f"masters dump {r.day}: {r.masters:,} masters read in {r.seconds:.1f} s ({r.per_second:,.0f}/s); "
          f"{r.written:,} stored, {r.kept_newer:,} newer answers from the API kept")
    if r.skipped:
        print(f"  skipped {r.skipped:,} <master> elements without a numeric id")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.masters.cache import MasterCache

    path = cache_path(args.state)
    if not path.exists():
        raise ConfigError(f"{path}: no master cache yet; run a build or `discogs-site masters-dump import latest`")
    with MasterCache(path) as cache:
        dumps = cache.dumps()
        total = cache.count()
        by_source = cache.sources()
    print(f"master cache {path}: {total:,} masters ({by_source.get('dump', 0):,} from dumps, "
          f"{by_source.get('api', 0):,} from the API)")
    for d in dumps:
        state = "imported" if d["imported_at"] else "published, not imported yet"
        print(f"  {d['date']}  {state:<28} {d['masters']:>10,} masters  {d['url']}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("masters-dump", help="import Discogs' monthly masters dump into the master cache")
    actions = p.add_subparsers(dest="dump_command", required=True, metavar="ACTION")

    a = actions.add_parser("import", help="download (resuming), verify and import a dump, unless already imported")
    a.add_argument("source", help="`latest`, a URL or a local discogs_YYYYMMDD_masters.xml.gz")
    a.add_argument("--checksum", help="the CHECKSUM file (path or URL; default: the one beside the dump)")
    a.add_argument("--no-verify", action="store_true", help="import a local file without a published checksum")
    a.add_argument("--date", type=_date, help="the dump's date when its name does not say (YYYY-MM-DD)")
    a.add_argument("--keep", action="store_true", help="keep the downloaded file after importing it")
    a.add_argument("--state", type=Path, help="pipeline state directory (default: $DISCOGS_SITE_STATE or .state)")
    a.set_defaults(func=cmd_import)

    g = actions.add_parser("generate", help="write a dump in Discogs' format for tests, the demo and benchmarks")
    g.add_argument("directory", type=Path, help="where the dump and its CHECKSUM file go")
    g.add_argument("--date", type=_date, default=date(2026, 11, 1), help="the dump's date (default 2026-11-01)")
    source = g.add_mutually_exclusive_group(required=True)
    source.add_argument("--generate", metavar="SPEC", help="the masters of the fake API's world for this spec")
    source.add_argument("--masters", type=int, help="this many masters from the start of the generated catalog")
    g.add_argument("--leave-out", type=_share, default=0.0, metavar="SHARE",
                   help="with --generate, leave this share of masters out, as if newer than the dump (default 0)")
    g.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    g.set_defaults(func=cmd_generate)

    s = actions.add_parser("status", help="the dumps imported and where the cached masters came from")
    s.add_argument("--state", type=Path, help="pipeline state directory (default: $DISCOGS_SITE_STATE or .state)")
    s.set_defaults(func=cmd_status)
