"""SQLite 3: the header's page size times its in-header page count.

The in-header size is trusted only when the "version-valid-for" number equals the change
counter (SQLite's own rule); older writers leave it stale, and such headers are dropped
because nothing else in the file states its end.
"""

from __future__ import annotations

import struct

from lccu.carve.base import Format, GiB, Signature
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

MAGIC = b"SQLite format 3\x00"


def validate(cur: Cursor) -> Verdict | None:
    head = cur.peek(100)
    if len(head) < 100 or not head.startswith(MAGIC):
        return None
    page = struct.unpack_from(">H", head, 16)[0]
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1) or head[18] not in (1, 2) or head[19] not in (1, 2):
        return None
    if head[21:24] != b"\x40\x20\x20":
        return None
    counter, pages = struct.unpack_from(">II", head, 24)
    valid_for = struct.unpack_from(">I", head, 92)[0]
    if pages == 0 or counter != valid_for:
        return None
    length = page * pages
    if length > FORMAT.max_size:
        return None
    if length > cur.remaining():
        return Verdict(cur.remaining(), False, "low", "page count runs past the image end")
    return Verdict(length, True, "high")


FORMAT = Format(
    name="sqlite",
    extension="sqlite",
    signatures=(Signature(MAGIC),),
    max_size=64 * GiB,
    validate=validate,
    opaque_interior=True,
)
