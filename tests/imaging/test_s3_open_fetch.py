"""Opening a multi-segment E01 kept in S3 fetches about what libewf reads, not whole blocks.

Format detection reads a container's first bytes, libewf a few sections at the head and the
tail of every segment: before, each of those small reads fetched an 8 MiB block (twice:
detection's blocks were dropped when the segments joined one cache) and repeated reads
inside a block started read-ahead of the next three, so opening a 3-segment E01 fetched
more than the whole image. The count is the S3 source's own (bytes received from ranged
GETs); the server is the shared SeaweedFS.
"""

from __future__ import annotations

import hashlib
import random
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lccu.config import Settings
from lccu.hashing import hash_stream
from lccu.imaging import open_image
from lccu.storage.s3 import READ_PAGE, S3Store
from tests.imaging.conftest import _tool

pytestmark = pytest.mark.s3
MIB = 1024 * 1024


@dataclass(frozen=True)
class SplitE01:
    raw: bytes
    segments: list[Path]


@pytest.fixture(scope="module")
def split_e01(tmp_path_factory: pytest.TempPathFactory) -> SplitE01:
    """40 MiB of media (random, 8 MiB of zeros, random) acquired by ewfacquire into three
    deflate segments of at most 12 MiB: each segment is larger than one 8 MiB read block."""
    work = tmp_path_factory.mktemp("s3open")
    raw = (random.Random(11).randbytes(24 * MIB) + bytes(8 * MIB)
           + random.Random(12).randbytes(8 * MIB))  # fmt: skip
    (work / "disk.raw").write_bytes(raw)
    subprocess.run([_tool("ewfacquire"), "-u", "-d", "sha1", "-c", "deflate:fast",
                    "-S", str(12 * MIB), "-t", str(work / "disk"), str(work / "disk.raw")],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    segments = sorted(work.glob("disk.E*"))
    assert [p.suffix for p in segments] == [".E01", ".E02", ".E03"]
    assert all(p.stat().st_size > 8 * MIB for p in segments)
    return SplitE01(raw, segments)


class _Requested:
    """Counts the bytes asked of a segment stream (``pread``: what detection and libewf
    read, cached or not); the reads still go to the stream."""

    def __init__(self, pread: Callable[[int, int], bytes]) -> None:
        self._pread, self.bytes = pread, 0

    def __call__(self, offset: int, length: int) -> bytes:
        data = self._pread(offset, length)
        self.bytes += len(data)
        return data


class _Threads:
    """Records the names of the threads that fetch from S3 (read-ahead or the reader)."""

    def __init__(self, read_range: Callable[[int, int], bytes]) -> None:
        self._read_range, self.names, self._lock = read_range, set(), threading.Lock()

    def __call__(self, offset: int, length: int) -> bytes:
        with self._lock:
            self.names.add(threading.current_thread().name.split("_")[0])
        return self._read_range(offset, length)


@pytest.fixture
def stored(split_e01: SplitE01, s3_settings: Settings) -> Iterator[tuple[S3Store, list[Any]]]:
    store = S3Store(s3_settings)
    records = []
    for path in split_e01.segments:
        with path.open("rb") as fh:
            records.append(store.put_evidence(f"e01/{path.name}", fh, size=path.stat().st_size))
    yield store, records
    store.close()


def _open(store: S3Store, records: list[Any]) -> dict[str, Any]:
    return {r.key.rsplit("/", 1)[-1]: store.open_evidence(r) for r in records}


def test_open_and_a_small_read_fetch_about_what_is_read(
    split_e01: SplitE01, stored: tuple[S3Store, list[Any]]
) -> None:
    """Opening the 3-segment E01 and reading 4 KiB of its media fetch at most 1.2 times the
    bytes detection and libewf asked of the segments, plus four 64 KiB pages per segment;
    the 4 KiB read itself fetches under 1 MiB. (The old reader fetched 67,231,808 bytes to
    open 33,615,904 stored: every segment's first and last block, twice; this one 323,616
    and 454,688 after the read, for 88,371 asked.)"""
    store, records = stored
    streams = _open(store, records)
    asked = {name: _Requested(s.pread) for name, s in streams.items()}
    for name, stream in streams.items():
        stream.pread = asked[name]

    def fetched() -> int:
        return sum(s.source.fetched for s in streams.values())

    with open_image(streams) as image:
        assert image.media is not None and image.media.format == "ewf"
        opened = fetched()
        image.seek(5 * MIB + 123)
        assert image.read(4096) == split_e01.raw[5 * MIB + 123 : 5 * MIB + 123 + 4096]
        total = fetched()
        requested = sum(a.bytes for a in asked.values())
    stored_bytes = sum(r.size for r in records)
    bound = 1.2 * requested + len(records) * 4 * READ_PAGE
    report = (f"fetched {opened:,} bytes to open, {total:,} after a 4 KiB read; the segments"
              f" were asked for {requested:,}; stored {stored_bytes:,}")  # fmt: skip
    assert total <= bound, report
    assert total - opened < MIB, report


def test_sequential_media_hash_still_reads_ahead(
    split_e01: SplitE01, stored: tuple[S3Store, list[Any]]
) -> None:
    """Hashing the whole media from S3 gives the local raw image's hashes, fetches each
    stored byte about once (the old reader fetched each twice: 67,231,808 bytes), and the
    segments are fetched by read-ahead threads (a sequential pass keeps its prefetch)."""
    store, records = stored
    streams = _open(store, records)
    threads = {name: _Threads(s.source.read_range) for name, s in streams.items()}
    for name, stream in streams.items():
        stream.source.read_range = threads[name]
    with open_image(streams) as image:
        digests = hash_stream(image)
        fetched = sum(s.source.fetched for s in streams.values())
    raw = split_e01.raw
    assert (digests.size, digests.md5, digests.sha256) == (
        len(raw),
        hashlib.md5(raw).hexdigest(),
        hashlib.sha256(raw).hexdigest(),
    )
    stored_bytes = sum(r.size for r in records)
    assert stored_bytes <= fetched <= 1.1 * stored_bytes, (fetched, stored_bytes)
    for name, seen in threads.items():
        assert "readahead" in seen.names, (name, seen.names)


@pytest.mark.parametrize("fmt", ["qcow2", "vmdk-sparse", "vhd-dynamic", "vhdx"])
def test_other_containers_open_by_pages(fmt: str, s3_settings: Settings, tmp_path: Path) -> None:
    """A QCOW2, sparse VMDK, dynamic VHD or VHDX of 24 MiB in S3 opens and reads 4 KiB of
    its disk with under 1 MiB fetched (the old reader fetched at least one 8 MiB block to
    open each, and up to the whole file for the read)."""
    from lccu.testing.formats import QEMU_FORMATS, run, tool

    raw = random.Random(13).randbytes(24 * MIB)
    (tmp_path / "disk.raw").write_bytes(raw)
    qemu_format, options = QEMU_FORMATS[fmt]
    container = tmp_path / f"disk.{qemu_format}"
    run(tool("qemu-img", "qemu-utils"), "convert", "-f", "raw", "-O", qemu_format, *options,
        str(tmp_path / "disk.raw"), str(container))  # fmt: skip
    store = S3Store(s3_settings)
    with container.open("rb") as fh:
        record = store.put_evidence(f"disk/{container.name}", fh, size=container.stat().st_size)
    stream = store.open_evidence(record)
    with open_image({container.name: stream}) as image:
        image.seek(9 * MIB + 777)
        assert image.read(4096) == raw[9 * MIB + 777 : 9 * MIB + 777 + 4096]
        fetched = stream.source.fetched
    assert fetched < MIB, f"{fetched:,} bytes fetched of {record.size:,} stored"
