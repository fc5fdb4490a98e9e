"""PNG: walk chunks (length, type, data, CRC-32) from IHDR to IEND, checking every CRC."""

from __future__ import annotations

import zlib

from lccu.carve.base import Format, MiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

MAGIC = b"\x89PNG\r\n\x1a\n"
_PIECE = 1024 * 1024


def validate(cur: Cursor) -> Verdict | None:
    if cur.read(8) != MAGIC:
        return None
    good = cur.offset
    first = True
    while True:
        head = cur.read(8)
        if head is None:
            return None if first else truncated(good, "no IEND chunk (truncated)")
        length = int.from_bytes(head[:4], "big")
        ctype = head[4:]
        bad_first = first and (ctype, length) != (b"IHDR", 13)
        if length > 0x7FFFFFFF or not ctype.isalpha() or bad_first:
            return None if first else truncated(good, f"invalid chunk header at +{good}")
        crc = zlib.crc32(ctype)
        left = length
        while left:
            piece = cur.read(min(left, _PIECE))
            if piece is None:
                return None if first else truncated(good, f"chunk {ctype!r} at +{good} truncated")
            crc = zlib.crc32(piece, crc)
            left -= len(piece)
        stored = cur.read(4)
        if stored is None or int.from_bytes(stored, "big") != crc:
            return None if first else truncated(good, f"CRC mismatch in chunk {ctype!r} at +{good}")
        first = False
        good = cur.offset
        if ctype == b"IEND":
            return Verdict(good, True, "high")


FORMAT = Format(
    name="png",
    extension="png",
    signatures=(Signature(MAGIC),),
    max_size=256 * MiB,
    validate=validate,
)
