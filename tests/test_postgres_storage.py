"""Production storage: the documented dagster.yaml against a real PostgreSQL server, one user's build."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI, ROOT, cli_env
from tests.postgres import binaries, temporary_server


@pytest.fixture
def postgres():
    if binaries() is None:
        pytest.skip("no PostgreSQL server binaries (Debian's postgresql package); `make test` installs them")
    with temporary_server() as variables:
        yield variables


def test_one_user_builds_with_dagster_storage_in_postgres(site, tmp_path, postgres):
    import psycopg2

    settings, fake, _ = site
    home = tmp_path / "dagster-pg"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    done = subprocess.run([*CLI, "build", "--user", "al"], env=cli_env(settings, home, **postgres),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (Path(settings.site.output_dir) / "u" / "al" / "collection" / "index.html").exists()
    assert not list(home.rglob("*.db"))  # no SQLite storage beside it: runs and events are in the database
    with psycopg2.connect(host="127.0.0.1", port=postgres["DAGSTER_PG_PORT"], user=postgres["DAGSTER_PG_USERNAME"],
                          dbname="dagster") as db, db.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM runs GROUP BY status")
        assert dict(cursor.fetchall()) == {"SUCCESS": 2}  # the user's assets, then the site index
        cursor.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
        assert cursor.fetchone()[0] == 6  # four for the user, then shared_taste and site_index
        cursor.execute("SELECT concurrency_key, count(*) FROM concurrency_slots GROUP BY concurrency_key")
        assert dict(cursor.fetchall()) == {"discogs_api": 1}
