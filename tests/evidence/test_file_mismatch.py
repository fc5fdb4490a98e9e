"""The file browser's "extension mismatch" filter (issue 20): files whose sniffed MIME type
disagrees with their extension (a picture named .txt), on both engines; the verdict is a
stored, indexed column (migration 0023), filled in for rows indexed before it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from lccu.evidence.db import _alembic_config, make_engine
from lccu.evidence.file_index import FileRow, rows_of
from lccu.evidence.file_types import mismatches
from lccu.evidence.lab_files import FileFilter, _where

ROWS = {  # path -> (ext, sniffed MIME)
    "/holiday.jpg": ("jpg", "image/jpeg"),
    "/disguised.txt": ("txt", "image/jpeg"),  # a picture renamed
    "/notes.txt": ("txt", "text/plain"),
    "/invoice.pdf": ("pdf", "application/zip"),
    "/empty.txt": ("txt", "application/x-empty"),  # nothing to disagree with
    "/blob.bin": ("bin", "application/octet-stream"),  # no expectation for .bin
    "/README": (None, "text/plain"),
    "/unsniffed.png": ("png", None),
    "/SHOUTING.PDF": ("pdf", "APPLICATION/PDF"),  # case does not matter
    "/program.exe": ("exe", "application/x-executable"),  # an ELF named .exe
}
ODD = {"/disguised.txt", "/invoice.pdf", "/program.exe"}


def _upgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        cfg = _alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def test_extension_mismatch_filter(database_url: str) -> None:
    """Rows indexed before migration 0023 get the verdict the rule gives; the filter then
    finds exactly the disguised files, and its negation all the others."""
    from tests.evidence.test_db_upgrade import migrate_to

    migrate_to(database_url, "0022")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            for n, (path, (ext, mime)) in enumerate(ROWS.items()):
                conn.execute(text(
                    "INSERT INTO file_index (id, run_id, evidence_id, seq, source, path, name, "
                    "ext, mime, allocated, kind, hits, rules, entry) VALUES (:n, 'r1', 'e1', :n, "
                    "'file', :p, :p, :e, :m, true, 'file', 0, '', '{}')"),
                    {"n": n + 1, "p": path, "e": ext, "m": mime})
        _upgrade(database_url, "head")
        with engine.begin() as conn:

            def paths(mismatch: bool) -> set[str]:
                query = _where(select(FileRow.path).where(FileRow.run_id == "r1"),
                               FileFilter(ext_mismatch=mismatch).checked(), "e1")
                return set(conn.scalars(query))

            assert paths(True) == ODD
            assert paths(False) == set(ROWS) - ODD
    finally:
        engine.dispose()


def test_indexing_a_report_stores_the_verdict() -> None:
    """A report's rows carry the verdict the same rule gives, whatever the case of the
    MIME type; files of an extension that promises nothing never mismatch."""
    files = [{"volume": 2, "path": p, "inode": n, "size": 1, "allocated": True,
              "kind": "file", "mtime": None, "mime": mime}
             for n, (p, (_ext, mime)) in enumerate(ROWS.items())]
    rows = {r["path"]: r["ext_mismatch"] for r in rows_of({"files": files}, "r1", "e1")}
    assert {p for p, odd in rows.items() if odd} == ODD
    assert mismatches("txt", "image/png") and not mismatches("dat", "image/png")
    assert not mismatches(None, "image/png") and not mismatches("txt", None)


def test_the_filter_uses_its_index(database_url: str) -> None:
    """On PostgreSQL, a run of 100,000 files with 3 mismatches is filtered through the index
    on (run_id, ext_mismatch), not by reading the run's rows."""
    from tests.evidence.test_db_upgrade import migrate_to

    migrate_to(database_url, "head")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name != "postgresql":
                names = {r[0] for r in conn.execute(text(
                    "SELECT name FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'file_index'"))}
                assert "ix_file_index_run_ext_mismatch" in names
                return
            conn.execute(text(
                "INSERT INTO file_index (id, run_id, evidence_id, seq, source, volume, path, "
                "name, ext, mime, allocated, kind, hits, rules, entry, ext_mismatch) SELECT n, "
                "'r1', 'e1', n, 'file', 2, format('/dir%s/file%s.txt', n % 100, n), "
                "format('file%s.txt', n), 'txt', 'text/plain', true, 'file', 0, '', '{}', "
                "n % 40000 = 7 FROM generate_series(0, 99999) AS n"))
            conn.execute(text("ANALYZE file_index"))
            query = _where(select(FileRow.id).where(FileRow.run_id == "r1"),
                           FileFilter(ext_mismatch=True).checked(), "e1")
            assert len(conn.scalars(query).all()) == 3
            compiled = query.compile(engine)
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}",
                                                                 compiled.params))
            assert "ix_file_index_run_ext_mismatch" in plan, plan
    finally:
        engine.dispose()
