"""What a build leaves behind when it is killed or started twice at once: real `discogs-site build` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.fakes.discogs import FakeDiscogs, generate_world
from tests.conftest import CLI, cli_env, register, settings_for

NAMES = [f"u{i}" for i in range(6)]


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def descendants(root: int) -> dict[int, str]:
    """Every living process below `root`, each with its start time (so a reused pid is not taken for it)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if fields := _stat(pid):
            found[pid] = fields[19]
            todo += children.get(pid, [])
    return found


def alive(processes: dict[int, str]) -> list[int]:
    """Those still running (a zombie nobody reaps has stopped: it makes no request and holds nothing)."""
    return [pid for pid, started in processes.items()
            if (fields := _stat(pid)) and fields[19] == started and fields[0] not in ("Z", "X")]


@pytest.fixture
def slow_build(tmp_path):
    """A `build --jobs 2` of six users, each of whose requests takes a fifth of a second (a run lasts seconds),
    started in a session of its own; yields (process, fake API, the processes below it) once two users are in
    flight."""
    world = generate_world(",".join(f"{n}:20" for n in NAMES), catalog_size=200)
    register(tmp_path, "users:\n" + "".join(f"  - name: {n}\n    discogs_username: {n}\n    visibility: public\n"
                                            for n in NAMES), {n: n for n in NAMES})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        fake.inject("slow", count=100_000, path=r"^/(users|masters)/", delay=0.2)
        settings = settings_for(tmp_path, fake)
        build = subprocess.Popen([*CLI, "build", "--jobs", "2"], env=cli_env(settings, tmp_path / "dagster"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        spawned: dict[int, str] = {}
        try:
            deadline = time.monotonic() + 120
            while len({s.user for s in fake.requests("/users/")}) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.0)  # both workers well into their users' runs
            spawned = descendants(build.pid)
            yield build, fake, spawned
        finally:
            for pid in alive(spawned):  # survivors of a failed test, ended by the pids this test started
                os.kill(pid, signal.SIGKILL)
            if build.poll() is None:
                os.killpg(build.pid, signal.SIGKILL)
            build.wait()
            build.stderr.close()


def _settles(fake: FakeDiscogs, processes: dict[int, str], within: float) -> tuple[list[int], int]:
    """Wait up to `within` seconds for every process to end; (those still alive, requests served in the
    three seconds after a one-second grace)."""
    deadline = time.monotonic() + within
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # requests already on the wire when the last process ended
    before = len(fake.requests())
    time.sleep(3.0)
    return alive(processes), len(fake.requests()) - before


def test_a_build_killed_with_its_process_group_leaves_no_worker_making_requests(slow_build):
    build, fake, workers = slow_build
    assert len(workers) >= 2, f"expected the build's worker processes, found {workers}"
    os.killpg(build.pid, signal.SIGKILL)  # what `timeout -s KILL`, a supervisor or an OOM kill of the group does
    build.wait()
    survivors, later = _settles(fake, workers, within=5.0)
    assert survivors == [], f"{len(survivors)} of the killed build's processes still run"
    assert later == 0, f"{later} Discogs requests after the build was killed"


def test_sigterm_stops_a_build_like_ctrl_c_and_leaves_no_process(slow_build):
    build, fake, workers = slow_build
    build.send_signal(signal.SIGTERM)  # to the build alone, as `kill PID` or a supervisor sends it
    # Exit 130 once the users in flight end their run; how long that takes is the machine's (the users not
    # started are counted below instead of timed).
    assert build.wait(timeout=120) == 130, "SIGTERM did not stop the build as an interruption"
    error = build.stderr.read()
    assert error.rstrip().endswith("discogs-site: interrupted") and "Traceback" not in error
    survivors, later = _settles(fake, workers, within=5.0)
    assert survivors == [], f"{len(survivors)} of the stopped build's processes still run"
    assert later == 0, f"{later} Discogs requests after the build stopped"
    started = {s.user for s in fake.requests("/users/")}
    assert len(started) <= 4, f"users started after SIGTERM: {sorted(started)}"


@pytest.mark.parametrize("trial", range(3))
def test_builds_started_at_once_on_a_fresh_state_all_succeed(tmp_path, trial):
    """Dagster creates its storage when a fresh home is first opened, and each build adds the users' partitions;
    builds doing so at once take turns (three, not two: two collide only now and then)."""
    world = generate_world("alice:5,obi:5", catalog_size=50)
    register(tmp_path, "users:\n  - name: al\n    discogs_username: alice\n    visibility: public\n"
                       "  - name: ob\n    discogs_username: obi\n    visibility: public\n",
             {"al": "alice", "ob": "obi"})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        env = cli_env(settings_for(tmp_path, fake), tmp_path / "dagster")
        builds = [subprocess.Popen([*CLI, "build", "--jobs", "1"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True) for _ in range(3)]
        answers = [(*build.communicate(timeout=180), build.returncode) for build in builds]
    for out, error, code in answers:
        assert "Traceback" not in error + out, error
        assert code == 0, error
