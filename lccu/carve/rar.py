"""RAR 4.x and 5.x: walk the archive's blocks, checking each header CRC, to the end block.

RAR 4: each block has a 7-byte base header (CRC-16 = low half of the CRC-32 of the header
from its type byte on, type, flags, size) and, when flag 0x8000 is set, a data area whose
size follows (file blocks: packed size plus a high 32 bits when flag 0x100 is set).
RAR 5: each block is CRC-32, header size (vint), then type, flags, optional extra-area
and data sizes (vints); the CRC covers the header size and the header. Validated when the
end-of-archive block is reached with every CRC matching.
"""

from __future__ import annotations

import struct
import zlib

from lccu.carve.base import Format, GiB, MiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

RAR4 = b"Rar!\x1a\x07\x00"
RAR5 = b"Rar!\x1a\x07\x01\x00"
_MAX_HEADER5 = 2 * MiB


def _vint(data: bytes, at: int) -> tuple[int, int] | None:
    """RAR 5 variable-length integer at ``at``: (value, next index), or None."""
    value = shift = 0
    for i in range(at, min(at + 10, len(data))):
        value |= (data[i] & 0x7F) << shift
        shift += 7
        if not data[i] & 0x80:
            return value, i + 1
    return None


def _walk4(cur: Cursor) -> Verdict | None:
    cur.skip(len(RAR4))
    blocks = 0
    good = cur.offset
    while True:
        head = cur.peek(11)
        if len(head) < 7:
            break
        crc, kind, flags, size = struct.unpack_from("<HBHH", head)
        if not 0x72 <= kind <= 0x7B or size < 7:
            break
        header = cur.read(size)
        if header is None or zlib.crc32(header[2:]) & 0xFFFF != crc:
            break
        data = 0
        if flags & 0x8000 and size >= 11:
            data = struct.unpack_from("<I", header, 7)[0]
            if kind == 0x74 and flags & 0x100 and size >= 36:
                data |= struct.unpack_from("<I", header, 32)[0] << 32
        if not cur.skip(data):
            break
        blocks += 1
        good = cur.offset
        if kind == 0x7B:
            return Verdict(good, True, "high")
    if not blocks:
        return None
    return truncated(good, f"no end-of-archive block after +{good} (truncated)")


def _walk5(cur: Cursor) -> Verdict | None:
    cur.skip(len(RAR5))
    blocks = 0
    good = cur.offset
    while True:
        head = cur.peek(4 + 3)
        size_field = _vint(head, 4)
        if size_field is None:
            break
        size, body_at = size_field
        if size == 0 or size > _MAX_HEADER5:
            break
        block = cur.read(body_at + size)
        if block is None or zlib.crc32(block[4:]) != struct.unpack_from("<I", block)[0]:
            break
        fields = []
        at = body_at
        for _ in range(3):  # type, flags, and the first optional size
            parsed = _vint(block, at)
            if parsed is None:
                break
            fields.append(parsed[0])
            at = parsed[1]
        if len(fields) < 2:
            break
        kind, flags = fields[0], fields[1]
        data = 0
        if flags & 0x0002:
            if flags & 0x0001:  # extra-area size comes first, then the data size
                parsed = _vint(block, at)
                data = parsed[0] if parsed else -1
            elif len(fields) == 3:
                data = fields[2]
        if data < 0 or not cur.skip(data):
            break
        blocks += 1
        good = cur.offset
        if kind == 5:
            return Verdict(good, True, "high")
    if not blocks:
        return None
    return truncated(good, f"no end-of-archive block after +{good} (truncated)")


def validate(cur: Cursor) -> Verdict | None:
    head = cur.peek(8)
    if head.startswith(RAR5):
        return _walk5(cur)
    if head.startswith(RAR4):
        return _walk4(cur)
    return None


FORMAT = Format(
    name="rar",
    extension="rar",
    signatures=(Signature(b"Rar!\x1a\x07"),),
    max_size=16 * GiB,
    validate=validate,
    opaque_interior=True,
)
