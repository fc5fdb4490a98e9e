"""GIF: header, screen descriptor and colour table, then blocks up to the 0x3B trailer."""

from __future__ import annotations

from lccu.carve.base import Format, MiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor


def _sub_blocks(cur: Cursor) -> bool:
    """Skip data sub-blocks up to and including the zero-length terminator."""
    while True:
        size = cur.read(1)
        if size is None:
            return False
        if size[0] == 0:
            return True
        if not cur.skip(size[0]):
            return False


def validate(cur: Cursor) -> Verdict | None:
    head = cur.read(13)
    if head is None or head[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    flags = head[10]
    if flags & 0x80 and not cur.skip(3 << ((flags & 7) + 1)):
        return None
    images = 0
    good = cur.offset
    while True:
        kind = cur.read(1)
        if kind is None:
            break
        if kind == b"\x3b":
            if images:
                return Verdict(cur.offset, True, "high")
            return truncated(cur.offset, "trailer before any image")
        if kind == b"\x21":
            if cur.read(1) is None or not _sub_blocks(cur):
                break
        elif kind == b"\x2c":
            desc = cur.read(9)
            if desc is None:
                break
            if desc[8] & 0x80 and not cur.skip(3 << ((desc[8] & 7) + 1)):
                break
            code = cur.read(1)
            if code is None or not 1 <= code[0] <= 12 or not _sub_blocks(cur):
                break
            images += 1
        else:
            break
        good = cur.offset
    if not images:
        return None
    return truncated(good, f"no trailer after the block ending at +{good} (truncated)")


FORMAT = Format(
    name="gif",
    extension="gif",
    signatures=(Signature(b"GIF8", yara="47 49 46 38 ?? 61"),),
    max_size=256 * MiB,
    validate=validate,
)
