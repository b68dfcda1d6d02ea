"""The fake Discogs API in a child process (`discogs-site fake-discogs`), as a real server would be.

Served from the caller's own interpreter, the fake's threads would compete with the caller for the
GIL: an answer held up behind a burst of the caller's CPU work is stamped late, which skews the fake's
rate-limit window against the client's. The demo and the pacing benchmark run it here instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests


class FakeProcess:
    """A generated world served by a child process on a free loopback port; its request log over HTTP."""

    def __init__(self, spec: str, *, rate_limit: int, window: float, latency: float = 0.0,
                 dumps_dir: Path | None = None, seed: int = 42, images: bool = True) -> None:
        command = [sys.executable, "-m", "pipeline.cli", "fake-discogs", "--port", "0", "--generate", spec,
                   "--seed", str(seed), "--rate-limit", str(rate_limit), "--window", f"{window:g}"]
        if not images:
            command.append("--no-images")
        if latency:
            command += ["--latency", f"{latency:g}"]
        if dumps_dir is not None:
            command += ["--dumps", str(dumps_dir)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.process.stdout.readline() or ""
        found = re.search(r"fake Discogs API on (http://127\.0\.0\.1:\d+)", first)
        if not found:
            self.close()
            raise RuntimeError(f"the fake Discogs API did not start: {self.process.stderr.read().strip()}")
        self.url = found[1]

    def log(self) -> list[dict]:
        return requests.get(f"{self.url}/_fake/requests", timeout=30).json()["requests"]

    def count(self, status: int | None = None) -> int:
        return sum(1 for s in self.log() if status is None or s["status"] == status)

    def clear(self) -> None:
        requests.delete(f"{self.url}/_fake/requests", timeout=30)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
