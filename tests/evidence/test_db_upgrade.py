"""Schema upgrades: `lccu db upgrade` moves a database at the last release's schema to the
code's, and lccu refuses to run against an older or newer schema, naming the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from lccu.evidence.db import _alembic_config, make_engine, schema_state
from lccu.testing.keys import KEY_ENV

#: the newest migration of the last deployed release (main before this round's work, 79d1da0)
LAST_RELEASE_HEAD = "0005"


def lccu(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env |= {"LCCU_HOME": str(tmp_path / "home"), "LCCU_DATABASE_URL": url, **KEY_ENV}
    return subprocess.run([sys.executable, "-m", "lccu.cli.main", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)


def migrate_to(url: str, revision: str) -> None:
    """Build the schema as it was at ``revision`` with the shipped migrations, and put a
    zone in it."""
    engine = make_engine(url)
    try:
        cfg = _alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO zones (name, created_at) "
                              "VALUES ('PZ Vlas', '2026-01-01T00:00:00+00:00')"))
    finally:
        engine.dispose()


def revision_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def test_upgrade_from_the_last_release(database_url: str, tmp_path: Path) -> None:
    """A database at the last release's schema is upgraded to the code's head by `lccu db
    upgrade`, keeps its rows, and is then used normally."""
    migrate_to(database_url, LAST_RELEASE_HEAD)
    engine = make_engine(database_url)
    head = schema_state(engine).head
    engine.dispose()
    upgraded = lccu(tmp_path, database_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    if head != LAST_RELEASE_HEAD:
        assert f"schema {LAST_RELEASE_HEAD} -> {head}" in upgraded.stdout
    assert revision_of(database_url) == head
    assert lccu(tmp_path, database_url, "db", "status").returncode == 0
    assert lccu(tmp_path, database_url, "zone", "list").stdout.split("\n")[0] == "PZ Vlas"
    again = lccu(tmp_path, database_url, "db", "upgrade")
    assert "already up to date" in again.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_older_schema_is_refused_with_the_command(database_url: str, tmp_path: Path) -> None:
    """A schema one migration behind the code stops every command with exit 2 and `lccu db
    upgrade`; nothing is migrated behind the operator's back."""
    engine = make_engine(database_url)
    known = schema_state(engine).known
    engine.dispose()
    migrate_to(database_url, known[-2])
    refused = lccu(tmp_path, database_url, "zone", "list")
    assert refused.returncode == 2
    assert f"is at schema {known[-2]}, this lccu needs {known[-1]}" in refused.stderr
    assert "`lccu db upgrade`" in refused.stderr
    assert revision_of(database_url) == known[-2]
    assert lccu(tmp_path, database_url, "db", "status").returncode == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_newer_schema_is_refused(database_url: str, tmp_path: Path) -> None:
    """A schema this code does not know (written by a newer lccu) is refused, also by `lccu
    db upgrade`, with the advice to install the matching version."""
    assert lccu(tmp_path, database_url, "zone", "add", "PZ Vlas").returncode == 0  # created
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for args in (["zone", "list"], ["db", "upgrade"]):
        refused = lccu(tmp_path, database_url, *args)
        assert refused.returncode == 2
        assert "is at schema 9999, newer than this lccu knows" in refused.stderr
