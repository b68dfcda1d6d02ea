"""A throwaway PostgreSQL server for tests: Debian's binaries, its own data directory and port, trust auth."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_owner(command: list[str]) -> list[str]:
    # initdb refuses to run as root; Debian's package brings the `postgres` account for this.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def temporary_server() -> Iterator[dict[str, str]]:
    """Start a server in a fresh directory; yields the DAGSTER_PG_* variables that reach it."""
    bin_dir = binaries()
    assert bin_dir is not None
    # Not under pytest's tmp_path: that is private to root, and the server runs as `postgres`.
    directory = Path(tempfile.mkdtemp(prefix="discogs-site-pg-"))
    data = directory / "data"
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    user = "postgres" if os.geteuid() == 0 else getpass.getuser()
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True)
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                              str(directory / "server.log"), "-w", "start"]), check=True, capture_output=True)
    try:
        subprocess.run(_as_owner([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user,
                                  "dagster"]), check=True, capture_output=True)
        yield {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(port), "DAGSTER_PG_USERNAME": user,
               "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": "dagster"}
    finally:
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)
