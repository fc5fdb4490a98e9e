"""7-Zip: the 32-byte signature header gives the next header's offset, size and CRC.

The file ends right after the next header: 32 + offset + size. Both the start header CRC
and the next header CRC must match for the record to be validated.
"""

from __future__ import annotations

import struct
import zlib

from lccu.carve.base import Format, MiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

MAGIC = b"7z\xbc\xaf\x27\x1c"
_MAX_HEADER = 64 * MiB


def validate(cur: Cursor) -> Verdict | None:
    head = cur.read(32)
    if head is None or not head.startswith(MAGIC):
        return None
    if zlib.crc32(head[12:32]) != struct.unpack_from("<I", head, 8)[0]:
        return None
    offset, size, crc = struct.unpack_from("<QQI", head, 12)
    if size == 0 or size > _MAX_HEADER or 32 + offset + size > FORMAT.max_size:
        return None
    if not cur.skip(offset):
        return truncated(cur.offset, "next header lies past the image end (truncated)")
    data = cur.read(size)
    if data is None:
        return truncated(32 + offset, "next header cut off (truncated)")
    if zlib.crc32(data) != crc:
        return truncated(32 + offset, "next header CRC mismatch (overwritten)")
    return Verdict(cur.offset, True, "high")


FORMAT = Format(
    name="7z",
    extension="7z",
    signatures=(Signature(MAGIC),),
    max_size=16 * 1024 * MiB,
    validate=validate,
    opaque_interior=True,
)
