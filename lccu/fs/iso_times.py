"""ISO 9660 recording times with the UTC offset their directory records store.

Each directory record holds its recording time as seven bytes: the wall clock (year since
1900, month, day, hour, minute, second) and the offset from UTC in 15-minute steps (ECMA-119
9.1.5). The Sleuth Kit reads the wall clock and drops the offset, so lccu reads the records
itself: a time with a non-zero offset is a UTC instant; one with offset 0 stays a local wall
clock (writers that do not know their zone leave 0, so 0 does not prove UTC), converted with
the source zone like FAT's. Records are found by path in the primary and Joliet directory
trees; a path whose trees disagree is left to TSK's reading (local).
"""

from __future__ import annotations

import calendar
import struct
from collections.abc import Callable

SECTOR = 2048
_MAX_RECORDS = 1_000_000  # a hostile image cannot make the walk unbounded:
_MAX_BYTES = 256 * 1024 * 1024  # records, bytes of directories read, depth
_MAX_DEPTH = 64
_JOLIET = (b"%/@", b"%/C", b"%/E")

#: (year, month, day, hour, minute, second) as stored, and the offset in 15-minute steps
Stamp = tuple[tuple[int, int, int, int, int, int], int]


def _stamp(raw: bytes) -> Stamp | None:
    year, month, day, hour, minute, second, offset = struct.unpack("<6Bb", raw)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
        return None
    if not -48 <= offset <= 52:
        return None
    return (1900 + year, month, day, hour, minute, second), offset


def _name(raw: bytes, joliet: bool) -> str:
    text = raw.decode("utf-16-be", "replace") if joliet else raw.decode("ascii", "replace")
    base, _semicolon, _version = text.partition(";")
    return base[:-1] if base.endswith(".") and len(base) > 1 else base  # "A_FILE." as TSK


def _tree(
    read: Callable[[int, int], bytes],
    base: int,
    root: bytes,
    joliet: bool,
    found: dict[str, Stamp | None],
) -> None:
    """Add the stamp of every record under the root record ``root`` to ``found``, keyed by
    its path in lower case (None where two records of one path differ)."""
    pending = [("", struct.unpack_from("<I", root, 2)[0], struct.unpack_from("<I", root, 10)[0], 0)]
    seen: set[int] = set()
    count = budget = 0
    while pending:
        parent, extent, size, depth = pending.pop()
        if extent in seen or depth > _MAX_DEPTH or budget >= _MAX_BYTES:
            continue
        seen.add(extent)
        data = read(base + extent * SECTOR, min(size, _MAX_BYTES - budget))
        budget += len(data)
        at = 0
        while at < len(data):
            length = data[at]
            if length == 0:  # records do not cross sectors: the rest of this one is padding
                at = (at // SECTOR + 1) * SECTOR
                continue
            record = data[at : at + length]
            at += length
            if len(record) < 34 or 33 + record[32] > len(record):
                break
            raw_name = record[33 : 33 + record[32]]
            if raw_name in (b"\x00", b"\x01"):
                continue
            count += 1
            if count > _MAX_RECORDS:
                return
            path = f"{parent}/{_name(raw_name, joliet)}"
            key = path.casefold()
            stamp = _stamp(record[18:25])
            if key in found and found[key] != stamp:
                found[key] = None
            else:
                found[key] = stamp
            if record[25] & 0x02:  # a directory
                pending.append(
                    (
                        path,
                        struct.unpack_from("<I", record, 2)[0],
                        struct.unpack_from("<I", record, 10)[0],
                        depth + 1,
                    )
                )


def record_stamps(read: Callable[[int, int], bytes], volume_offset: int) -> dict[str, Stamp | None]:
    """Path (lower case, no ``;1`` version) -> the stamp of its directory record, from the
    primary and every Joliet volume descriptor."""
    found: dict[str, Stamp | None] = {}
    for number in range(16, 16 + 32):
        descriptor = read(volume_offset + number * SECTOR, SECTOR)
        if len(descriptor) < SECTOR or descriptor[1:6] != b"CD001" or descriptor[0] == 255:
            break
        kind = descriptor[0]
        joliet = kind == 2 and descriptor[88:91] in _JOLIET
        if kind == 1 or joliet:
            _tree(read, volume_offset, descriptor[156:190], joliet, found)
    return found


def utc_seconds(stamp: Stamp) -> int:
    """The Unix time of a stamp with a non-zero offset."""
    wall, offset = stamp
    return calendar.timegm((*wall, 0, 0, 0)) - offset * 15 * 60
