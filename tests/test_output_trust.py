"""A publish writes only where it provably may: a hand-made site without the marker is refused, an owned name
that is a symbolic link is refused, and the files behind either survive byte for byte; a site this tool
published before the marker existed is still adopted."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.accounts.registry import load_users
from pipeline.errors import ConfigError
from pipeline.runs.build import build
from pipeline.site.output_guard import MARKER, check_output_dir
from pipeline.site.publish import publish_site
from tests.conftest import CLI, cli_env


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _cli_build(settings, cwd: Path, output: Path) -> subprocess.CompletedProcess:
    env = cli_env(settings, Path(settings.stores.state_dir) / "dagster", DISCOGS_SITE_OUTPUT=str(output))
    return subprocess.run([*CLI, "build"], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def _publish(settings, output: Path):
    return publish_site(load_users(settings.stores.users_file), settings.stores.pages_staging, output)


HAND_MADE = {
    "a Vite dist": {"index.html": b"<h1>me</h1>", "assets/style.css": b"body{}", "assets/me.jpg": b"\xff\xd8jpeg"},
    "Vite's hashed names": {"index.html": b"<h1>app</h1>", "assets/index-4f2a3b1c.js": b"app()",
                            "assets/index-0d9e8c7b.css": b"p{}", "u/al/collection/releases.json": b"{}"},
    "our names, none of our files": {"index.html": b"mine", "404.html": b"lost", "robots.txt": b"", "u/al/x": b"1"},
}


@pytest.mark.parametrize("kind", HAND_MADE)
def test_a_hand_made_site_is_refused_whole_by_build_and_by_publish(site, tmp_path, kind):
    settings, fake, _ = site
    www = tmp_path / "www"
    for name, data in HAND_MADE[kind].items():
        (www / name).parent.mkdir(parents=True, exist_ok=True)
        (www / name).write_bytes(data)
    before = _tree(www)
    done = _cli_build(settings, tmp_path, www)
    assert done.returncode == 1, done.stdout
    refusal = (f"output directory {www}: refused: it is not empty and was not made by discogs-site (no {MARKER} "
               "file); choose an empty or new directory, or empty this one yourself")
    assert done.stderr.strip().splitlines() == [f"discogs-site: error: {refusal}"]
    assert fake.count() == 0
    with pytest.raises(ConfigError) as refused:
        _publish(settings, www)
    assert str(refused.value) == refusal
    assert _tree(www) == before and sorted(os.listdir(www)) == sorted({n.split("/")[0] for n in before})


def test_a_site_this_tool_published_without_the_marker_is_still_adopted(site, tmp_path):
    settings, _, instance = site
    assert build(settings, instance=instance, report=lambda _: None)[1]
    output = Path(settings.site.output_dir)
    (output / MARKER).unlink()
    # As the versions before the marker left a site: no feed, no u/index.html nor assets/index.html either.
    older = tmp_path / "older"
    shutil.copytree(output, older)
    for name in ("feed.xml", "u/index.html", "assets/index.html"):
        (older / name).unlink()
    assert check_output_dir(older) == older.resolve()
    _publish(settings, older)
    assert (older / MARKER).is_file() and (older / "feed.xml").is_file()
    assert build(settings, instance=instance, report=lambda _: None)[1]
    assert (output / MARKER).is_file()


@pytest.mark.parametrize("name", ["u", "assets"])
def test_a_symlinked_owned_folder_is_refused_and_what_it_points_to_survives(site, tmp_path, name):
    settings, fake, instance = site
    assert build(settings, instance=instance, report=lambda _: None)[1]
    output = Path(settings.site.output_dir)
    photos = tmp_path / "photos"
    (photos / "2024").mkdir(parents=True)
    (photos / "2024" / "holiday.jpg").write_bytes(b"\xff\xd8 the beach")
    (photos / "notes.txt").write_text("do not lose\n")
    shutil.rmtree(output / name)
    (output / name).symlink_to(photos, target_is_directory=True)
    before = _tree(photos)
    refusal = (f"output directory {output}: refused: its {name} is a symbolic link (to {photos}), and publishing "
               f"replaces what {name} holds; make it a real file or directory")
    with pytest.raises(ConfigError) as refused:
        _publish(settings, output)
    assert str(refused.value) == refusal
    fake.reset_log()
    done = _cli_build(settings, tmp_path, output)
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [f"discogs-site: error: {refusal}"]
    assert fake.count() == 0
    assert _tree(photos) == before
