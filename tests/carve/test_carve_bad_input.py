"""Bad input: noise, zeros, truncated files, dense signatures and invalid arguments."""

from __future__ import annotations

import hashlib
import io
import random
import time
from pathlib import Path

import pytest

from lccu.carve import carve
from lccu.errors import InvalidInput, LccuError
from lccu.testing import samples


def test_random_bytes_give_no_validated_records(rng: random.Random, carve_bytes) -> None:
    """Eight MiB of seeded random bytes yield no validated record."""
    image = rng.randbytes(8 * 1024 * 1024)
    assert [c for c in carve_bytes(image) if c.validated] == []


def test_zero_filled_image_gives_nothing(carve_bytes) -> None:
    """A zero-filled image yields no records at all."""
    assert carve_bytes(bytes(4 * 1024 * 1024)) == []


def test_empty_image_gives_nothing(carve_bytes) -> None:
    """A zero-length image is a documented empty result, not an error."""
    assert carve_bytes(b"") == []


@pytest.mark.parametrize("kind", sorted(samples.BUILDERS))
def test_file_cut_by_image_end_is_unvalidated(kind: str, rng: random.Random, carve_bytes) -> None:
    """A file cut short by the image end is never reported as validated, and says why."""
    data = samples.BUILDERS[kind](rng)
    cut = data[: len(data) * 2 // 3]
    image = rng.randbytes(3000) + cut
    records = [c for c in carve_bytes(image) if c.offset == 3000]
    for record in records:
        assert record.validated is False and record.note
        assert record.length <= len(cut)


# BMP, WAV and SQLite state their size up front and have no trailer: an overwritten tail
# cannot be seen from the structure, so they are not in this list (see docs).
@pytest.mark.parametrize("kind", ["jpeg", "png", "gif", "pdf", "zip", "mp4", "evtx", "7z"])
def test_truncated_then_overwritten_is_unvalidated(
    kind: str, rng: random.Random, carve_bytes
) -> None:
    """A file whose tail was overwritten by other data is reported unvalidated with a note."""
    data = samples.BUILDERS[kind](rng)
    cut = data[: len(data) // 2]
    image = rng.randbytes(1000) + cut + rng.randbytes(200_000)
    [record] = [c for c in carve_bytes(image) if c.offset == 1000]
    assert record.validated is False
    assert record.confidence == "low" and record.note
    assert record.sha256 != hashlib.sha256(data).hexdigest()


def test_truncated_file_does_not_hide_the_next_one(rng: random.Random, carve_bytes) -> None:
    """A JPEG truncated by the start of another JPEG leaves the second one recovered exactly."""
    first, second = samples.jpeg(rng, 20_000), samples.jpeg(rng, 20_000)
    image, _ = samples.plant(rng, 60_000, [(100, "jpeg", first[:9000]),
                                          (9100, "jpeg", second)])
    records = {c.offset: c for c in carve_bytes(image)}
    assert records[100].validated is False
    assert records[9100].sha256 == hashlib.sha256(second).hexdigest()


@pytest.mark.parametrize("pattern", [b"\xff\xd8\xff", b"BM\x00\x00\x00\x00\x00\x00\x00\x00",
                                     b"PK\x03\x04", b"RIFF", b"%PDF-1."])
def test_dense_signatures_finish_quickly(pattern: bytes, carve_bytes) -> None:
    """An image packed with one header pattern finishes fast and reports nothing validated."""
    image = (pattern * (200_000 // len(pattern) + 1))[:200_000]
    started = time.monotonic()
    records = carve_bytes(image)
    assert time.monotonic() - started < 20
    assert [c for c in records if c.validated] == []


@pytest.mark.parametrize("on_disk", [False, True])
def test_size_larger_than_stream_does_not_crash(
    on_disk: bool, rng: random.Random, tmp_path: Path
) -> None:
    """A size claiming more bytes than the stream holds still yields the planted file."""
    data = samples.png(rng)
    image, _ = samples.plant(rng, 20_000, [(10, "png", data)])
    path = tmp_path / "short.dd"
    path.write_bytes(image)
    with path.open("rb") if on_disk else io.BytesIO(image) as stream:
        records = list(carve(stream, 10 * len(image)))
    assert [(c.offset, c.sha256) for c in records] == [(10, hashlib.sha256(data).hexdigest())]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"types": ["exe"]},
        {"types": []},
        {"overlap": 2},
        {"segment_size": 100},
        {"ranges": [(500, 100)]},
        {"ranges": [(-1, 100)]},
        {"ranges": [("a", "b")]},
        {"workers": 0},
    ],
)
def test_invalid_arguments_raise_invalid_input(kwargs: dict, carve_bytes) -> None:
    """Each invalid argument raises InvalidInput (an LccuError) before any reading."""
    with pytest.raises(InvalidInput) as info:
        carve_bytes(b"\x00" * 10_000, **kwargs)
    assert isinstance(info.value, LccuError)


def test_negative_size_raises_invalid_input() -> None:
    """A negative image size is refused with InvalidInput."""
    with pytest.raises(InvalidInput):
        list(carve(io.BytesIO(b""), -1))


@pytest.mark.parametrize("kind", sorted(samples.BUILDERS))
def test_mutated_headers_never_crash(kind: str, rng: random.Random, caplog) -> None:
    """Files with random bytes overwritten in their first 300 bytes never raise or hang."""
    data = samples.BUILDERS[kind](rng)
    started = time.monotonic()
    for _ in range(25):
        broken = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(min(300, len(data)))
            broken[at] = rng.randrange(256)
        image = rng.randbytes(500) + bytes(broken) + rng.randbytes(500)
        records = list(carve(io.BytesIO(image), len(image), segment_size=64 * 1024))
        assert all(r.offset + r.length <= len(image) for r in records)
    assert time.monotonic() - started < 30
    assert "dropped" not in caplog.text


def test_truncated_jpeg_followed_by_zeros_stops_at_the_zeros(
    rng: random.Random, carve_bytes
) -> None:
    """A JPEG cut short and followed by wiped (zero) space is not extended over the zeros."""
    data = samples.jpeg(rng, 50_000)
    cut = data[:30_000]
    image = rng.randbytes(100) + cut + bytes(2_000_000)
    [record] = [c for c in carve_bytes(image) if c.offset == 100]
    assert record.validated is False
    assert record.length <= len(cut)
