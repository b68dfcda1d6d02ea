"""Commands that run the fakes: `fake-discogs`, `demo` and `masters-dump generate` (the only CLI paths into
pipeline.fakes)."""

from __future__ import annotations

import argparse
import contextlib

from pipeline import config
from pipeline.errors import ConfigError


def cmd_fake_discogs(args: argparse.Namespace) -> int:
    from pipeline.fakes.discogs import FakeDiscogs, generate_world, load_world
    from pipeline.fakes.discogs.generator import SpecError
    from pipeline.fakes.discogs.replay import ReplayError

    try:
        if args.data:
            world = load_world(args.data)
        else:
            world = generate_world(args.generate, seed=args.seed, images=args.images)
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
    from pipeline.site.serve import stop_on_signals

    stop_on_signals()
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo.run import run_demo

    return run_demo(args.output or config.output_dir(), home=args.home, serve=not args.no_serve, port=args.port)


def cmd_generate(args: argparse.Namespace) -> int:
    """`masters-dump generate`: a dump in Discogs' format from the fake API's world."""
    from pipeline.fakes.discogs import generate_world
    from pipeline.fakes.dumps import first_masters, world_masters, write_dump

    if args.generate:
        masters = world_masters(generate_world(args.generate, seed=args.seed), leave_out=args.leave_out)
    else:
        masters = first_masters(args.masters, seed=args.seed)
    path = write_dump(args.directory, args.date, masters)
    print(f"wrote {path} ({path.stat().st_size / 1e6:,.1f} MB) and its CHECKSUM file")
    return 0
