"""Each format's carver recovers planted sample files exactly."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile

import pytest

from lccu.testing import samples

KINDS = sorted(samples.BUILDERS)
EXPECTED_TYPE = {"riff": "wav"}


@pytest.mark.parametrize("kind", KINDS)
def test_planted_file_recovered_exactly(kind: str, rng: random.Random, carve_bytes) -> None:
    """A planted file of each format is carved at its offset with its exact SHA-256."""
    data = samples.BUILDERS[kind](rng)
    offset = 12_345
    image, _ = samples.plant(rng, offset + len(data) + 70_000, [(offset, kind, data)])
    found = [c for c in carve_bytes(image) if c.offset == offset]
    assert len(found) == 1
    record = found[0]
    assert record.length == len(data)
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.validated is True
    assert record.type == EXPECTED_TYPE.get(kind, kind)


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_office_zip_subtype(kind: str, rng: random.Random, carve_bytes) -> None:
    """A ZIP written as DOCX or ODT is reported with that subtype as type and extension."""
    data = samples.zip_archive(rng, kind)
    image, _ = samples.plant(rng, 50_000, [(4096, "zip", data)])
    [record] = [c for c in carve_bytes(image) if c.offset == 4096]
    assert (record.type, record.extension, record.length) == (kind, kind, len(data))


def test_pdf_with_incremental_update_ends_at_last_eof(rng: random.Random, carve_bytes) -> None:
    """A PDF with an incremental update is carved to its second, last %%EOF."""
    data = samples.pdf(rng, update=True)
    assert data.count(b"%%EOF") == 2
    image, _ = samples.plant(rng, 40_000, [(1000, "pdf", data)])
    [record] = [c for c in carve_bytes(image) if c.offset == 1000]
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_quicktime_brand_is_mov(rng: random.Random, carve_bytes) -> None:
    """An ISO media file with the QuickTime brand is typed mov."""
    data = samples.mp4(rng, brand=b"qt  ")
    image, _ = samples.plant(rng, 40_000, [(512, "mp4", data)])
    [record] = [c for c in carve_bytes(image) if c.offset == 512]
    assert (record.type, record.length) == ("mov", len(data))


def test_jpeg_eoi_in_comment_and_thumbnail(rng: random.Random, carve_bytes) -> None:
    """FF D9 inside a COM segment and an EXIF thumbnail's EOI do not end the outer JPEG."""
    data = samples.jpeg(rng, 30_000, thumbnail=True)
    inner = data.find(b"\xff\xd8", 2)
    assert inner > 0 and data.find(b"\xff\xd9") < len(data) - 2
    image, _ = samples.plant(rng, 60_000, [(0, "jpeg", data)])
    records = carve_bytes(image)
    assert [(c.offset, c.sha256) for c in records] == [(0, hashlib.sha256(data).hexdigest())]
    nested = carve_bytes(image, nested=True)
    assert [c.offset for c in nested] == [0, inner]
    assert nested[1].validated


def test_types_filter_limits_formats(rng: random.Random, carve_bytes) -> None:
    """``types=['png']`` reports the planted PNG and not the planted GIF."""
    png, gif = samples.png(rng), samples.gif(rng)
    image, _ = samples.plant(rng, 80_000, [(100, "png", png), (40_000, "gif", gif)])
    assert [c.offset for c in carve_bytes(image, types=["png"])] == [100]
    assert [c.offset for c in carve_bytes(image, types=["gif", "jpg"])] == [40_000]


class _NoSeek(io.RawIOBase):
    """A write-only, non-seekable sink: makes zipfile stream entries with data descriptors."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def test_streamed_zip_with_data_descriptors(rng: random.Random, carve_bytes) -> None:
    """A ZIP written to a non-seekable stream (sizes in data descriptors) is carved exactly."""
    sink = _NoSeek()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", "evidence " * 300)
        with archive.open("b.bin", "w") as entry:
            entry.write(rng.randbytes(5000))
    data = bytes(sink.data)
    assert data[6] & 8 or data.find(b"PK\x07\x08") > 0
    image, _ = samples.plant(rng, 40_000, [(2048, "zip", data)])
    [record] = [c for c in carve_bytes(image) if c.offset == 2048]
    assert (record.length, record.validated) == (len(data), True)
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_large_pdf_and_zip_span_many_read_windows(rng: random.Random, carve_bytes) -> None:
    """A 900 KB PDF with an update and a 700 KB ZIP (larger than a read window) end exactly."""
    big_pdf = samples.pdf(rng, update=True, binary=900_000)
    big_zip = samples.zip_archive(rng, "docx", blob=700_000)
    image, planted = samples.plant(rng, 2_000_000, [(10, "pdf", big_pdf),
                                                    (1_000_000, "zip", big_zip)])
    got = {(c.offset, c.sha256) for c in carve_bytes(image) if c.validated}
    assert got == set(samples.keys(planted))


def test_rar4_archive(rng: random.Random, carve_bytes) -> None:
    """A RAR 4.x archive is walked block by block to its end-of-archive block."""
    data = samples.rar(rng, version=4)
    image, _ = samples.plant(rng, 30_000, [(700, "rar", data)])
    [record] = [c for c in carve_bytes(image) if c.offset == 700]
    assert (record.length, record.validated) == (len(data), True)
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_zip_entry_headers_inside_an_archive_are_not_reported(
    rng: random.Random, carve_bytes
) -> None:
    """Later local headers of a ZIP are not carved as archives of their own."""
    data = samples.zip_archive(rng, "docx")
    assert data.count(b"PK\x03\x04") >= 3
    image, planted = samples.plant(rng, 30_000, [(64, "zip", data)])
    assert {(c.offset, c.sha256) for c in carve_bytes(image)} == set(samples.keys(planted))
