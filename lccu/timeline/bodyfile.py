"""The Sleuth Kit's bodyfile (``fls -m``): ``MD5|name|inode|mode|UID|GID|size|atime|mtime|
ctime|crtime``, one line per name (on NTFS per data stream and index root, plus a
``($FILE_NAME)`` line with the ``$FILE_NAME`` times), deleted names marked ``(deleted)``.

Lines equal ``fls -m / -r -z ZONE`` for the same image: local times are converted with the
source zone, times are whole Unix seconds printed as unsigned 32-bit numbers like fls,
control characters in names become ``^``. Known differences: an exFAT time with a stored
UTC offset, and an ISO 9660 time whose record stores a non-zero offset, are converted with
that offset (TSK ignores it); an NTFS time that is not set prints 0 (Debian's TSK 4.11
prints 3373865674, its reading of FILETIME 0).
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from functools import lru_cache
from zoneinfo import ZoneInfo

from lccu.fs import FileEntry
from lccu.fs.times import FileTimes, FsTime

_FNAME_TYPE = 48


_CONTROLS = str.maketrans({code: "^" for code in range(0x20)})


def sanitize(text: str) -> str:
    """Control characters (below 0x20) as ``^``, as fls prints names."""
    return text.translate(_CONTROLS)


def _seconds(value: FsTime | None, zone: ZoneInfo | None) -> int:
    if value is None:
        return 0
    seconds = value.epoch(zone)
    if seconds is None:
        raise ValueError("a local time needs the source time zone for a bodyfile")
    return seconds & 0xFFFFFFFF


def _line(
    entry: FileEntry, name: str, inode: str, size: int, times: FileTimes, zone: ZoneInfo | None
) -> str:
    name_letter, meta_letter = entry.type_code.split("/", 1)
    if entry.link:
        name += f" -> {entry.link}"
    if not entry.allocated:
        name += " (deleted-realloc)" if entry.has_meta and entry.meta_allocated else " (deleted)"
    if not entry.has_meta:
        return f"0|{name}|{inode}|{name_letter}/----------|0|0|0|0|0|0|0"
    mode = meta_letter + _permissions(entry.mode)
    return (
        f"0|{name}|{inode}|{name_letter}/{mode}|{entry.uid}|{entry.gid}|{size}|"
        f"{_seconds(times.atime, zone)}|{_seconds(times.mtime, zone)}|"
        f"{_seconds(times.ctime, zone)}|{_seconds(times.crtime, zone)}"
    )


@lru_cache(maxsize=4096)
def _permissions(mode: int) -> str:
    """``rw-r--r--`` with set-id and sticky letters, like ``ls -l`` (and TSK)."""
    return stat.filemode(mode & 0o7777)[1:]


def bodyfile_lines(entry: FileEntry, zone: ZoneInfo | None) -> Iterator[str]:
    """The bodyfile line(s) of one entry (no newline). Raises ValueError for a local time
    without ``zone``; callers check :func:`lccu.timeline.source.local_volumes` first."""
    if entry.ntfs_attr is not None:
        kind, ident, size = entry.ntfs_attr
        yield _line(
            entry, sanitize(entry.path), f"{entry.inode}-{kind}-{ident}", size, entry.times, zone
        )
    else:
        yield _line(entry, sanitize(entry.path), str(entry.inode), entry.size, entry.times, zone)
    file_name = entry.file_name
    if file_name is not None and entry.primary:
        yield _line(
            entry,
            sanitize(entry.name_path) + " ($FILE_NAME)",
            f"{entry.inode}-{_FNAME_TYPE}-{file_name.attr_id}",
            file_name.attr_size,
            file_name.times,
            zone,
        )
