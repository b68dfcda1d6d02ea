"""How builds run: the progress an operator sees, one Discogs step at a time across runs, registry reloads."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from rich.console import Console

from pipeline.accounts.vault import Vault
from pipeline.common import progress
from pipeline.defs import definitions
from pipeline.fakes.discogs import FakeDiscogs, generate_world
from pipeline.runs.build import build
from pipeline.runs.display import build_display
from pipeline.runs.instance import OWNER_TAG
from tests.conftest import CLI, cli_env, masters_of, register, settings_for


def _cli(settings, tmp_path, *args: str, rate: str = "1000/1") -> tuple[list[str], dict[str, str]]:
    return [*CLI, "build", *args], cli_env(settings, tmp_path / "dagster", DISCOGS_RATE_LIMIT=rate)


def test_build_command_logs_progress_with_the_time_left_at_the_rate_limit(site, pipeline_world, tmp_path):
    settings, fake, _ = site
    command, env = _cli(settings, tmp_path, "--user", "al", rate="200/1")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    masters = len(masters_of(pipeline_world, "alice"))
    # Not a terminal, so plain lines: each stage's start and end, with the estimate from 200 requests/s.
    assert "al: collection pages 1/3" in done.stderr
    assert "al: collection pages 3/3" in done.stderr
    start = re.search(r"al: masters 0/(\d+), about (\d+) s left at the rate limit", done.stderr)
    assert start and int(start[1]) == masters and int(start[2]) == round(masters / 200)
    assert f"al: masters {masters}/{masters}\n" in done.stderr
    assert "al: done" in done.stderr
    # The summary table goes to stdout, one row per user built.
    row = next(line for line in done.stdout.splitlines() if line.startswith("al "))
    assert row.split()[1:5] == ["ok", "230", "0", "230"]  # result, items, skipped, added
    assert f"site: published to {settings.site.output_dir}" in done.stdout


def test_terminal_display_draws_a_bar_per_user(site):
    settings, _, instance = site
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    with build_display(console) as say:
        outcomes, _ = build(settings, ["al", "ob"], instance=instance, report=say)
    assert all(o.ok for o in outcomes)
    frames = screen.getvalue()
    assert re.search(r"al\s+masters\s+\S*\s+\d+/\d+ ~\d+ s left", frames), "a bar with its estimate mid-run"
    assert re.search(r"ob\s+done\s+\S+\s+1/1", frames)
    # Operators watching the run in the Dagster UI read the same progress in its log.
    logged = [e.user_message for run in instance.get_runs() for e in instance.all_logs(run.run_id)]
    assert any(m.startswith("al: masters 0/") for m in logged)
    assert "ob: collection pages 2/2" in logged


def test_users_in_flight_refresh_in_worker_processes_and_one_bad_user_fails_alone(site):
    """`jobs=2`: each user's `refresh_user` run happens in a worker process, their progress still reaches the
    display, and a user whose tokens are gone fails with their own cause while the other is published."""
    settings, fake, instance = site
    vault = Vault.open(settings.stores.vault_file)
    vault.remove("ob")
    vault.save()
    lines: list[str] = []
    with progress.listening(lambda step: lines.append(progress.describe(step))):
        outcomes, published = build(settings, ["al", "ob"], instance=instance, report=lines.append, jobs=2)
    assert published
    assert [(o.name, o.ok) for o in outcomes] == [("al", True), ("ob", False)]
    assert "no tokens" in outcomes[1].error and "ob: FAILED: " in "\n".join(lines)
    assert "al: collection pages 3/3" in lines and "al: done" in lines
    runs = {r.tags["discogs-site/user"]: r for r in instance.get_runs() if r.job_name == "refresh_user"}
    owners = {r.tags[OWNER_TAG].split(":")[1] for r in runs.values()}
    assert str(os.getpid()) not in owners, "the users ran in this process, not in workers"
    assert runs["al"].status == dg.DagsterRunStatus.SUCCESS and runs["ob"].status == dg.DagsterRunStatus.FAILURE
    assert (Path(settings.site.output_dir) / "u" / "al" / "collection" / "index.html").is_file()
    assert not (Path(settings.site.output_dir) / "u" / "ob").exists()
    # Two workers never queue on the pool; the request budget is the limiter's.
    assert instance.event_log_storage.get_concurrency_info("discogs_api").slot_count == 2


def test_ctrl_c_stops_a_build_with_users_in_flight_at_once_and_starts_no_other_user(tmp_path, isolated_env):
    names = [f"u{i}" for i in range(8)]
    world = generate_world(",".join(f"{n}:5" for n in names), catalog_size=200)
    register(tmp_path, "users:\n" + "".join(f"  - name: {n}\n    discogs_username: {n}\n    visibility: public\n"
                                            for n in names), {n: n for n in names})
    with FakeDiscogs(world, rate_limit=1000, window=1) as fake:
        fake.inject("slow", count=1000, path=r"/collection/", delay=1.0)  # each user's sync takes a second
        settings = settings_for(tmp_path, fake)
        build = subprocess.Popen([*CLI, "build", "--jobs", "2"], env=cli_env(settings, tmp_path / "dagster"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 120
        while fake.count("/users/") < 2 and time.monotonic() < deadline:  # two users in flight
            time.sleep(0.05)
        os.killpg(build.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stopped = time.monotonic()
        assert build.wait(timeout=60) == 130
        assert time.monotonic() - stopped < 15, "Ctrl-C waited for the remaining users"
        started = {s.user for s in fake.requests("/users/")}
    assert len(started) <= 4, f"users started after Ctrl-C: {sorted(started)}"
    error = build.stderr.read()
    assert error.rstrip().endswith("discogs-site: interrupted") and "Traceback" not in error


def test_discogs_steps_of_parallel_runs_take_turns(site, tmp_path):
    """Two builds at once: the `discogs_api` pool lets one Discogs-calling step run at a time."""
    settings, fake, instance = site
    fake.inject("slow", count=1000, path=r"/collection/", delay=0.25)  # long steps, sure to overlap if unpooled
    runs = []
    for name in ("al", "ob"):
        command, env = _cli(settings, tmp_path, "--user", name)
        runs.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True))
    for run in runs:
        assert run.wait(timeout=180) == 0, run.stderr.read()
    steps = [(s.user, "masters" if s.path.startswith("/masters/") else "collection")
             for s in sorted(fake.requests(), key=lambda s: s.at)]
    blocks = [step for i, step in enumerate(steps) if i == 0 or steps[i - 1] != step]
    assert len(blocks) == len(set(blocks)) == 4, f"steps interleaved: {blocks}"
    assert instance.event_log_storage.get_concurrency_info("discogs_api").slot_count == 1


def test_users_yaml_changes_reach_the_partitions_and_the_schedule_without_a_reload(site):
    settings, _, instance = site
    defs = definitions(settings)
    sensor, schedule = defs.resolve_sensor_def("registered_users"), defs.resolve_schedule_def("every_six_hours")

    # Both contexts are closed after use: an open one leaves Dagster pointing at this test's instance.
    def tick() -> None:
        with dg.build_sensor_context(instance=instance, resources=settings.resources()) as context:
            result = sensor(context)
        for request in getattr(result, "dynamic_partitions_requests", None) or []:
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
            else:
                for key in request.partition_keys:
                    instance.delete_dynamic_partition(request.partitions_def_name, key)

    def scheduled() -> list[str]:
        with dg.build_schedule_context(instance=instance, resources=settings.resources(),
                                       scheduled_execution_time=datetime(2026, 11, 25, 6, tzinfo=UTC)) as context:
            return [r.partition_key for r in schedule(context)]

    tick()
    assert instance.get_dynamic_partitions("users") == ["al", "ob"]  # "hid" is private: no partition
    users = Path(settings.stores.users_file)
    text = users.read_text().replace("  - name: ob\n    discogs_username: obi\n    visibility: unlisted\n", "")
    users.write_text(text + "  - name: zed\n    discogs_username: zed-records\n    visibility: public\n")
    assert scheduled() == ["al"]  # ob left the registry; zed has no partition until the sensor ticks
    tick()
    assert sorted(instance.get_dynamic_partitions("users")) == ["al", "zed"]
    assert scheduled() == ["al", "zed"]
    users.write_text(users.read_text().replace("name: zed\n    discogs_username: zed-records\n    visibility: public",
                                               "name: zed\n    discogs_username: zed-records\n    visibility: private"))
    assert scheduled() == ["al"]  # turned private: left out at once, before the partition goes
    tick()
    assert instance.get_dynamic_partitions("users") == ["al"]


def test_status_and_a_second_build_started_later_leave_the_first_build_alone(site, tmp_path):
    """Opening the instance reaps only runs whose build process is gone: a live build keeps its run and its slot."""
    settings, fake, instance = site
    fake.inject("slow", count=10000, path=r"/", delay=0.05)  # the first build is mid-run when the others start
    command, env = _cli(settings, tmp_path, "--user", "al")
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not fake.count("/users/alice/collection/folders/0/releases") and time.monotonic() < deadline:
        time.sleep(0.05)
    status = subprocess.run([*command[:-3], "status"], env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    command, env = _cli(settings, tmp_path, "--user", "ob")
    second = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for run in (first, second):
        assert run.wait(timeout=180) == 0, run.stderr.read()
    runs = dg.DagsterInstance.get().get_runs(dg.RunsFilter(tags={"discogs-site/user": "al"}))
    assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS]
    users = [s.user for s in sorted(fake.requests(), key=lambda s: s.at)]
    switches = sum(1 for a, b in zip(users, users[1:], strict=False) if a != b)
    assert switches <= 3, f"the two builds' requests interleaved ({switches} switches)"


def test_a_killed_builds_run_is_reaped_and_frees_the_pool(site, tmp_path):
    settings, fake, instance = site
    fake.inject("slow", count=1000, path=r"/collection/", delay=0.5)
    command, env = _cli(settings, tmp_path, "--user", "al")
    killed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not fake.count("/users/alice/collection/folders/0/releases") and time.monotonic() < deadline:
        time.sleep(0.05)
    killed.kill()
    killed.wait()
    fake.faults.clear()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    statuses = [r.status for r in dg.DagsterInstance.get().get_runs(dg.RunsFilter(tags={"discogs-site/user": "al"}))]
    assert sorted(s.value for s in statuses) == ["FAILURE", "SUCCESS"]


def test_a_failed_user_is_one_line_naming_the_user_and_cause_without_a_trace(site, pipeline_world, tmp_path):
    settings, fake, _ = site
    pipeline_world.revoke("obi")
    command, env = _cli(settings, tmp_path)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Trace" not in done.stderr + done.stdout and "dagster._core" not in done.stderr
    failed = [line for line in done.stderr.splitlines() if "ob" in line and "FAILED" in line]
    assert failed == ["ob: FAILED: collection: user 'ob': GET /users/obi/collection/folders/0/releases: HTTP 401: "
                      "You must authenticate to access this resource.; run `discogs-site connect ob` again"]
    assert "hid" not in done.stderr + done.stdout  # a private user is never named
    # The whole trace is kept where operators look: the run's event log.
    runs = dg.DagsterInstance.get().get_runs(dg.RunsFilter(tags={"discogs-site/user": "ob"}))
    failure = next(e for e in dg.DagsterInstance.get().all_logs(runs[0].run_id)
                   if e.dagster_event and e.dagster_event.is_step_failure)
    assert failure.dagster_event.step_failure_data.error.cause.stack  # the frames of the AuthError


def test_build_runs_the_named_jobs_and_a_batch_of_refreshes_publishes_once(site):
    from pipeline.defs.site.sensors import publish_request

    settings, _, instance = site
    outcomes, _ = build(settings, instance=instance, report=lambda _: None)
    assert all(o.ok for o in outcomes)
    jobs = sorted(r.job_name for r in instance.get_runs())
    assert jobs == ["publish_site", "refresh_user", "refresh_user"]
    cursor: list[str] = []
    first = publish_request(instance, None, cursor.append)
    assert isinstance(first, dg.RunRequest) and len(cursor) == 1  # two refreshes, one publish
    again = publish_request(instance, cursor[-1], cursor.append)
    assert isinstance(again, dg.SkipReason) and len(cursor) == 1
    build(settings, ["al"], instance=instance, report=lambda _: None)
    assert isinstance(publish_request(instance, cursor[-1], cursor.append), dg.RunRequest)


def test_state_option_moves_everything_stateful_dagster_storage_included(site, tmp_path):
    settings, _, _ = site
    command, env = _cli(settings, tmp_path, "--user", "al", "--state", str(tmp_path / "elsewhere"), "--output",
                        str(tmp_path / "site"))
    for name in ("DAGSTER_HOME", "DISCOGS_SITE_STATE"):
        env.pop(name)
    work = tmp_path / "cwd"
    work.mkdir()
    done = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "elsewhere" / "dagster" / "dagster.yaml").is_file()
    assert (tmp_path / "elsewhere" / "collections" / "al.parquet").is_file()
    assert list(work.iterdir()) == []  # no .state left behind in the working directory


@pytest.mark.parametrize("variable", ["DISCOGS_REQUEST_DEADLINE", "DISCOGS_RETRY_BUDGET"])
def test_a_malformed_client_limit_stops_the_build_before_any_request(site, tmp_path, variable):
    settings, fake, _ = site
    command, env = _cli(settings, tmp_path)
    done = subprocess.run(command, env={**env, variable: "0"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"discogs-site: error: {variable}='0' is not a positive number of "
                                                "seconds"]
    assert fake.requests() == []
