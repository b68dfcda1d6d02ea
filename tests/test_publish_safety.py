"""Publishing never destroys what it did not make, works in place, and survives renders running beside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

from pipeline.accounts.registry import load_users
from pipeline.runs.build import build
from pipeline.site.output_guard import MARKER
from pipeline.site.publish import publish_site
from pipeline.site.staging import stage_user
from tests.conftest import CLI, cli_env


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _cli_build(settings, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = cli_env(settings, Path(settings.stores.state_dir) / "dagster")
    del env["DISCOGS_SITE_OUTPUT"]  # the default, `output` under cwd, or --output
    return subprocess.run([*CLI, "build", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_build_with_output_dot_inside_a_checkout_is_refused_and_deletes_nothing(site, tmp_path):
    settings, fake, _ = site
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = _tree(tmp_path)
    done = _cli_build(settings, tmp_path, "--output", ".")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "discogs-site: error: output directory .: refused: it is the current directory, and publishing replaces "
        "what it holds; choose a directory of its own, e.g. output/"]
    assert "Traceback" not in done.stdout + done.stderr
    assert _tree(tmp_path) == before and fake.count() == 0


@pytest.mark.parametrize("where", ["foreign", "home", "parent of the state", "holds users.yaml"])
def test_output_at_a_directory_that_is_not_ours_is_refused_before_any_request(site, tmp_path, where):
    settings, fake, _ = site
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "thesis.odt").write_text("years of work")
    target = {"foreign": home / "Documents", "home": home, "parent of the state": settings.stores.state.parent,
              "holds users.yaml": Path(settings.stores.users_file).parent}[where]
    env_home = {**os.environ, "HOME": str(home)}
    before = _tree(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "--users", settings.stores.users_file, "--vault",
                           settings.stores.vault_file, "build", "--output", str(target)],
                          env={**env_home, "DISCOGS_API_URL": settings.discogs.api_url, "DISCOGS_SITE_STATE":
                               settings.stores.state_dir}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"discogs-site: error: output directory {target}: refused")
    assert _tree(tmp_path) == before and fake.count() == 0


def test_the_output_directory_is_written_in_place_and_foreign_files_in_it_survive(site):
    """A mount point or a directory whose parent is read-only works: the directory itself is never replaced."""
    settings, _, instance = site
    output = Path(settings.stores.state_dir).parent / "www" / "site"
    settings = settings.with_changes(output_dir=str(output))
    output.mkdir(parents=True)
    parent_before = sorted(os.listdir(output.parent))
    inode = output.stat().st_ino
    assert build(settings, instance=instance, report=lambda _: None)[1]
    (output / "CNAME").write_text("records.example.org\n")  # what a host wants beside the site
    users = Path(settings.stores.users_file)
    users.write_text(users.read_text().replace("visibility: unlisted", "visibility: private"))
    assert build(settings, instance=instance, report=lambda _: None)[1]
    assert output.stat().st_ino == inode
    assert sorted(os.listdir(output.parent)) == parent_before  # nothing written beside it
    assert (output / "CNAME").read_text() == "records.example.org\n" and (output / MARKER).is_file()
    assert [p.name for p in (output / "u").iterdir() if p.is_dir()] == ["al"]


def test_renders_and_publishes_side_by_side_never_drop_or_fail_a_user(site):
    settings, _, instance = site
    assert build(settings, instance=instance, report=lambda _: None)[1]
    staging, output = settings.stores.pages_staging, Path(settings.site.output_dir)
    frames = {n: pl.read_parquet(Path(settings.stores.stats_dir) / f"{n}.parquet") for n in ("al", "ob")}
    stats = {n: json.loads((Path(settings.stores.stats_dir) / f"{n}.json").read_text()) for n in frames}
    users = load_users(settings.stores.users_file)
    unlisted = next(p.name for p in (output / "u").iterdir() if p.name.startswith("ob-"))
    errors: list[BaseException] = []
    missing: list[str] = []

    def render(name: str) -> None:
        try:
            for _ in range(100):
                stage_user(name, frames[name], stats[name], staging)
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(exc)

    def publish() -> None:
        try:
            for _ in range(100):
                publish_site(users, staging, output)
                for directory in ("al", unlisted):
                    if not (output / "u" / directory / "collection" / "releases.json").is_file():
                        missing.append(directory)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    # Two renders of one user at once, another user's render, and two publishers: 200 publish/render pairs.
    threads = [threading.Thread(target=render, args=(n,)) for n in ("al", "al", "ob")]
    threads += [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and missing == []
    assert sorted(p.name for p in staging.iterdir() if p.is_dir()) == ["al", "ob"]  # no half-swapped leftovers
