"""RIFF (WAV, AVI, WEBP): the RIFF size, checked by walking the chunks it contains.

The form's chunks (four-character id, little-endian size, data padded to even) must add
up exactly to the RIFF size; then the end is known and the record is validated.
"""

from __future__ import annotations

from lccu.carve.base import Format, GiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

_FORMS = {b"WAVE": "wav", b"AVI ": "avi", b"WEBP": "webp", b"AVIX": "avi", b"RMID": "rmi"}


def validate(cur: Cursor) -> Verdict | None:
    head = cur.read(12)
    if head is None or head[:4] != b"RIFF" or head[8:12] not in _FORMS:
        return None
    kind = _FORMS[head[8:12]]
    size = int.from_bytes(head[4:8], "little")
    end = 8 + size
    if size < 4:
        return None
    while cur.offset < end:
        chunk = cur.peek(8)
        if len(chunk) < 8:
            return truncated(cur.offset, "RIFF data runs past the image end (truncated)")
        if not all(32 <= b < 127 for b in chunk[:4]):
            return truncated(cur.offset, f"invalid chunk id at +{cur.offset}")
        length = int.from_bytes(chunk[4:8], "little")
        if cur.offset + 8 + length > end:
            return truncated(cur.offset, f"chunk {chunk[:4]!r} overruns the RIFF size")
        cur.skip(8)
        pad = length & 1 if cur.offset + length < end else 0
        if not cur.skip(length + pad):
            return truncated(cur.offset, "RIFF data runs past the image end (truncated)")
    return Verdict(end, True, "high", kind=kind, extension=kind)


FORMAT = Format(
    name="riff",
    extension="riff",
    signatures=(Signature(b"RIFF"),),
    max_size=4 * GiB + 8,
    validate=validate,
    opaque_interior=True,
)
