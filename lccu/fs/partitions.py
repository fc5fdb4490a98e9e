"""A DOS (MBR) partition table read directly, for images TSK refuses to partition.

The Sleuth Kit rejects a whole DOS table when one partition starts past the end of the
image, which is exactly what a truncated acquisition looks like (a 2 MB or 20 MB cut of a
larger disk): no volume would be listed although ``fls -o <start>`` still reads the first
file system. This reader takes the primary table (and the logical partitions of an
extended one, as far as the image holds them) from the MBR so that each partition can be
opened as far as the image goes. Rows are numbered like ``mmls`` numbers them for a
primary table: the table itself (meta), unallocated gaps and partitions, in start order.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from lccu.imaging.tsk import TskImage

SECTOR = 512
_EXTENDED = (0x05, 0x0F, 0x85)
_MAX_LOGICAL = 128  # an extended chain longer than this is corrupt (or hostile)


#: descriptions as ``mmls`` prints them for the common DOS partition types
_NAMES = {0x01: "DOS FAT12", 0x04: "DOS FAT16 (<32 MB)", 0x06: "DOS FAT16 (> 32 MB)",
          0x07: "NTFS / exFAT", 0x0B: "Win95 FAT32", 0x0C: "Win95 FAT32",
          0x0E: "Win95 FAT16", 0x82: "Linux Swap / Solaris x86", 0x83: "Linux",
          0x8E: "Linux Logical Volume Manager", 0xA5: "FreeBSD", 0xAF: "Mac OS X HFS",
          0xEF: "EFI System Partition"}  # fmt: skip


@dataclass(frozen=True)
class RawPartition:
    """One partition entry: start and length in sectors, DOS type byte."""

    start: int
    length: int
    kind: int

    @property
    def description(self) -> str:
        return f"{_NAMES.get(self.kind, 'Unknown Type')} (0x{self.kind:02x})"


def _entries(sector: bytes) -> list[tuple[int, int, int]]:
    if len(sector) < SECTOR or sector[510:512] != b"\x55\xaa":
        return []
    rows = []
    for slot in range(4):
        _, kind, start, length = struct.unpack_from("<B3xB3xII", sector, 446 + 16 * slot)
        if kind and length:
            rows.append((kind, start, length))
    return rows


def _logical(img: TskImage, extended_start: int) -> list[RawPartition]:
    """Logical partitions chained from an extended partition (as far as the image goes)."""
    found: list[RawPartition] = []
    table = extended_start
    for _ in range(_MAX_LOGICAL):
        entries = _entries(img.read(table * SECTOR, SECTOR))
        data = [(k, s, n) for k, s, n in entries if k not in _EXTENDED]
        found.extend(RawPartition(table + s, n, k) for k, s, n in data[:1])
        links = [s for k, s, _n in entries if k in _EXTENDED]
        if not links or extended_start + links[0] <= table:
            break
        table = extended_start + links[0]
    return found


def read_dos_partitions(img: TskImage) -> list[RawPartition]:
    """The partitions of the image's MBR, logical ones included; ``[]`` when there is no
    DOS table (no 0x55AA signature, or a GPT protective entry)."""
    entries = _entries(img.read(0, SECTOR))
    if not entries or any(kind == 0xEE for kind, _s, _n in entries):
        return []
    found: list[RawPartition] = []
    for kind, start, length in entries:
        if kind in _EXTENDED:
            found.extend(_logical(img, start))
        else:
            found.append(RawPartition(start, length, kind))
    return sorted(found, key=lambda p: p.start)
