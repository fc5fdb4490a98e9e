"""MP4/MOV/3GP/HEIC (ISO base media): walk top-level boxes from ``ftyp``.

Each box is a 32-bit size (1: a 64-bit size follows; 0: "to the end of the file", which
carving cannot bound) and a four-letter type. The walk stops at the first box whose type
is not a known top-level type; validated when a ``moov`` (or ``moof``) was seen.
"""

from __future__ import annotations

from lccu.carve.base import Format, GiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

_TOP = {
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"udta", b"uuid", b"meta",
    b"moof", b"mfra", b"pdin", b"styp", b"sidx", b"ssix", b"prft", b"emsg", b"pnot",
    b"junk", b"PICT", b"jp2h", b"iinf", b"iloc", b"idat", b"meco", b"bloc",
}
_QT_BRANDS = {b"qt  "}


def validate(cur: Cursor) -> Verdict | None:
    head = cur.peek(16)
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[:4], "big")
    brand = head[8:12]
    if not 12 <= size <= 1024 or not all(32 <= b < 127 for b in brand):
        return None
    kind, ext = ("mov", "mov") if brand in _QT_BRANDS else ("mp4", "mp4")
    seen_moov = False
    good = 0
    while True:
        box = cur.peek(16)
        if len(box) < 8 or box[4:8] not in _TOP:
            break
        size = int.from_bytes(box[:4], "big")
        if size == 1:
            if len(box) < 16:
                break
            size = int.from_bytes(box[8:16], "big")
            if size < 16:
                break
        elif size == 0:
            return truncated(good, "last box runs to the end of its file (size 0): end unknown")
        elif size < 8:
            break
        if not cur.skip(size):
            return truncated(good, f"box {box[4:8]!r} at +{good} runs past the bound")
        seen_moov = seen_moov or box[4:8] in (b"moov", b"moof")
        good = cur.offset
    if seen_moov:
        return Verdict(good, True, "high", kind=kind, extension=ext)
    return truncated(good, "no moov box (truncated or not a complete movie)")


FORMAT = Format(
    name="mp4",
    extension="mp4",
    signatures=(Signature(b"ftyp", at=4),),
    max_size=16 * GiB,
    validate=validate,
    opaque_interior=True,
)
