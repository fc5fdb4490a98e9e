"""Schema upgrades: `lccu db upgrade` moves a database at the last release's schema to the
code's, and lccu refuses to run against an older or newer schema, naming the fix."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text

from lccu.evidence.db import _alembic_config, make_engine, schema_state
from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.pytest_db import _pg_base

#: the newest migration of the last deployed release (main before this round's work, 79d1da0)
LAST_RELEASE_HEAD = "0005"


def lccu(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_lccu(*args, env=lccu_env(tmp_path / "home", LCCU_DATABASE_URL=url), cwd=tmp_path)


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
            conn.execute(
                text(
                    "INSERT INTO zones (name, created_at) "
                    "VALUES ('PZ Vlas', '2026-01-01T00:00:00+00:00')"
                )
            )
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


def test_path_search_uses_a_trigram_index(database_url: str) -> None:
    """ "Path contains" (issue 20's file table) is served by a pg_trgm index on PostgreSQL
    (migration 0021): without it the query read every row of a run, 1.3 s for 1,000,000
    files. SQLite has no such index and keeps its plain scan."""
    from sqlalchemy import select

    from lccu.evidence.file_index import FileRow
    from lccu.evidence.lab_files import FileFilter, _where

    migrate_to(database_url, "head")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            names = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT indexname FROM pg_indexes WHERE tablename = 'file_index'"
                        if engine.dialect.name == "postgresql"
                        else "SELECT name FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = 'file_index'"
                    )
                )
            ]
            assert "ix_file_index_run_source" in names  # the origin filter's (0022)
            if engine.dialect.name != "postgresql":
                assert "ix_file_index_path_trgm" not in names
                return
            assert "ix_file_index_path_trgm" in names
            conn.execute(
                text(  # one run of 100,000 files: enough for the index to pay
                    "INSERT INTO file_index (id, run_id, evidence_id, seq, source, volume, path, "
                    "name, ext, allocated, kind, hits, rules, entry) SELECT n, 'r1', 'e1', n, "
                    "'file', 2, format('/dir%s/file%s.txt', n % 100, lpad(n::text, 7, '0')), "
                    "format('file%s.txt', lpad(n::text, 7, '0')), 'txt', true, 'file', 0, '', "
                    "'{}' FROM generate_series(0, 99999) AS n"
                )
            )
            conn.execute(text("ANALYZE file_index"))
            query = _where(
                select(FileRow.id).where(FileRow.run_id == "r1"),
                FileFilter(name="FILE00042").checked(),
                "e1",
            )
            found = conn.scalars(query).all()
            assert len(found) == 100  # any case, as before (file0004200-file0004299)
            compiled = query.compile(engine)
            plan = "\n".join(
                r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
            )
            assert "ix_file_index_path_trgm" in plan, plan
    finally:
        engine.dispose()


@contextmanager
def unprivileged_database() -> Iterator[str]:
    """A new database and a role that owns its ``public`` schema but is no superuser and has
    no CREATE on the database, so it may not create extensions (not even trusted ones such
    as pg_trgm); both dropped on exit. Yields the role's URL of that database."""
    name = f"lccu_noext_{uuid.uuid4().hex[:12]}"
    base = make_url(_pg_base())
    server = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER postgres'))
        inside = create_engine(base.set(database=name), isolation_level="AUTOCOMMIT")
        try:
            with inside.connect() as conn:
                conn.execute(text(f'ALTER SCHEMA public OWNER TO "{name}"'))
                assert not conn.execute(
                    text(
                        "SELECT has_database_privilege(:role, current_database(), 'CREATE') "
                        "OR EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_trgm')"
                    ),
                    {"role": name},
                ).scalar()
        finally:
            inside.dispose()
        yield base.set(username=name, database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        server.dispose()


@pytest.mark.postgres
def test_upgrade_without_the_right_to_create_pg_trgm(tmp_path: Path) -> None:
    """Where the database user may not create the pg_trgm extension, `lccu db upgrade` still
    reaches the code's head, prints a notice naming the index to create by hand, leaves the
    index out, and "path contains" still finds exactly the files whose path has the text
    (any case, wildcards literal)."""
    from sqlalchemy import select

    from lccu.evidence.file_index import FileRow
    from lccu.evidence.lab_files import FileFilter, _where

    with unprivileged_database() as url:
        migrate_to(url, "0020")
        upgraded = lccu(tmp_path, url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        assert "notice: pg_trgm is not available" in upgraded.stderr
        assert "CREATE INDEX ix_file_index_path_trgm ON file_index" in upgraded.stderr
        engine = make_engine(url)
        try:
            assert revision_of(url) == schema_state(engine).head
            assert lccu(tmp_path, url, "db", "status").returncode == 0
            paths = [f"/dir{n % 7}/File{n:05d}.txt" for n in range(2000)]
            paths += ["/odd/100%_sure.txt", "/odd/100x_sure.txt"]
            with engine.begin() as conn:
                indexes = conn.execute(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'file_index'")
                )
                assert "ix_file_index_path_trgm" not in set(indexes.scalars())
                conn.execute(
                    text(
                        "INSERT INTO file_index (id, run_id, evidence_id, seq, source, volume, "
                        "path, name, ext, allocated, kind, hits, rules, entry) VALUES (:n, 'r1', "
                        "'e1', :n, 'file', 2, :path, 'x.txt', 'txt', true, 'file', 0, '', '{}')"
                    ),
                    [{"n": n, "path": path} for n, path in enumerate(paths)],
                )
                for needle in ("FILE0004", "dir3/file0199", "100%_", "no such file"):
                    query = _where(
                        select(FileRow.path).where(FileRow.run_id == "r1"),
                        FileFilter(name=needle).checked(),
                        "e1",
                    )
                    found = sorted(conn.scalars(query))
                    assert found == sorted(p for p in paths if needle.lower() in p.lower())
        finally:
            engine.dispose()
