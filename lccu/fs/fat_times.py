"""FAT and exFAT times read from the directory entry itself.

The Sleuth Kit turns FAT's stored wall clock into Unix time with ``mktime()``, that is in
the time zone of *the process reading the image*, and drops exFAT's stored UTC offsets. To
report what the disk holds whatever zone lccu runs in, the entry's own bytes are decoded
here. TSK numbers a FAT/exFAT entry by its position: entry ``n`` of the 32-byte entries
counted from the first sector after the FATs (FAT12/16: the root directory region;
FAT32/exFAT: the cluster heap) has meta address ``n + 3``.

Every entry read is checked against what TSK says about the same file (directory flag,
size, entry type) before its times are used; the caller falls back otherwise.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Callable
from datetime import date as date_type

from lccu.fs.times import DAY, SECOND, FileTimes, FsTime

FIRST_ENTRY_INODE = 3
ENTRY = 32
_SECTORS_CACHED = 64
_EXFAT_FILE, _EXFAT_FILE_DELETED = 0x85, 0x05
_FAT_LFN = 0x0F
_FAT_DIR, _FAT_LABEL = 0x10, 0x08
_MILLI10 = 10_000_000  # 10 ms in nanoseconds
_EPOCH_DAY = date_type(1970, 1, 1)

Reader = Callable[[int, int], bytes]


def dos_wall_clock(date: int, clock: int, tens: int = 0) -> tuple[int, int] | None:
    """A DOS date/time pair (and 10 ms count, 0..199) as (wall seconds counted as UTC
    from 1970, nanoseconds); None when the date is 0 (not set) or a field is invalid."""
    if date == 0:
        return None
    year, month, day = 1980 + (date >> 9), (date >> 5) & 0x0F, date & 0x1F
    hour, minute, two_sec = clock >> 11, (clock >> 5) & 0x3F, clock & 0x1F
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60
            and two_sec < 30 and tens < 200):
        return None
    try:
        days = (date_type(year, month, day) - _EPOCH_DAY).days
    except ValueError:  # 30 February and the like
        return None
    seconds = days * 86400 + hour * 3600 + minute * 60 + two_sec * 2 + tens // 100
    return seconds, (tens % 100) * _MILLI10


def _stamp(pair: tuple[int, int] | None, resolution_ns: int,
           offset_byte: int | None = None) -> FsTime | None:
    """A local FsTime, or a UTC one when an exFAT offset byte marks a valid stored offset."""
    if pair is None:
        return None
    seconds, nanos = pair
    if offset_byte is not None and offset_byte & 0x80:
        quarter_hours = offset_byte & 0x7F
        if quarter_hours & 0x40:
            quarter_hours -= 0x80  # 7-bit two's complement
        return FsTime(seconds - quarter_hours * 900, nanos, False, resolution_ns)
    return FsTime(seconds, nanos, True, resolution_ns)


def fat_times(entry: bytes) -> FileTimes:
    """Times of a FAT short-name entry: written (2 s), accessed (date only), created (10 ms);
    FAT keeps no change time."""
    (ctens, ctime, cdate, adate, _hi, mtime, mdate) = struct.unpack_from("<BHHHHHH", entry, 13)
    access = dos_wall_clock(adate, 0)
    return FileTimes(
        mtime=_stamp(dos_wall_clock(mdate, mtime), 2 * SECOND),
        atime=_stamp(access, DAY),
        crtime=_stamp(dos_wall_clock(cdate, ctime, ctens), _MILLI10),
    )


def exfat_times(entry: bytes) -> FileTimes:
    """Times of an exFAT File entry (0x85): created and modified to 10 ms, accessed to 2 s,
    each UTC when its offset byte says an offset was stored, else local."""
    created, modified, accessed = struct.unpack_from("<III", entry, 8)
    ctens, mtens, coff, moff, aoff = struct.unpack_from("<BBbbb", entry, 20)

    def pair(stamp: int, tens: int = 0) -> tuple[int, int] | None:
        return dos_wall_clock(stamp >> 16, stamp & 0xFFFF, tens)

    return FileTimes(
        mtime=_stamp(pair(modified, mtens), _MILLI10, moff & 0xFF),
        atime=_stamp(pair(accessed), 2 * SECOND, aoff & 0xFF),
        crtime=_stamp(pair(created, ctens), _MILLI10, coff & 0xFF),
    )


class DirectoryEntries:
    """The 32-byte directory entry of a FAT/exFAT meta address, read through a small cache
    of sectors (the entries of one directory are read together)."""

    def __init__(self, read: Reader, volume_offset: int, exfat: bool) -> None:
        self._read = read
        self._base = volume_offset
        self.exfat = exfat
        boot = read(volume_offset, 512)
        if len(boot) < 512:
            raise ValueError("boot sector not readable")
        if exfat:
            self.sector_size = 1 << boot[108]
            first = struct.unpack_from("<I", boot, 88)[0]
        else:
            self.sector_size = struct.unpack_from("<H", boot, 11)[0]
            reserved, fats = struct.unpack_from("<HB", boot, 14)
            fat_size = struct.unpack_from("<H", boot, 22)[0] or struct.unpack_from(
                "<I", boot, 36)[0]
            first = reserved + fats * fat_size
        if self.sector_size not in (512, 1024, 2048, 4096):
            raise ValueError(f"unusual sector size {self.sector_size}")
        self._first = first
        self._per_sector = self.sector_size // ENTRY
        self._sectors: OrderedDict[int, bytes] = OrderedDict()

    def entry(self, inode: int) -> bytes | None:
        if inode < FIRST_ENTRY_INODE:
            return None
        index = inode - FIRST_ENTRY_INODE
        sector = self._first + index // self._per_sector
        data = self._sectors.get(sector)
        if data is None:
            data = self._read(self._base + sector * self.sector_size, self.sector_size)
            self._sectors[sector] = data
            if len(self._sectors) > _SECTORS_CACHED:
                self._sectors.popitem(last=False)
        else:
            self._sectors.move_to_end(sector)
        start = (index % self._per_sector) * ENTRY
        chunk = data[start:start + ENTRY]
        return chunk if len(chunk) == ENTRY else None

    def times(self, inode: int, is_dir: bool, size: int | None) -> FileTimes | None:
        """The entry's times if it is the entry TSK described (same directory flag, and for
        a FAT file the same size); None when it does not look like it."""
        raw = self.entry(inode)
        if raw is None:
            return None
        if self.exfat:
            if raw[0] not in (_EXFAT_FILE, _EXFAT_FILE_DELETED):
                return None
            if bool(struct.unpack_from("<H", raw, 4)[0] & _FAT_DIR) != is_dir:
                return None
            return exfat_times(raw)
        attributes = raw[11]
        if raw[0] == 0 or attributes == _FAT_LFN:
            return None
        if bool(attributes & _FAT_DIR) != is_dir:
            return None
        if not is_dir and not attributes & _FAT_LABEL and size is not None and (
                struct.unpack_from("<I", raw, 28)[0] != size):
            return None
        return fat_times(raw)
