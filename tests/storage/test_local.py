"""Local-store specifics: temp-file hygiene and the choice made by open_store."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

from lccu.config import load_settings
from lccu.storage import open_store
from lccu.storage.local import LocalStore


def test_interrupted_write_leaves_no_temp_file(tmp_path: Path) -> None:
    """A failing source leaves neither the evidence name nor a partial file on disk."""

    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            raise OSError("simulated device error")

    store = LocalStore(tmp_path / "ev")
    with pytest.raises(OSError, match="simulated"):
        store.put_evidence("a/b.raw", Broken())
    assert [p for p in (tmp_path / "ev").rglob("*") if p.is_file()] == []


def test_open_store_chooses_by_settings(tmp_path: Path) -> None:
    """Without an S3 endpoint open_store gives the local directory store under evidence_dir."""
    settings = dataclasses.replace(load_settings({"LCCU_HOME": str(tmp_path)}),
                                   evidence_dir=tmp_path / "evidence")  # fmt: skip
    store = open_store(settings)
    assert isinstance(store, LocalStore) and store.root == (tmp_path / "evidence").resolve()


def test_changed_file_is_an_integrity_error(tmp_path: Path) -> None:
    """A file whose size differs from the intake record is refused with IntegrityError."""
    from lccu.errors import IntegrityError

    store = LocalStore(tmp_path / "ev")
    record = store.put_evidence("x.raw", io.BytesIO(b"12345"))
    path = tmp_path / "ev" / "x.raw"
    path.chmod(0o644)
    path.write_bytes(b"123456")
    with pytest.raises(IntegrityError):
        store.open_evidence(record)
