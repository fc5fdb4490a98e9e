"""JPEG: walk markers from SOI through segment lengths and entropy-coded data to EOI.

Inside entropy-coded data 0xFF is followed by 0x00 (stuffing), RST0-7 or fill 0xFF; any
other byte is the next marker, so EOI cannot hide there. Embedded EXIF thumbnails sit
inside APP1 and are skipped by its length.
"""

from __future__ import annotations

import re

from lccu.carve.base import Format, MiB, Signature, truncated
from lccu.carve.record import Verdict
from lccu.carve.source import Cursor

_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# In scan data 0xFF is followed by 0x00 (stuffing), 0xD0-0xD7 (RST) or 0xFF (fill); any
# other follower makes it the next marker.
_MARKER = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")
_ZERO_RUN = bytes(4096)
_SOF = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}


def _entropy(cur: Cursor) -> bool:
    """Skip entropy-coded data; leave ``pos`` on the 0xFF of the next marker.

    Returns False at the bound, or at a run of zero bytes (Huffman-coded data never holds
    one that long; it is wiped or unwritten space), leaving ``pos`` where the run starts.
    """
    keep = len(_ZERO_RUN) - 1  # tail re-read with the next window, so nothing is cut
    while True:
        buf, i = cur.window(keep + 2)
        avail = len(buf) - i
        if avail < 2:
            return False
        found = _MARKER.search(buf, i)
        stop = found.start() if found else len(buf)
        zeros = buf.find(_ZERO_RUN, i, min(len(buf), stop + keep))
        if 0 <= zeros < stop:
            cur.pos += zeros - i
            return False
        if found:
            cur.pos += found.start() - i
            return True
        if cur.pos + avail >= cur.end:
            cur.pos = cur.end
            return False
        cur.pos += avail - keep


def _plausible(marker: int, body: bytes) -> bool:
    """Frame (SOFn) and scan (SOS) headers must agree with their own component counts;
    random bytes after a stray FF D8 FF almost never do."""
    if marker == 0xDA:
        count = body[0] if body else 0
        return 1 <= count <= 4 and len(body) == 4 + 2 * count
    if len(body) < 6:
        return False
    precision, width, count = body[0], body[3:5], body[5]
    return (precision in (8, 12, 16) and width != b"\x00\x00" and 1 <= count <= 4
            and len(body) == 6 + 3 * count)


def validate(cur: Cursor) -> Verdict | None:
    if cur.read(2) != b"\xff\xd8":
        return None
    seen_sof = seen_sos = False
    good = cur.offset
    why = "no EOI before the size bound or image end (truncated)"
    while True:
        head = cur.read(2)
        if head is None:
            break
        if head[0] != 0xFF:
            why = f"no marker where one was expected at +{good}"
            break
        marker = head[1]
        while marker == 0xFF:
            fill = cur.read(1)
            if fill is None:
                break
            marker = fill[0]
        if marker == 0xD9:
            if seen_sof and seen_sos:
                return Verdict(cur.offset, True, "high")
            why = "EOI before any frame or scan header"
            break
        if marker in _STANDALONE:
            good = cur.offset
            continue
        if marker < 0xC0 or marker == 0xD8:
            why = f"invalid marker 0xFF{marker:02X} at +{good}"
            break
        raw = cur.read(2)
        if raw is None:
            break
        length = int.from_bytes(raw, "big")
        header = marker in _SOF or marker == 0xDA
        if header and not _plausible(marker, cur.peek(length - 2) if length > 2 else b""):
            why = f"frame or scan header 0xFF{marker:02X} at +{good} is inconsistent"
            break
        if length < 2 or not cur.skip(length - 2):
            why = f"segment 0xFF{marker:02X} at +{good} overruns the data"
            break
        if marker in _SOF:
            seen_sof = True
        if marker == 0xDA:
            seen_sos = True
            if not _entropy(cur):
                good = cur.offset
                why = "scan data ends in zeros or at the bound without EOI (truncated)"
                break
        good = cur.offset
    if not (seen_sof or seen_sos):
        return None
    return truncated(good, why)


FORMAT = Format(
    name="jpeg",
    extension="jpg",
    signatures=(Signature(b"\xff\xd8\xff"),),
    max_size=64 * MiB,
    validate=validate,
)
