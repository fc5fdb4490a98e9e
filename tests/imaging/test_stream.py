"""The ImageStream contract: io semantics, bounded cache, read-ahead, and pytsk3 on top."""

from __future__ import annotations

import hashlib
import io
import random
import subprocess
import threading
from pathlib import Path

import pytest

from lccu.errors import ImageFormatError, InvalidInput
from lccu.imaging import ImageStream, open_image
from lccu.imaging.raw import FileSource


class CountingSource:
    """A real FileSource that records which ranges were fetched (and from which thread)."""

    def __init__(self, path: Path) -> None:
        self._inner = FileSource(path)
        self.name, self.size = self._inner.name, self._inner.size
        self.calls: list[tuple[int, int, str]] = []

    def read_range(self, offset: int, length: int) -> bytes:
        self.calls.append((offset, length, threading.current_thread().name))
        return self._inner.read_range(offset, length)

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def sample(tmp_path: Path) -> tuple[Path, bytes]:
    """A 1 MiB + 17 byte file of seeded random bytes."""
    data = random.Random(11).randbytes(1024 * 1024 + 17)
    path = tmp_path / "sample.raw"
    path.write_bytes(data)
    return path, data


def test_io_semantics(sample: tuple[Path, bytes]) -> None:
    """seek/tell/read follow io.RawIOBase: SEEK_CUR/END, reads past the end are empty."""
    path, data = sample
    with ImageStream(FileSource(path), block_size=4096, cache_blocks=8, read_ahead=2) as s:
        assert s.readable() and s.seekable() and not s.writable()
        assert s.seek(-10, io.SEEK_END) == len(data) - 10
        assert s.read() == data[-10:]
        assert s.read(5) == b""
        s.seek(100)
        s.seek(50, io.SEEK_CUR)
        assert s.tell() == 150 and s.read(5000) == data[150:5150]
        buffer = bytearray(7000)
        s.seek(4000)
        assert s.readinto(buffer) == 7000 and bytes(buffer) == data[4000:11000]
        s.seek(len(data) + 100)
        assert s.read(10) == b""
        with pytest.raises(InvalidInput):
            s.seek(-1)
        with pytest.raises(io.UnsupportedOperation):
            s.write(b"x")
    with pytest.raises(ValueError):
        s.read(1)


def test_cache_is_bounded_and_reused(sample: tuple[Path, bytes]) -> None:
    """The cache never holds more than cache_blocks blocks and a re-read hits the cache."""
    path, data = sample
    source = CountingSource(path)
    with ImageStream(source, block_size=4096, cache_blocks=4, read_ahead=0) as s:
        for offset in range(0, len(data), 4096):
            s.seek(offset)
            assert s.read(4096) == data[offset : offset + 4096]
            assert len(s.cache) <= 4 and s.cache.bytes <= 4 * 4096
        fetched = len(source.calls)
        s.seek(len(data) - 4096)
        s.read(100)
        assert len(source.calls) == fetched


def test_sequential_reads_prefetch(sample: tuple[Path, bytes]) -> None:
    """Sequential reads make read-ahead threads fetch the following blocks."""
    path, data = sample
    source = CountingSource(path)
    with ImageStream(source, block_size=65536, cache_blocks=8, read_ahead=3) as s:
        assert hashlib.sha256(s.read()).digest() == hashlib.sha256(data).digest()
        s.seek(0)
        digest = hashlib.sha256()
        while chunk := s.read(65536):
            digest.update(chunk)
        assert digest.digest() == hashlib.sha256(data).digest()
    assert any(name.startswith("readahead") for _, _, name in source.calls)


def test_source_errors_become_lccu_errors(sample: tuple[Path, bytes]) -> None:
    """A source that breaks (a file shrunk underneath) gives ImageFormatError, not OSError."""
    path, _ = sample
    source = FileSource(path)
    with ImageStream(source, block_size=4096, cache_blocks=4, read_ahead=0) as s:
        with path.open("r+b") as fh:
            fh.truncate(1000)
        s.seek(8192)
        with pytest.raises(ImageFormatError, match="truncated"):
            s.read(10)


def test_pytsk3_lists_e01_like_fls(corpus: Path) -> None:
    """TSK over an lccu E01 stream lists the same root entries as Debian's fls on the E01."""
    import pytsk3

    from lccu.imaging.tsk import TskImage

    image = corpus / "dfvfs" / "ext2.E01"
    listing = subprocess.run(["fls", str(image)], capture_output=True, text=True, check=True,
                             timeout=60).stdout  # fmt: skip
    expected = sorted(line.split("\t", 1)[1] for line in listing.splitlines() if "\t" in line)
    with open_image(image) as stream:
        fs = pytsk3.FS_Info(TskImage(stream, size=stream.size))
        names = sorted(
            entry.info.name.name.decode()
            for entry in fs.open_dir("/")
            if entry.info.name.name not in (b".", b"..")
        )
    assert names == expected


def test_segments_share_one_bounded_cache(sample: tuple[Path, bytes], tmp_path: Path) -> None:
    """Segments opened as separate streams read as one image and share one cache budget."""
    _, data = sample
    parts = []
    for index in range(4):
        part = tmp_path / f"seg.{index:03d}"
        part.write_bytes(data[index * 300_000 : (index + 1) * 300_000 if index < 3 else None])
        parts.append(ImageStream(FileSource(part), block_size=65536, cache_blocks=8,
                                 read_ahead=2))  # fmt: skip
    with open_image(parts) as image:
        assert hashlib.sha256(image.read()).digest() == hashlib.sha256(data).digest()
    caches = {id(part.cache) for part in parts}
    assert len(caches) == 1
    shared = parts[0].cache
    assert shared.bytes <= shared.max_bytes


@pytest.mark.parametrize("direct", [True, False])
def test_large_readinto_makes_no_second_copy(tmp_path: Path, direct: bool) -> None:
    """readinto of a 16 MiB segment fills the caller's buffer straight from a local file
    (``read_into``), or a block at a time from other sources: the traced peak stays near the
    cache (4 blocks of 1 MiB), never a second 16 MiB copy (YARA segments are read this way,
    two at a time)."""
    import tracemalloc

    data = random.Random(5).randbytes(17 * 1024 * 1024)
    path = tmp_path / "big.raw"
    path.write_bytes(data)
    buffer = bytearray(16 * 1024 * 1024 + 3)
    source = FileSource(path) if direct else CountingSource(path)
    with ImageStream(source, block_size=1024 * 1024, cache_blocks=4, read_ahead=0) as s:
        s.seek(12345)
        tracemalloc.start()
        try:
            got = s.readinto(memoryview(buffer))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert got == len(buffer) and buffer == data[12345 : 12345 + len(buffer)]
        assert s.tell() == 12345 + len(buffer)
        assert peak < 6 * 1024 * 1024
        s.seek(len(data) - 10)
        assert s.readinto(buffer) == 10 and buffer[:10] == data[-10:]


def test_large_reads_from_a_local_file_leave_the_cache_alone(tmp_path: Path) -> None:
    """Unaligned segment-sized reads of a local file (YARA's, with their look-behind) put no
    block in the cache: it keeps what small reads (a file-system walk) put there."""
    data = random.Random(6).randbytes(9 * 1024 * 1024)
    path = tmp_path / "seg.raw"
    path.write_bytes(data)
    with ImageStream(FileSource(path), block_size=1024 * 1024, cache_blocks=8,
                     read_ahead=0) as s:
        s.seek(100)
        assert s.read(10) == data[100:110]  # a small read is cached
        assert len(s.cache) == 1
        buffer = bytearray(3 * 1024 * 1024 + 512)
        for offset in (1024 * 1024 - 256, 4 * 1024 * 1024 - 256):
            s.seek(offset)
            assert s.readinto(buffer) == len(buffer)
            assert buffer == data[offset : offset + len(buffer)]
        assert len(s.cache) == 1
