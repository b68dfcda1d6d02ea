"""The operators' UI: dagster-webserver from the repository root, driven through its GraphQL API."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.conftest import CLI, ROOT, cli_env

# Without the daemon, queued runs never start; the default coordinator launches them at once.
INSTANCE = "telemetry:\n  enabled: false\nrun_coordinator:\n  module: dagster._core.run_coordinator\n" \
           "  class: DefaultRunCoordinator\nconcurrency:\n  pools:\n    default_limit: 1\n"
WORKSPACE = """{ workspaceOrError { ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on RepositoryLocation { repositories { name } }
                        ... on PythonError { message } } } } } }"""
ASSETS = """{ assetNodes { assetKey { path } description partitionKeysByDimension { partitionKeys } } }"""
SCHEDULES = """query($selector: RepositorySelector!) { schedulesOrError(repositorySelector: $selector) {
  ... on Schedules { results { name cronSchedule description scheduleState { status } } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
RUNS = """{ runsOrError { ... on Runs { results { jobName status tags { key value } } } } }"""
SENSORS = """query($selector: RepositorySelector!) { sensorsOrError(repositorySelector: $selector) {
  ... on Sensors { results { name sensorState { status } } } } }"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def webserver(site, tmp_path):
    settings, fake, _ = site
    home = tmp_path / "ui-home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE)
    port = _free_port()
    env = cli_env(settings, home)
    # A build first, as an operator would have run: its runs must show in the UI under the jobs' names.
    built = subprocess.run([*CLI, "build", "--user", "al"], env=env, capture_output=True, text=True, timeout=180)
    assert built.returncode == 0, built.stdout + built.stderr
    log = (tmp_path / "webserver.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "dagster-webserver"), "-h", "127.0.0.1",
                               "-p", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/graphql"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.3)
        assert server.poll() is None, (tmp_path / "webserver.log").read_text()
    else:
        pytest.fail("dagster-webserver did not answer within 90 s")

    def query(text: str, **variables) -> dict:
        answer = requests.post(url, json={"query": text, "variables": variables}, timeout=60).json()
        assert "errors" not in answer, answer
        return answer["data"]

    yield query, settings, fake
    server.terminate()
    server.wait(timeout=30)
    log.close()


def test_the_ui_shows_the_graph_and_runs_one_user(webserver):
    query, settings, fake = webserver
    entry = query(WORKSPACE)["workspaceOrError"]["locationEntries"][0]
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    selector = {"repositoryLocationName": entry["name"], "repositoryName": location["repositories"][0]["name"]}

    nodes = {"/".join(n["assetKey"]["path"]): n for n in query(ASSETS)["assetNodes"]}
    assert set(nodes) == {"collection", "master_enrichment", "collection_stats", "user_pages", "shared_taste",
                          "site_index", "masters_dump"}
    assert all(n["description"] for n in nodes.values())
    assert nodes["collection"]["partitionKeysByDimension"][0]["partitionKeys"] == ["al", "ob"]
    months = nodes["masters_dump"]["partitionKeysByDimension"][0]["partitionKeys"]
    assert months[0] == "2024-01-01" and months[-1] == datetime.now(UTC).date().replace(day=1).isoformat()

    schedules = query(SCHEDULES, selector=selector)["schedulesOrError"]["results"]
    assert sorted((s["name"], s["cronSchedule"], s["scheduleState"]["status"]) for s in schedules) == [
        ("every_six_hours", "0 */6 * * *", "RUNNING"), ("monthly_masters_dump", "0 4 3 * *", "RUNNING")]

    sensors = query(SENSORS, selector=selector)["sensorsOrError"]["results"]
    assert sorted((s["name"], s["sensorState"]["status"]) for s in sensors) == [
        ("publish_after_refreshes", "RUNNING"), ("registered_users", "RUNNING")]

    runs = query(RUNS)["runsOrError"]["results"]
    assert sorted(r["jobName"] for r in runs) == ["publish_site", "refresh_user"]  # no __ephemeral_asset_job__
    refresh = next(r for r in runs if r["jobName"] == "refresh_user")
    assert refresh["status"] == "SUCCESS" and {"key": "dagster/partition", "value": "al"} in refresh["tags"]

    alice_pages = fake.count("/users/alice/collection/folders/0/releases")
    params = {"selector": {**selector, "jobName": "refresh_user"}, "runConfigData": {},
              "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "ob"}]}}
    launched = query(LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status, deadline = "", time.monotonic() + 180
    while status not in ("SUCCESS", "FAILURE", "CANCELED") and time.monotonic() < deadline:
        time.sleep(0.5)
        status = query(RUN, id=run_id)["runOrError"]["status"]
    assert status == "SUCCESS"
    assert fake.count("/users/obi/collection/folders/0/releases") == 2  # every page once
    assert fake.count("/users/alice/collection/folders/0/releases") == alice_pages  # one user's partition only
    assert (settings.stores.pages_staging / "ob" / "collection" / "releases.json").exists()
