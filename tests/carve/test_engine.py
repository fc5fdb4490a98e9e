"""The driver: segment edges, ranges, duplicates, streaming out, threads and file streams."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest

from lccu.carve import carve, mark_duplicates, read_carved
from lccu.testing import samples

SEGMENT = 64 * 1024


def _mixed(rng: random.Random, count: int, gap: int = 3000) -> list[tuple[int, str, bytes]]:
    files, at = [], 777
    kinds = sorted(samples.BUILDERS)
    for i in range(count):
        kind = kinds[i % len(kinds)]
        data = samples.BUILDERS[kind](rng)
        files.append((at, kind, data))
        at += len(data) + gap + rng.randrange(gap)
    return files


@pytest.mark.parametrize("shift", [-17, -4, -3, -2, -1, 0, 1])
def test_header_at_segment_edge_found_once(shift: int, rng: random.Random, carve_bytes) -> None:
    """A file whose header straddles (or touches) a segment edge is reported exactly once."""
    kinds = sorted(samples.BUILDERS)
    files = []
    for i, kind in enumerate(kinds):
        edge = (i * 4 + 2) * SEGMENT  # edges far enough apart for the largest sample
        files.append((edge + shift, kind, samples.BUILDERS[kind](rng)))
    image, planted = samples.plant(rng, (len(kinds) * 4 + 2) * SEGMENT, files)
    records = carve_bytes(image, segment_size=SEGMENT)
    got = [(c.offset, c.sha256) for c in records]
    assert sorted(got) == sorted(samples.keys(planted))
    assert len(set(got)) == len(got)


def test_files_longer_than_segments(rng: random.Random, carve_bytes) -> None:
    """Files spanning several segments are recovered whole; their inner bytes raise no record."""
    files = [(5000, "evtx", samples.evtx(rng, chunks=3)),
             (300_000, "jpeg", samples.jpeg(rng, 150_000))]
    image, planted = samples.plant(rng, 600_000, files)
    got = {(c.offset, c.sha256) for c in carve_bytes(image, segment_size=4096 * 8)}
    assert got == set(samples.keys(planted))


def test_many_files_all_exact_with_one_or_two_workers(rng: random.Random, carve_bytes) -> None:
    """Forty mixed files are all recovered exactly, and threading does not change the result."""
    files = _mixed(rng, 40)
    image, planted = samples.plant(rng, files[-1][0] + len(files[-1][2]) + 5000, files)
    one = carve_bytes(image, segment_size=SEGMENT, workers=1)
    two = carve_bytes(image, segment_size=SEGMENT, workers=2)
    assert one == two
    assert {(c.offset, c.sha256) for c in one} == set(samples.keys(planted))
    assert all(c.validated for c in one)


def test_ranges_restrict_header_positions(rng: random.Random, carve_bytes) -> None:
    """Only headers inside ``ranges`` are carved; a file may run past its range's end."""
    files = [(1000, "png", samples.png(rng)), (40_000, "gif", samples.gif(rng)),
             (80_000, "bmp", samples.bmp(rng)), (120_000, "pdf", samples.pdf(rng))]
    image, planted = samples.plant(rng, 150_000, files)
    records = carve_bytes(image, ranges=[(70_000, 80_001), (119_000, 121_000)])
    want = {k: p for k, p in samples.keys(planted).items() if p.offset in (80_000, 120_000)}
    assert {(c.offset, c.sha256) for c in records} == set(want)
    assert carve_bytes(image, ranges=[(1001, 39_999)]) == []


def test_mark_duplicates_uses_owner_callback(rng: random.Random, carve_bytes) -> None:
    """Carved files starting where an allocated file starts get that owner's identity."""
    files = _mixed(rng, 6)
    image, planted = samples.plant(rng, files[-1][0] + len(files[-1][2]) + 1000, files)
    owners = {planted[1].offset: ("inode", 42), planted[4].offset: ("inode", 77)}
    marked = list(mark_duplicates(carve_bytes(image), owners.get))
    assert {c.offset: c.duplicate_of for c in marked if c.duplicate_of} == owners
    assert sum(c.duplicate_of is None for c in marked) == len(planted) - 2


def test_read_carved_streams_exact_bytes(rng: random.Random, carve_bytes) -> None:
    """read_carved yields, in bounded pieces, exactly the planted bytes."""
    data = samples.jpeg(rng, 100_000)
    image, _ = samples.plant(rng, 150_000, [(333, "jpeg", data)])
    [record] = carve_bytes(image)
    pieces = list(read_carved(io.BytesIO(image), record, chunk_size=7000))
    assert max(len(p) for p in pieces) <= 7000
    assert hashlib.sha256(b"".join(pieces)).hexdigest() == hashlib.sha256(data).hexdigest()


def test_real_file_stream_matches_memory(rng: random.Random, tmp_path: Path, carve_bytes) -> None:
    """Carving an on-disk image (os.pread path) gives the same records as in memory."""
    files = _mixed(rng, 12)
    image, planted = samples.plant(rng, files[-1][0] + len(files[-1][2]) + 1000, files)
    path = tmp_path / "image.dd"
    path.write_bytes(image)
    with path.open("rb") as stream:
        from_disk = list(carve(stream, len(image), segment_size=SEGMENT))
    assert from_disk == carve_bytes(image, segment_size=SEGMENT)
    assert {(c.offset, c.sha256) for c in from_disk} == set(samples.keys(planted))


def test_jpeg_overwriting_a_bmp_tail_is_still_carved(rng: random.Random, carve_bytes) -> None:
    """A JPEG written over a BMP's pixel bytes is carved, with a note naming the BMP."""
    bitmap = samples.bmp(rng, 300, 200)
    photo = samples.jpeg(rng, 30_000)
    inside = 1000 + len(bitmap) - len(photo) - 100
    image, _ = samples.plant(rng, 1000 + len(bitmap) + 5000,
                             [(1000, "bmp", bitmap), (inside, "jpeg", photo)])
    records = {c.offset: c for c in carve_bytes(image)}
    assert records[1000].length == len(bitmap)
    assert records[inside].sha256 == hashlib.sha256(photo).hexdigest()
    assert "inside the bmp carved at 1000" in (records[inside].note or "")


def test_lccu_image_stream_is_carved_through_pread(rng: random.Random, tmp_path: Path) -> None:
    """An lccu ImageStream over a raw file carves the same planted files exactly."""
    from lccu.imaging.raw import FileSource
    from lccu.imaging.stream import ImageStream

    files = _mixed(rng, 11)
    image, planted = samples.plant(rng, files[-1][0] + len(files[-1][2]) + 1000, files)
    path = tmp_path / "image.raw"
    path.write_bytes(image)
    stream = ImageStream(FileSource(path), block_size=64 * 1024, cache_blocks=8)
    try:
        records = list(carve(stream, stream.size, segment_size=SEGMENT))
        assert {(c.offset, c.sha256) for c in records} == set(samples.keys(planted))
        first = records[0]
        body = b"".join(read_carved(stream, first))
        assert hashlib.sha256(body).hexdigest() == first.sha256
    finally:
        stream.close()
