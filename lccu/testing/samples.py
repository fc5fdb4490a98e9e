"""Small, structurally valid sample files and planted test images for carving tests.

Built with ``struct``/``zlib`` from the format specifications (no Pillow), so analysts can
reproduce carving tests anywhere. PNG, GIF (LZW with a clear code before the table grows),
BMP and PDF are decodable by ordinary viewers; the JPEG has real markers, segment lengths,
byte stuffing and restart markers around pseudo-random entropy-coded data. Everything is
driven by a seeded :class:`random.Random`, so a seed always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import random
import sqlite3
import struct
import tempfile
import wave
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def _entropy(rng: random.Random, size: int, restart_every: int) -> bytes:
    """Pseudo-random scan data: every 0xFF stuffed with 0x00, RST markers every N bytes."""
    out = bytearray()
    rst = 0
    while len(out) < size:
        block = rng.randbytes(min(restart_every, size - len(out)))
        out += block.replace(b"\xff", b"\xff\x00")
        if restart_every and len(out) < size:
            out += bytes((0xFF, 0xD0 + rst))
            rst = (rst + 1) % 8
    return bytes(out)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(rng: random.Random, size: int = 20_000, thumbnail: bool = True) -> bytes:
    """A baseline JPEG: APP0, optional APP1 holding a whole thumbnail JPEG, DQT, SOF0, DHT,
    DRI, SOS and scan data, a COM segment whose payload holds the bytes FF D9, then EOI."""
    out = bytearray(b"\xff\xd8")
    out += _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if thumbnail:
        out += _segment(0xE1, b"Exif\x00\x00" + jpeg(rng, 600, thumbnail=False))
    out += _segment(0xDB, b"\x00" + bytes(rng.randrange(1, 100) for _ in range(64)))
    out += _segment(0xC0, struct.pack(">BHHB", 8, 64, 64, 1) + b"\x01\x11\x00")
    out += _segment(0xC4, b"\x00" + bytes([0, 1, 5, 1, 1, 1, 1, 1, 1] + [0] * 7) + bytes(range(12)))
    out += _segment(0xFE, b"comment with an EOI inside: \xff\xd9 ok")
    out += _segment(0xDD, struct.pack(">H", 4))
    out += _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    out += _entropy(rng, max(size - len(out) - 2, 64), 512)
    return bytes(out) + b"\xff\xd9"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(rng: random.Random, width: int = 64, height: int = 48) -> bytes:
    """An 8-bit RGB PNG of random pixels (IHDR, a tEXt chunk, IDAT, IEND)."""
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"tEXt", b"Comment\x00lccu sample")
        + _png_chunk(b"IDAT", zlib.compress(raw, 1))
        + _png_chunk(b"IEND", b"")
    )


def _lzw_uncompressed(pixels: bytes) -> bytes:
    """GIF LZW with 8-bit codes sent as 9-bit literals and a clear code every 254 of them."""
    clear, stop, width = 256, 257, 9
    acc = nbits = 0
    out = bytearray()

    def emit(code: int) -> None:
        nonlocal acc, nbits
        acc |= code << nbits
        nbits += width
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8

    for i, value in enumerate(pixels):
        if i % 254 == 0:
            emit(clear)
        emit(value)
    emit(stop)
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def gif(rng: random.Random, width: int = 40, height: int = 30) -> bytes:
    """A GIF89a with a 256-colour table, a comment extension and one image."""
    data = _lzw_uncompressed(rng.randbytes(width * height))
    blocks = b"".join(bytes((len(p),)) + p for p in (data[i : i + 255]
                      for i in range(0, len(data), 255)))
    return (
        b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF7, 0, 0) + rng.randbytes(768)
        + b"\x21\xfe\x0blccu sample\x00"
        + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x08" + blocks + b"\x00\x3b"
    )


def bmp(rng: random.Random, width: int = 33, height: int = 20) -> bytes:
    """A 24-bit BITMAPINFOHEADER bitmap of random pixels (rows padded to 4 bytes)."""
    row = (width * 3 + 3) & ~3
    pixels = rng.randbytes(row * height)
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835,
                         0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54) + header + pixels


def pdf(rng: random.Random, update: bool = False, binary: int = 0) -> bytes:
    """A one-page PDF with a compressed content stream and a correct xref; ``binary`` adds
    an embedded-file stream of that many random bytes; ``update`` appends an incremental
    update (a second xref, trailer and ``%%EOF``)."""
    text = b"BT /F1 12 Tf 72 720 Td (lccu) Tj ET " + rng.randbytes(300).hex().encode()
    stream = zlib.compress(text)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    if binary:
        payload = rng.randbytes(binary).replace(b"%%EOF", b"%%EOX").replace(b"%PDF-", b"%PDX-")
        objs.append(b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % binary + payload
                    + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    if update:
        at, number = len(out), len(objs) + 1
        out += b"%d 0 obj\n<< /Producer (lccu) >>\nendobj\n" % number
        new_xref = len(out)
        out += b"xref\n%d 1\n%010d 00000 n \n" % (number, at)
        out += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
            number + 1, xref, new_xref)
    return bytes(out)


def zip_archive(rng: random.Random, kind: str = "zip", blob: int = 3000) -> bytes:
    """A ZIP made by :mod:`zipfile`: plain, ``docx`` (OOXML content types) or ``odt``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind == "odt":
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text",
                             compress_type=zipfile.ZIP_STORED)
        if kind == "docx":
            archive.writestr("[Content_Types].xml", (
                '<?xml version="1.0"?><Types><Override PartName="/word/document.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.'
                'wordprocessingml.document.main+xml"/></Types>'))
            archive.writestr("word/document.xml", "<w:document>lccu</w:document>")
        archive.writestr("notes.txt", "case notes " * 50)
        archive.writestr("blob.bin", rng.randbytes(blob), compress_type=zipfile.ZIP_STORED)
    return buf.getvalue()


def sqlite_db(rng: random.Random, rows: int = 200) -> bytes:
    """A SQLite database written by :mod:`sqlite3` (one table of random blobs)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.db"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)")
        blobs = [(rng.randbytes(200),) for _ in range(rows)]
        con.executemany("INSERT INTO t (data) VALUES (?)", blobs)
        con.commit()
        con.close()
        return path.read_bytes()


def wav(rng: random.Random, frames: int = 4000) -> bytes:
    """A 16-bit mono WAV written by :mod:`wave`."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(rng.randbytes(frames * 2))
    return buf.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(rng: random.Random, brand: bytes = b"isom", media: int = 5000) -> bytes:
    """An ISO base media file: ftyp, mdat of random media, moov with an mvhd."""
    mvhd = _box(b"mvhd", b"\x00" * 4 + struct.pack(">IIII", 0, 0, 1000, 1000) + b"\x00" * 80)
    return (_box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
            + _box(b"mdat", rng.randbytes(media)) + _box(b"moov", mvhd))


def evtx(rng: random.Random, chunks: int = 2) -> bytes:
    """An EVTX file: 4096-byte header with its CRC and ``chunks`` 64 KiB chunks."""
    head = bytearray(b"ElfFile\x00" + struct.pack("<QQQIHHHH", 0, chunks - 1, 100, 128, 1, 3,
                                                   4096, chunks))
    head += bytes(120 - len(head))
    head += struct.pack("<II", 0, zlib.crc32(head[:120]))
    body = b"".join(b"ElfChnk\x00" + rng.randbytes(65536 - 8) for _ in range(chunks))
    return bytes(head) + bytes(4096 - len(head)) + body


def seven_zip(rng: random.Random, packed: int = 4000) -> bytes:
    """A 7z container: signature header, packed data and a next header with their CRCs."""
    data = rng.randbytes(packed)
    next_header = b"\x01\x04\x06\x00" + rng.randbytes(60)
    tail = struct.pack("<QQI", len(data), len(next_header), zlib.crc32(next_header))
    return (b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(tail)) + tail + data
            + next_header)


def _vint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _rar5_block(kind: int, flags: int, fields: bytes, data: bytes = b"") -> bytes:
    body = _vint(kind) + _vint(flags) + fields
    sized = _vint(len(body)) + body
    return struct.pack("<I", zlib.crc32(sized)) + sized + data


def _rar4_block(kind: int, flags: int, fields: bytes, data: bytes = b"") -> bytes:
    header = struct.pack("<BHH", kind, flags, 7 + len(fields)) + fields
    return struct.pack("<H", zlib.crc32(header) & 0xFFFF) + header + data


def rar(rng: random.Random, version: int = 5, packed: int = 4000) -> bytes:
    """A RAR archive (4.x or 5.x block layout, every header CRC set) with one stored file."""
    data = rng.randbytes(packed)
    name = b"evidence.bin"
    if version == 4:
        file_fields = struct.pack("<IIBIIBBHI", len(data), len(data), 2, zlib.crc32(data),
                                  0, 29, 0x30, len(name), 0x20) + name
        return (b"Rar!\x1a\x07\x00" + _rar4_block(0x73, 0, bytes(6))
                + _rar4_block(0x74, 0x8000, file_fields, data) + _rar4_block(0x7B, 0x4000, b""))
    file_fields = (_vint(len(data)) + _vint(0) + _vint(0x20) + _vint(0) + _vint(0)
                   + _vint(len(name)) + name)
    return (b"Rar!\x1a\x07\x01\x00" + _rar5_block(1, 0, _vint(0))
            + _rar5_block(2, 0x0002, file_fields, data) + _rar5_block(5, 0, _vint(0)))


BUILDERS: dict[str, Callable[[random.Random], bytes]] = {
    "jpeg": jpeg, "png": png, "gif": gif, "bmp": bmp, "pdf": pdf, "zip": zip_archive,
    "sqlite": sqlite_db, "mp4": mp4, "evtx": evtx, "riff": wav, "7z": seven_zip, "rar": rar,
}


@dataclass(frozen=True)
class Planted:
    """A sample file written into a test image at ``offset``."""

    offset: int
    kind: str
    data: bytes


def plant(rng: random.Random, size: int, files: list[tuple[int, str, bytes]],
          background: Callable[[int], bytes] | None = None) -> tuple[bytes, list[Planted]]:
    """An image of ``size`` random (or ``background``) bytes with ``files`` written at their
    offsets; returns the image and what was planted where."""
    image = bytearray(background(size) if background else rng.randbytes(size))
    planted = []
    for offset, kind, data in files:
        image[offset : offset + len(data)] = data
        planted.append(Planted(offset, kind, data))
    if len(image) != size:
        raise ValueError("a planted file runs past the image end")
    return bytes(image), planted


def keys(planted: list[Planted]) -> dict[tuple[int, str], Planted]:
    """Planted files keyed by (offset, hashlib SHA-256 of the planted bytes)."""
    return {(p.offset, hashlib.sha256(p.data).hexdigest()): p for p in planted}
