"""Which times a volume's file system stores, in which kind and resolution, for each file.

One :class:`VolumeTimes` per volume knows the file system's rules (the table below) and
turns a TSK metadata record into :class:`~lccu.fs.times.FileTimes`:

========== ======= ===================================================================
file system stores  resolution
========== ======= ===================================================================
NTFS       UTC     100 ns (``$STANDARD_INFORMATION``; ``$FILE_NAME`` in ntfs_times)
ext2/3/4   UTC     1 ns with large (>128-byte) inodes, else 1 s; born only with large
HFS+       UTC     1 s
APFS       UTC     1 ns
FAT12/16/32 local  written 2 s, created 10 ms, accessed: the date only; no change time
exFAT      local*  written and created 10 ms, accessed 2 s (*UTC where an offset is stored)
ISO 9660   local*  1 s, recording time only (*UTC where the record stores a non-zero
                   offset: TSK drops it, lccu reads the record, see iso_times)
others     UTC     1 s
========== ======= ===================================================================
"""

from __future__ import annotations

import calendar
import struct
import time
from collections.abc import Callable
from typing import Any

from lccu.fs.fat_times import DirectoryEntries
from lccu.fs.iso_times import Stamp, record_stamps, utc_seconds
from lccu.fs.times import NO_TIMES, SECOND, FileTimes, FsTime

_FAT = {"fat12", "fat16", "fat32"}
_EXT = {"ext2", "ext3", "ext4"}
_LOCAL_BY_TSK = {"iso9660"}
_FIELDS = ("mtime", "atime", "ctime", "crtime")
_EXT_MAGIC = 0xEF53


def stores_local(fs_type: str | None) -> bool:
    """Whether ``fs_type`` stores local wall-clock times (see the module's table)."""
    return fs_type in _FAT or fs_type == "exfat" or fs_type in _LOCAL_BY_TSK


def ext_resolution(read: Callable[[int, int], bytes], volume_offset: int) -> int:
    """1 ns when the superblock says inodes are larger than 128 bytes (room for the extra
    time fields), else 1 s."""
    block = read(volume_offset + 1024, 96)
    if len(block) < 96 or struct.unpack_from("<H", block, 56)[0] != _EXT_MAGIC:
        return SECOND
    revision = struct.unpack_from("<I", block, 76)[0]
    inode_size = struct.unpack_from("<H", block, 88)[0] if revision >= 1 else 128
    return 1 if inode_size > 128 else SECOND


def _resolution(fs_type: str, read: Callable[[int, int], bytes], offset: int) -> int:
    if fs_type == "ntfs":
        return 100
    if fs_type == "apfs":
        return 1
    if fs_type in _EXT:
        return ext_resolution(read, offset)
    return SECOND


class VolumeTimes:
    """Reads the times of each file of one volume (see the module's table)."""

    def __init__(self, fs_type: str, read: Callable[[int, int], bytes], volume_offset: int) -> None:
        self.fs_type = fs_type
        self.stores_local = stores_local(fs_type)
        self.fallbacks = 0  # FAT/exFAT entries whose own bytes could not be used
        self._entries: DirectoryEntries | None = None
        if fs_type in _FAT or fs_type == "exfat":
            try:
                self._entries = DirectoryEntries(read, volume_offset, fs_type == "exfat")
            except (ValueError, OSError, struct.error):
                self._entries = None
        self._iso: dict[str, Stamp | None] = {}
        if fs_type in _LOCAL_BY_TSK:
            try:
                self._iso = record_stamps(read, volume_offset)
            except (ValueError, OSError, struct.error):
                self._iso = {}
        self._resolution = _resolution(fs_type, read, volume_offset)

    def times(self, meta: Any, inode: int, is_dir: bool, path: str | None = None) -> FileTimes:
        """The times of the file whose TSK metadata is ``meta`` (meta address ``inode``, at
        ``path`` in the volume: ISO 9660 records are found by path)."""
        if self.stores_local:
            found = self._local_times(meta, inode, is_dir)
            return self._iso_offsets(found, path) if self._iso and path else found
        step = self._resolution
        # one read of each field: every pytsk3 attribute access is a C call
        m, a, c, b = meta.mtime, meta.atime, meta.ctime, meta.crtime
        return FileTimes(
            FsTime(m, _valid(meta.mtime_nano), False, step) if m else None,
            FsTime(a, _valid(meta.atime_nano), False, step) if a else None,
            FsTime(c, _valid(meta.ctime_nano), False, step) if c else None,
            FsTime(b, _valid(meta.crtime_nano), False, step) if b else None,
        )

    def _local_times(self, meta: Any, inode: int, is_dir: bool) -> FileTimes:
        tsk_set = any(int(getattr(meta, key, 0) or 0) for key in _FIELDS)
        if not tsk_set:
            return NO_TIMES  # virtual entries ($MBR, $FAT1, the root) have no stored times
        if self._entries is not None:
            found = self._entries.times(inode, is_dir, None if is_dir else int(meta.size))
            if found is not None:
                return found
            self.fallbacks += 1
        return self._from_tsk_local(meta)

    def _iso_offsets(self, found: FileTimes, path: str) -> FileTimes:
        """TSK's ISO 9660 wall clocks as UTC instants where the record of ``path`` stores a
        non-zero offset and its wall clock is the one TSK read (else left local)."""
        stamp = self._iso.get(path.casefold())
        if stamp is None or stamp[1] == 0:
            return found
        wall = calendar.timegm((*stamp[0], 0, 0, 0))
        values = {}
        for key, value in found.items():
            if value is not None and value.local and value.seconds == wall:
                value = FsTime(utc_seconds(stamp), value.nanos, False, value.resolution_ns)
            values[key] = value
        return FileTimes(**values)

    def _from_tsk_local(self, meta: Any) -> FileTimes:
        """Undo TSK's ``mktime()`` with ``localtime()`` in the same process: the wall clock
        back, exact unless it fell in an hour this machine's zone skips or repeats."""
        resolution = SECOND if self.fs_type in _LOCAL_BY_TSK else 2 * SECOND
        values: dict[str, FsTime | None] = {}
        for key in _FIELDS:
            seconds = int(getattr(meta, key, 0) or 0)
            if not seconds:
                values[key] = None
                continue
            try:
                wall = calendar.timegm(time.localtime(seconds))
            except (OverflowError, OSError, ValueError):
                values[key] = None
                continue
            values[key] = FsTime(wall, _nanos(meta, key), True, resolution)
        return FileTimes(**values)


def _nanos(meta: Any, key: str) -> int:
    return _valid(int(getattr(meta, f"{key}_nano", 0) or 0))


def _valid(nanos: int) -> int:
    return nanos if 0 <= nanos < SECOND else 0
