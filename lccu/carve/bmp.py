"""BMP: no end marker, so the file header's size is checked against the DIB header.

The 14-byte file header gives the file size and pixel-data offset; the DIB header gives
width, height, bit depth and compression, from which the pixel array size follows (rows
padded to 4 bytes). Only a file size that the DIB header accounts for is accepted: random
"BM" bytes are dropped, not carved as fixed-size junk. The two reserved words must be zero
(the signature requires it), which keeps random hits rare.
"""

from __future__ import annotations

import struct

from lccu.carve.base import Format, MiB, Signature
from lccu.carve.record import Confidence, Verdict
from lccu.carve.source import Cursor

_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}
_DEPTHS = {1, 4, 8, 16, 24, 32}


def validate(cur: Cursor) -> Verdict | None:
    head = cur.peek(14 + 40)
    if len(head) < 26 or head[:2] != b"BM":
        return None
    file_size, _reserved, data_at, dib = struct.unpack_from("<IIII", head, 2)
    if dib not in _DIB_SIZES or file_size > FORMAT.max_size or data_at < 14 + dib:
        return None
    if dib == 12:
        width, height, planes, depth = struct.unpack_from("<HHHH", head, 18)
        compression, image_size = 0, 0
    else:
        if len(head) < 54:
            return None
        width, height, planes, depth, compression, image_size = struct.unpack_from(
            "<iiHHII", head, 18
        )
    if planes != 1 or depth not in _DEPTHS or width <= 0 or height == 0 or compression > 6:
        return None
    if compression in (0, 3, 6):  # uncompressed (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS)
        pixels = ((width * depth + 31) // 32) * 4 * abs(height)
        if image_size not in (0, pixels):
            return None
        expected = data_at + pixels
        if file_size not in (expected, expected + 2):  # some writers pad to a 4-byte total
            return None
        confidence: Confidence = "high"
    else:  # RLE/JPEG/PNG payloads: the DIB header only gives the compressed size
        payload_end = data_at + image_size
        if image_size == 0 or not payload_end <= file_size <= payload_end + 4:
            return None
        confidence = "medium"
    if file_size > cur.remaining():
        return Verdict(cur.remaining(), False, "low", "file size runs past the image end")
    return Verdict(file_size, True, confidence)


FORMAT = Format(
    name="bmp",
    extension="bmp",
    signatures=(Signature(b"BM", yara="42 4D ?? ?? ?? ?? 00 00 00 00"),),
    max_size=512 * MiB,
    validate=validate,
    opaque_interior=True,
)
