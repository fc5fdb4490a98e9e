"""Bad images give a clear lccu error, never a crash from inside libewf."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lccu.errors import ImageFormatError, InvalidInput, LccuError
from lccu.imaging import open_image
from lccu.imaging.ewf import open_ewf, verify


def test_zero_byte_file(tmp_path: Path) -> None:
    """A zero-byte image file is an ImageFormatError naming the file."""
    empty = tmp_path / "empty.raw"
    empty.touch()
    with pytest.raises(ImageFormatError, match="empty"):
        open_image(empty)


def test_directory_path(tmp_path: Path) -> None:
    """A directory given as image is InvalidInput saying it is a directory."""
    with pytest.raises(InvalidInput, match="directory"):
        open_image(tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    """A path that does not exist is InvalidInput."""
    with pytest.raises(InvalidInput, match="no such"):
        open_image(tmp_path / "absent.E01")


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_e01(tmp_path: Path, corpus: Path, keep: float) -> None:
    """A truncated E01 fails with ImageFormatError on open or while reading, never silently."""
    data = (corpus / "dfvfs" / "ext2.E01").read_bytes()
    cut = tmp_path / "cut.E01"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ImageFormatError), open_image(cut) as stream:
        while stream.read(1 << 20):
            pass


def test_only_signature_e01(tmp_path: Path) -> None:
    """A file holding only the EVF signature is an ImageFormatError."""
    fake = tmp_path / "fake.E01"
    fake.write_bytes(b"EVF\x09\x0d\x0a\xff\x00" + bytes(100))
    with pytest.raises(ImageFormatError, match="not a readable EWF"):
        open_image(fake)


def _corrupt_copy(tmp_path: Path, corpus: Path, raw_offset: int) -> Path:
    """A copy of the split E01 with 64 bytes flipped inside the chunk holding ``raw_offset``."""
    raw = (corpus / "dfvfs" / "ext2.raw").read_bytes()
    data = bytearray((corpus / "dfvfs" / "ext2.split.E01").read_bytes())
    at = bytes(data).find(raw[raw_offset : raw_offset + 1024])  # chunks here are stored plain
    assert at > 0
    for offset in range(at, at + 64):
        data[offset] ^= 0xFF
    (tmp_path / "bad.E01").write_bytes(bytes(data))
    (tmp_path / "bad.E02").write_bytes((corpus / "dfvfs" / "ext2.split.E02").read_bytes())
    return tmp_path / "bad.E01"


def _verifies(image: Path) -> bool:
    try:
        source = open_ewf(image)
        try:
            return verify(source).ok
        finally:
            source.close()
    except LccuError:
        return False


def test_corrupt_chunk_fails_verification(tmp_path: Path, corpus: Path) -> None:
    """Flipped bytes in the ext2 superblock's chunk make verification fail (ewfverify agrees)."""
    bad = _corrupt_copy(tmp_path, corpus, 1024)
    assert subprocess.run(["ewfverify", "-q", str(bad)], capture_output=True).returncode != 0
    assert not _verifies(bad)


def test_corrupt_zero_chunk_fails_verification(tmp_path: Path, corpus: Path) -> None:
    """A checksum error in a chunk that held zeros fails verification too (ewfverify agrees),
    though libewf reads it as zeros and every hash still matches."""
    data = bytearray((corpus / "dfvfs" / "ext2.split.E01").read_bytes())
    third = len(data) // 3  # inside plain chunk data that holds only zeros (media 1015808)
    assert not any(data[third - 4096 : third + 4096])
    for offset in range(third, third + 64):
        data[offset] ^= 0xFF
    (tmp_path / "z.E01").write_bytes(bytes(data))
    (tmp_path / "z.E02").write_bytes((corpus / "dfvfs" / "ext2.split.E02").read_bytes())
    assert subprocess.run(["ewfverify", "-q", str(tmp_path / "z.E01")],
                          capture_output=True).returncode != 0  # fmt: skip
    assert not _verifies(tmp_path / "z.E01")


def test_missing_second_segment(tmp_path: Path, corpus: Path) -> None:
    """A split E01 without its second segment is an ImageFormatError, not a short image."""
    (tmp_path / "x.E01").write_bytes((corpus / "dfvfs" / "ext2.split.E01").read_bytes())
    with pytest.raises(ImageFormatError), open_image(tmp_path / "x.E01") as stream:
        while stream.read(1 << 20):
            pass
