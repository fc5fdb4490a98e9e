"""Tiny, dependency-free picture codecs for the report tests.

Pillow is not installed, so the tests write real PNG and baseline JPEG files themselves
(solid colours, which is all the thumbnails and screenshot checks need) and decode the
PNG screenshots Chromium writes, including the PNG row filters.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from dataclasses import dataclass

Rgb = tuple[int, int, int]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int, colour: Rgb) -> bytes:
    """A valid 8-bit RGB PNG of one colour."""
    row = b"\x00" + bytes(colour) * width  # filter type 0 (None) per row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


# ITU T.81 Annex K.3 luminance DC table: code lengths 1..16 and the 12 categories.
_DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]


def _dc_codes() -> dict[int, str]:
    codes: dict[int, str] = {}
    code, symbol = 0, 0
    for length, count in enumerate(_DC_BITS, start=1):
        for _ in range(count):
            codes[symbol] = format(code, f"0{length}b")
            code, symbol = code + 1, symbol + 1
        code <<= 1
    return codes


def jpeg_bytes(width: int, height: int, colour: Rgb) -> bytes:
    """A valid baseline JPEG (YCbCr 4:4:4, quantiser 1) of one colour; sides multiple of 8.

    A flat 8x8 block has only a DC coefficient, 8 * (sample - 128), so each block is coded
    as a DC difference plus an end-of-block; the AC table holds that single EOB symbol.
    """
    if width % 8 or height % 8:
        raise ValueError("sides must be multiples of 8")
    r, g, b = colour
    samples = (
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
        0.5 * r - 0.418688 * g - 0.081312 * b + 128,
    )
    dcs = [round(8 * (s - 128)) for s in samples]
    codes = _dc_codes()
    bits: list[str] = []
    previous = [0, 0, 0]
    for _ in range((width // 8) * (height // 8)):
        for comp in range(3):
            diff = dcs[comp] - previous[comp]
            previous[comp] = dcs[comp]
            category = abs(diff).bit_length()
            bits.append(codes[category])
            if category:
                value = diff if diff > 0 else diff + (1 << category) - 1
                bits.append(format(value, f"0{category}b"))
            bits.append("0")  # AC: end of block
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    entropy = int(stream, 2).to_bytes(len(stream) // 8, "big").replace(b"\xff", b"\xff\x00")
    dht_dc = b"\x00" + bytes(_DC_BITS) + bytes(range(12))
    dht_ac = b"\x10" + bytes([1] + [0] * 15) + b"\x00"
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    sos = b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + _segment(0xDB, b"\x00" + b"\x01" * 64)
        + _segment(0xC0, sof)
        + _segment(0xC4, dht_dc)
        + _segment(0xC4, dht_ac)
        + _segment(0xDA, sos)
        + entropy
        + b"\xff\xd9"
    )


@dataclass(frozen=True)
class Decoded:
    """A decoded 8-bit PNG: its size and a histogram of RGB pixel values."""

    width: int
    height: int
    histogram: Counter[Rgb]

    def pixels_near(self, colour: Rgb, tolerance: int) -> int:
        """How many pixels are within ``tolerance`` of ``colour`` on every channel."""
        return sum(
            n
            for value, n in self.histogram.items()
            if all(abs(a - b) <= tolerance for a, b in zip(value, colour, strict=True))
        )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(kind: int, line: bytearray, prior: bytearray, bpp: int) -> None:
    n = len(line)
    if kind == 0:
        return
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(n):
            line[i] = (line[i] + prior[i]) & 0xFF
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prior[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            upleft = prior[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + _paeth(left, prior[i], upleft)) & 0xFF
    else:
        raise ValueError(f"bad PNG filter type {kind}")


def decode_png(data: bytes) -> Decoded:
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG into a pixel histogram."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG")
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    prior = bytearray(stride)
    histogram: Counter[Rgb] = Counter()
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if raw[start] == 2 and not any(line):  # "same as above": the common blank row
            line = bytearray(prior)
        else:
            _unfilter(raw[start], line, prior, bpp)
        histogram.update(zip(line[0::bpp], line[1::bpp], line[2::bpp], strict=True))
        prior = line
    return Decoded(width, height, histogram)


def gif_bytes(colour: Rgb) -> bytes:
    """A valid 1x1 GIF89a of one colour (LZW codes: clear, index 0, end)."""
    palette = bytes(colour) + b"\x00\x00\x00"
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
        + palette
        + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00"
        + b"\x02\x02\x44\x01\x00;"
    )


def bmp_bytes(width: int, height: int, colour: Rgb) -> bytes:
    """A valid 24-bit BMP of one colour (rows bottom-up, BGR, padded to 4 bytes)."""
    row = bytes(colour[::-1]) * width
    row += b"\x00" * (-len(row) % 4)
    pixels = row * height
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    header = struct.pack("<2sIHHI", b"BM", 14 + len(info) + len(pixels), 0, 0, 14 + len(info))
    return header + info + pixels
