"""Commands that run or inspect the pipeline: build, status, state seal|unseal, serve."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline import config
from pipeline.cli.tables import build_summary, status_table
from pipeline.errors import ConfigError


def cmd_build(args: argparse.Namespace) -> int:
    from pipeline.defs.resources import PipelineSettings
    from pipeline.runs.build import build
    from pipeline.runs.display import build_display

    overrides = {"users_file": str(args.users), "vault_file": str(args.vault)}
    if args.output:
        overrides["output_dir"] = str(args.output)
    if args.state:
        overrides["state_dir"] = str(args.state)
    settings = PipelineSettings.from_env(**overrides)
    jobs = args.jobs or config.build_jobs()
    with build_display() as say:
        outcomes, published = build(settings, args.user or None, report=say, jobs=jobs,
                                    dagster_log_level="DEBUG" if args.verbose else "CRITICAL")
    print()
    build_summary(outcomes)
    print(f"site: {'published to ' + settings.site.output_dir if published else 'NOT published'}")
    return 0 if published and all(o.ok for o in outcomes) else 1


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.defs.resources import PipelineSettings
    from pipeline.runs.instance import open_instance
    from pipeline.runs.status import collect, master_cache_summary

    settings = PipelineSettings.from_env(users_file=str(args.users), vault_file=str(args.vault))
    rows = collect(settings, open_instance(settings.stores.dagster_home, read_only=True))
    status_table(rows)
    print(f"\n{master_cache_summary(settings)}")
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    from pipeline.accounts.vault import keys_from_env
    from pipeline.state.seal import seal, unseal

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
    from pipeline.site.serve import serve_site

    output = Path(args.output or config.output_dir())
    if not (output / "index.html").is_file():
        raise ConfigError(f"{output}: no built site here; run `discogs-site build` (or `discogs-site demo`) first")
    serve_site(output, args.port, config.base_path())
    return 0
