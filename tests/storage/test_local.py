"""Local-store specifics: temp-file hygiene and the choice made by open_store."""

from __future__ import annotations

import dataclasses
import io
import os
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


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here")
def test_large_copy_goes_to_disk_while_it_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large evidence copy is handed to the disk in steps as it is copied (and its cached
    pages let go), not all at the final fsync: when the source's last block is read, the
    first whole steps have been sent to be written; the copy is still fsynced before it is
    linked into place and its bytes and hashes are the source's."""
    import hashlib
    import random

    calls: list[tuple[int, int]] = []
    real_advise, real_fsync = os.posix_fadvise, os.fsync
    synced: list[int] = []

    def spy_advise(fd: int, offset: int, length: int, advice: int) -> None:
        if advice == os.POSIX_FADV_DONTNEED:
            calls.append((offset, length))
        real_advise(fd, offset, length, advice)

    def spy_fsync(fd: int) -> None:
        synced.append(len(calls))
        real_fsync(fd)

    monkeypatch.setattr(os, "posix_fadvise", spy_advise)
    monkeypatch.setattr(os, "fsync", spy_fsync)
    size = 100 * 1024 * 1024 + 12_345
    data = random.Random(3).randbytes(size)

    class Source(io.BytesIO):
        """The data; notes how many steps were sent to disk when its end was reached."""

        at_end: int | None = None

        def read(self, n: int | None = -1, /) -> bytes:
            block = super().read(n)
            if self.tell() == size and self.at_end is None:
                self.at_end = len(calls)
            return block

    source = Source(data)
    record = LocalStore(tmp_path / "ev").put_evidence("big.raw", source, size=size)
    assert source.at_end is not None and source.at_end >= 2, calls
    step = calls[0][1]
    assert step <= 40 * 1024 * 1024 and calls[0] == (0, step)
    assert {(0, step), (step, step)} <= set(calls[: source.at_end])
    assert synced and synced[0] >= source.at_end  # fsynced after the steps, before the link
    assert (tmp_path / "ev" / "big.raw").read_bytes() == data
    assert record.digests.sha256 == hashlib.sha256(data).hexdigest()
