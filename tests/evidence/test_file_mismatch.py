"""The file browser's "extension mismatch" filter (issue 20): files whose sniffed MIME type
disagrees with their extension (a picture named .txt), on both engines."""

from __future__ import annotations

from sqlalchemy import select, text

from lccu.evidence.db import make_engine
from lccu.evidence.file_index import FileRow
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
}


def test_extension_mismatch_filter(database_url: str) -> None:
    from tests.evidence.test_db_upgrade import migrate_to

    migrate_to(database_url, "head")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            for n, (path, (ext, mime)) in enumerate(ROWS.items()):
                conn.execute(text(
                    "INSERT INTO file_index (id, run_id, evidence_id, seq, source, path, name, "
                    "ext, mime, allocated, kind, hits, rules, entry) VALUES (:n, 'r1', 'e1', :n, "
                    "'file', :p, :p, :e, :m, true, 'file', 0, '', '{}')"),
                    {"n": n + 1, "p": path, "e": ext, "m": mime})

            def paths(mismatch: bool) -> set[str]:
                query = _where(select(FileRow.path).where(FileRow.run_id == "r1"),
                               FileFilter(ext_mismatch=mismatch).checked(), "e1")
                return set(conn.scalars(query))

            assert paths(True) == {"/disguised.txt", "/invoice.pdf"}
            assert paths(False) == set(ROWS) - {"/disguised.txt", "/invoice.pdf"}
    finally:
        engine.dispose()
