"""Issue 19, case passwords: the list given with `lccu process --passwords` opens the
encrypted archive, yet no password lands in the database (run options, custody, audit), the
store's derived objects, the report, `lccu status --json` or the worker logs; the list is
kept sealed in the derived store only while the run needs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, select, text

from lccu.evidence.db import make_engine
from lccu.testing.archives import CASE_PASSWORD, ArchiveDisk, build_archive_disk
from tests.tasks.conftest import Unit
from tests.tasks.helpers import load_report

SECRET = CASE_PASSWORD.encode()
MIB = 1024 * 1024
LIMITS = {"LCCU_ARCHIVE_MAX_TOTAL_BYTES": str(24 * MIB), "LCCU_ARCHIVE_MAX_RATIO": "100"}


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> ArchiveDisk:
    built = build_archive_disk(tmp_path_factory.mktemp("pw") / "disk.img", hostile=False)
    assert SECRET not in built.image.read_bytes()  # the image itself never holds it
    return built


def _database_text(url: str) -> str:
    """Every row of every table (run options, custody, audit, ...), as text."""
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    try:
        with engine.connect() as conn:
            return "\n".join(
                repr(row) for table in meta.sorted_tables for row in conn.execute(select(table))
            )
    finally:
        engine.dispose()


def _files_holding(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and SECRET in p.read_bytes()]


def _process(
    unit: Unit, disk: ArchiveDisk, tmp_path: Path, *args: str, **env: str
) -> tuple[Any, str, dict[str, Any]]:
    listing = tmp_path / "case.txt"
    listing.write_text(f"wrong-one\n{CASE_PASSWORD}\n", "utf-8")
    evidence = unit.add_image("vlas_inv", disk.image, "A1")
    done = unit.cli(
        "process",
        evidence,
        "--passwords",
        str(listing),
        "--carve",
        "none",
        "--no-yara",
        "--json",
        *args,
        **LIMITS,
        **env,
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in (done.stdout + done.stderr).encode()
    status = json.loads(done.stdout)
    assert status["state"] == "done", status
    return unit.lab("vlas_inv"), evidence, status


def _check(unit: Unit, disk: ArchiveDisk, lab: Any, evidence: str, status: dict[str, Any]) -> None:
    report = load_report(lab, status["report"])
    locked = next(a for a in disk.archives if a.name == "locked.zip")
    opened = [m for m in report["members"] if m["provenance"].endswith("locked.zip -> photo.jpg")]
    assert [m["sha256"] for m in opened] == [locked.members["photo.jpg"]]
    assert opened[0]["exported"]  # the encrypted member was extracted to the store
    assert SECRET not in json.dumps(report).encode()
    assert CASE_PASSWORD not in _database_text(lab.settings.database_url)
    again = unit.cli("status", evidence, "--json")
    assert again.returncode == 0 and CASE_PASSWORD not in again.stdout
    # LCCU_HOME: the SQLite database, the local store (evidence, every derived object, the
    # HTML report), logs; the sealed list is gone once the archives stage ended
    assert _files_holding(Path(lab.settings.home)) == []
    assert not list(Path(lab.settings.home).rglob("*.sealed"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_embedded_run_keeps_passwords_out(unit: Unit, disk: ArchiveDisk, tmp_path: Path) -> None:
    """Embedded `lccu process --passwords`: the member opens, the password is nowhere."""
    lab, evidence, status = _process(unit, disk, tmp_path, LCCU_REDIS_URL="")
    _check(unit, disk, lab, evidence, status)


def test_worker_run_keeps_passwords_out(
    unit: Unit, workers, disk: ArchiveDisk, tmp_path: Path
) -> None:
    """The same through a worker process (server mode): its log never holds the password."""
    workers()
    lab, evidence, status = _process(unit, disk, tmp_path, "--wait")
    assert {s["worker"] for s in status["stages"]} != {None}
    _check(unit, disk, lab, evidence, status)
    assert _files_holding(tmp_path) == [tmp_path / "case.txt"]  # worker logs are clean


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def _downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to ``revision`` through the migrations' own downgrades."""
    from alembic import command

    from lccu.evidence.db import _alembic_config

    config = _alembic_config(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # batch mode rebuilds tables others refer to
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
        conn.commit()


def test_upgrade_scrubs_old_plaintext_lists(unit: Unit, disk: ArchiveDisk, tmp_path: Path) -> None:
    """A run stored before migration 0014 with its list in plain text: `lccu db upgrade`
    removes it from the options (and from the SQLite file's bytes)."""
    lab, _evidence, status = _process(unit, disk, tmp_path, LCCU_REDIS_URL="")
    _downgrade(lab.db.engine, "0014")  # the schema as it was, newer tables and all gone
    with lab.db.engine.begin() as conn:
        options = json.loads(
            conn.execute(
                text("SELECT options FROM processing_runs WHERE id = :i"), {"i": status["run"]}
            ).scalar()
        )
        options.pop("passwords_ref", None)
        options["passwords"] = ["wrong-one", CASE_PASSWORD]
        conn.execute(
            text("UPDATE processing_runs SET options = :o WHERE id = :i"),
            {"o": json.dumps(options), "i": status["run"]},
        )
        conn.execute(text("UPDATE alembic_version SET version_num = '0013'"))
    lab.db.dispose()
    assert CASE_PASSWORD in _database_text(lab.settings.database_url)
    upgraded = unit.cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert CASE_PASSWORD not in _database_text(lab.settings.database_url)
    database = Path(lab.settings.database_url.removeprefix("sqlite:///"))
    assert [p for p in _files_holding(database.parent) if p.name.startswith(database.name)] == []
