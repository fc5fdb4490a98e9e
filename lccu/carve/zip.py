"""ZIP (and DOCX/XLSX/PPTX/ODF/EPUB): local entries, central directory, End Of Central Directory.

The walk follows each local header over its compressed data, then the central directory
records, an optional ZIP64 end record and locator, and the EOCD whose comment length gives
the exact end. It is validated when the EOCD's directory offset, size and entry count
match what was walked. The subtype comes from ``[Content_Types].xml`` (OOXML) or the
stored ``mimetype`` entry (ODF, EPUB).
"""

from __future__ import annotations

import struct
import zlib

from lccu.carve.base import Format, GiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

LOCAL, CENTRAL, EOCD = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"
EOCD64, LOCATOR, DESCRIPTOR = b"PK\x06\x06", b"PK\x06\x07", b"PK\x07\x08"
_SMALL = 1024 * 1024
_OOXML = {
    b"wordprocessingml.document.main": "docx",
    b"spreadsheetml.sheet.main": "xlsx",
    b"presentationml.presentation.main": "pptx",
}
_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
    b"application/epub+zip": "epub",
}


def _subtype(name: bytes, method: int, data: bytes) -> str | None:
    try:
        if method == 8:
            data = zlib.decompressobj(-15).decompress(data, _SMALL)
        elif method != 0:
            return None
    except zlib.error:
        return None
    if name == b"mimetype":
        return _MIMETYPES.get(data.strip())
    for marker, kind in _OOXML.items():
        if marker in data:
            return kind
    return None


def _descriptor(cur: Cursor, data_at: int) -> bool:
    """Find a streamed entry's end through its data descriptor (signature and matching size)."""
    while cur.find(DESCRIPTOR) >= 0:
        desc = cur.peek(16)
        if len(desc) == 16 and int.from_bytes(desc[8:12], "little") == cur.pos - data_at:
            return cur.skip(16)
        cur.skip(1)
    return False


def validate(cur: Cursor) -> Verdict | None:
    start = cur.pos
    entries = 0
    kind: str | None = None
    good = 0
    while cur.peek(4) == LOCAL:
        head = cur.read(30)
        if head is None:
            break
        flags, method = struct.unpack_from("<HH", head, 6)
        csize, _usize, nlen, xlen = struct.unpack_from("<IIHH", head, 18)
        name = cur.read(nlen)
        if name is None or not cur.skip(xlen) or method > 99:
            break
        data_at = cur.pos
        if kind is None and name in (b"mimetype", b"[Content_Types].xml") and csize <= _SMALL:
            kind = _subtype(name, method, cur.peek(csize))
        if flags & 8 and csize in (0, 0xFFFFFFFF):
            if not _descriptor(cur, data_at):
                break
        elif not cur.skip(csize) or (flags & 8 and cur.peek(4) == DESCRIPTOR and not cur.skip(16)):
            break
        entries += 1
        good = cur.offset
    if not entries:
        return None
    cd_at = cur.pos
    records = 0
    while cur.peek(4) == CENTRAL:
        head = cur.read(46)
        if head is None:
            break
        nlen, xlen, clen = struct.unpack_from("<HHH", head, 28)
        if not cur.skip(nlen + xlen + clen):
            break
        records += 1
    cd_size = cur.pos - cd_at
    if cur.peek(4) == EOCD64:
        head = cur.read(12)
        if head is None or not cur.skip(int.from_bytes(head[4:12], "little")):
            return truncated(good, "ZIP64 end record runs past the bound")
    if cur.peek(4) == LOCATOR:
        cur.skip(20)
    end = cur.read(22)
    if end is None or end[:4] != EOCD:
        return truncated(good, "no End Of Central Directory after the entries (truncated)")
    total, size, offset, clen = struct.unpack_from("<HIIH", end, 10)
    if not cur.skip(clen):
        return truncated(good, "EOCD comment runs past the bound")
    if offset != 0xFFFFFFFF and cd_at - offset < start:
        return None  # a later entry of an archive that starts earlier: that one is carved
    consistent = (
        (total in (records, 0xFFFF))
        and (size in (cd_size, 0xFFFFFFFF))
        and (offset in (cd_at - start, 0xFFFFFFFF))
    )
    if not consistent:
        return truncated(good, "EOCD does not match the central directory walked")
    kind = kind or "zip"
    return Verdict(cur.offset, True, "high", kind=kind, extension=kind)


FORMAT = Format(
    name="zip",
    extension="zip",
    signatures=(Signature(LOCAL),),
    max_size=4 * GiB,
    validate=validate,
    opaque_interior=True,
)
