"""Windows XML event log (EVTX): 4096-byte file header plus its chunk count x 64 KiB.

The header's CRC-32 (over its first 120 bytes) must match, and every counted chunk must
begin with ``ElfChnk``; a missing chunk makes the file a truncated, unvalidated record.
"""

from __future__ import annotations

import struct
import zlib

from lccu.carve.base import Format, GiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

MAGIC = b"ElfFile\x00"
HEADER = 4096
CHUNK = 65536


def validate(cur: Cursor) -> Verdict | None:
    head = cur.peek(128)
    if len(head) < 128 or not head.startswith(MAGIC):
        return None
    header_size, minor, major, block, chunks = struct.unpack_from("<IHHHH", head, 32)
    if (header_size, major, block) != (128, 3, HEADER) or minor > 2:
        return None
    if zlib.crc32(head[:120]) != struct.unpack_from("<I", head, 124)[0]:
        return None
    if not cur.skip(HEADER):
        return None
    for index in range(chunks):
        if cur.peek(8) != b"ElfChnk\x00":
            return truncated(cur.offset, f"chunk {index} of {chunks} missing (truncated)")
        if not cur.skip(CHUNK):
            return truncated(cur.offset, f"chunk {index} of {chunks} runs past the image end")
    return Verdict(cur.offset, True, "high")


FORMAT = Format(
    name="evtx",
    extension="evtx",
    signatures=(Signature(MAGIC),),
    max_size=4 * GiB + HEADER,
    validate=validate,
    opaque_interior=True,
)
