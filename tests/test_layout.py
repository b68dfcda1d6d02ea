"""The house rules a maintainer relies on: the fakes stay out of production, settings come from one place."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT

LOAD_EVERYTHING = """
import importlib, sys
from pathlib import Path
import pipeline
root = Path(pipeline.__file__).parent
for path in sorted(root.rglob("*.py")):
    parts = path.relative_to(root.parent).with_suffix("").parts
    if parts[1] not in ("fakes", "demo") and parts[-1] != "__main__":
        importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
print(sorted(n for n in sys.modules if n.startswith("pipeline.fakes")))
"""


def test_no_production_module_loads_the_fake_discogs_api(tmp_path):
    done = subprocess.run([sys.executable, "-c", LOAD_EVERYTHING], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _sources_mentioning(pattern: str) -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pipeline").rglob("*.py")
                  if re.search(pattern, p.read_text(encoding="utf-8")))


def test_only_the_settings_module_reads_the_environment():
    assert _sources_mentioning(r"os\.environ|os\.getenv|getenv\(") == ["pipeline/config.py"]


def test_only_public_dagster_apis_are_used():
    assert _sources_mentioning(r"dagster\._core|from dagster\._") == []
