"""The built wheel works on its own: installed away from the source tree, it renders a user's pages."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from tests.conftest import ROOT

RENDER = """
import json, sys
from pathlib import Path
import polars as pl
import pipeline
from pipeline.collection.rows import frame_of, row_of
from pipeline.fakes.discogs import generate_world
from pipeline.masters.cache import MASTER_SCHEMA
from pipeline.accounts.registry import load_users
from pipeline.site.static_files import TEMPLATES
from pipeline.site.publish import publish_site
from pipeline.site.staging import stage_user
from pipeline.stats.collection import compute_stats, enriched

root = Path(sys.argv[1])
(root / "users.yaml").write_text("users:\\n  - name: wheely\\n    discogs_username: w\\n    visibility: public\\n")
table = enriched(frame_of([row_of(i) for i in generate_world("w:120").items("w")]), pl.DataFrame(schema=MASTER_SCHEMA))
stage_user("wheely", table, compute_stats(table, synced_at="2026-11-25T00:00:00+00:00"), root / "staging")
publish_site(load_users(root / "users.yaml"), root / "staging", root / "site")
import pipeline.definitions  # the code location loads from the wheel too
print(json.dumps({"package": pipeline.__file__, "templates": str(TEMPLATES)}))
"""


def test_the_wheel_installed_away_from_the_source_renders_a_users_pages(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert "Warning" not in built.stdout + built.stderr, "packaging warnings: " + built.stderr
    wheel = next(wheels.glob("discogs_site-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "pipeline/site_templates/dashboard.html.j2" in names and "pipeline/site_templates/static/list.js" in names
    packages = {str(p.relative_to(ROOT)) for p in (ROOT / "pipeline").rglob("__init__.py")}
    assert packages <= set(names), f"left out of the wheel: {sorted(packages - set(names))}"
    target = tmp_path / "installed"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The installed copy comes first on the path, ahead of this checkout's editable install.
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, "-c", RENDER, str(elsewhere)], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    import json

    where = json.loads(done.stdout.strip().splitlines()[-1])
    assert where["package"].startswith(str(target)) and where["templates"].startswith(str(target))
    site = elsewhere / "site"
    dashboard = (site / "u" / "wheely" / "collection" / "index.html").read_text(encoding="utf-8")
    assert "record collection" in dashboard and (site / "u" / "wheely" / "collection" / "all" / "index.html").is_file()
    assert any(p.name.startswith("list-") for p in (site / "assets").iterdir())
