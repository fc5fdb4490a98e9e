"""PDF: from ``%PDF-`` to the last ``%%EOF`` of the file, within 64 MiB and before the next header.

Incremental updates and linearised files put more ``%%EOF`` lines after the first, each
followed by further PDF syntax. So after each ``%%EOF`` we look at what follows: PDF
syntax (an object ``N G obj``, ``xref``, a comment) means the file goes on; anything else
ends it there. This finds the last ``%%EOF`` without reading 64 MiB of trailing data for
every PDF. Without any ``%%EOF`` the file is emitted unvalidated up to its last ``endobj``.
"""

from __future__ import annotations

import re

from lccu.carve.base import Format, MiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

_EOF = b"%%EOF"
_HEAD = b"%PDF-"
_GOES_ON = re.compile(rb"[\x00\t\n\f\r ]*(\d+\s+\d+\s+obj|xref|%|trailer|startxref)")


def _eol(data: bytes) -> int:
    if data.startswith(b"\r\n"):
        return 2
    return 1 if data[:1] in (b"\r", b"\n") else 0


def validate(cur: Cursor) -> Verdict | None:
    head = cur.read(8)
    if head is None or not head.startswith(_HEAD) or not head[5:6].isdigit():
        return None
    last_end = -1
    last_endobj = -1
    while True:
        data = cur.chunk(len(_EOF))
        if len(data) < len(_EOF):
            break
        scan_to = len(data) - (len(_EOF) - 1) if cur.pos + len(data) < cur.end else len(data)
        nxt = data.find(_HEAD, 0, scan_to)
        limit = nxt if nxt >= 0 else scan_to
        j = data.rfind(b"endobj", 0, limit)
        if j >= 0:
            last_endobj = cur.offset + j + 6
        i = data.find(_EOF, 0, limit)
        if i >= 0:
            cur.skip(i + len(_EOF))
            cur.skip(_eol(cur.peek(2)))
            last_end = cur.offset
            if not _GOES_ON.match(cur.peek(64)):
                break
            continue
        if nxt >= 0:
            break
        cur.skip(scan_to)
    if last_end > 0:
        return Verdict(last_end, True, "high" if last_endobj > 0 else "medium")
    if last_endobj > 0:
        return truncated(last_endobj, "no %%EOF within 64 MiB or before the next PDF header")
    return None


FORMAT = Format(
    name="pdf",
    extension="pdf",
    signatures=(Signature(_HEAD),),
    max_size=64 * MiB,
    validate=validate,
    opaque_interior=True,
)
