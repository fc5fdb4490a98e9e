"""NTFS ``$FILE_NAME`` times beside the ``$STANDARD_INFORMATION`` ones, and time-stomping.

An MFT entry holds two sets of the four times: ``$STANDARD_INFORMATION`` ($SI, what
Explorer shows and what ``SetFileTime`` changes) and, in each ``$FILE_NAME`` attribute
($FN), a copy Windows sets when the name is created, moved or renamed and that ordinary
programs cannot set. Tools that backdate a file ("time-stomping") change $SI only, so a
$SI creation time earlier than the $FN creation time is a classic sign; Windows itself
never produces one (a copy gets a new $SI creation time equal to its $FN one).

The $FN attribute used is the one The Sleuth Kit reports (the last one not in the DOS
8.3 namespace), so the listing matches ``fls -m``'s ``($FILE_NAME)`` lines.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from lccu.fs.times import FileTimes, FsTime

FILETIME_UNIX_EPOCH = 116_444_736_000_000_000  # 100 ns steps from 1601 to 1970
_TICK_NS = 100
_DOS_NAMESPACE = 2
_FN_MIN_SIZE = 66


@dataclass(frozen=True, slots=True)
class FileNameTimes:
    """The $FN times of one MFT entry and the attribute they come from (type, id, size)."""

    times: FileTimes
    attr_id: int
    attr_size: int


def filetime(value: int) -> FsTime | None:
    """A Windows FILETIME (100 ns steps since 1601, UTC) as an FsTime; None when 0."""
    if value <= 0:
        return None
    ticks = value - FILETIME_UNIX_EPOCH
    seconds, rest = divmod(ticks, 10_000_000)
    return FsTime(seconds, rest * _TICK_NS, False, _TICK_NS)


def _four(content: bytes) -> FileTimes:
    """Created, modified, MFT-changed, accessed FILETIMEs at the start of ``content``."""
    created, modified, changed, accessed = struct.unpack_from("<4Q", content, 0)
    return FileTimes(mtime=filetime(modified), atime=filetime(accessed),
                     ctime=filetime(changed), crtime=filetime(created))


def parse_standard_information(content: bytes) -> FileTimes | None:
    """The four $STANDARD_INFORMATION times, read from the attribute itself so that every
    FILETIME is kept as stored (TSK versions differ on times past 2038 or before 1970)."""
    return _four(content) if len(content) >= 32 else None


def parse_file_name(content: bytes) -> tuple[FileTimes, int] | None:
    """(times, namespace) of a $FILE_NAME attribute's content; None if it is too short."""
    if len(content) < _FN_MIN_SIZE:
        return None
    return _four(content[8:40]), content[65]


def choose_file_name(candidates: list[tuple[int, int, bytes]]) -> FileNameTimes | None:
    """From ``(attr id, size, content)`` of every $FN attribute in MFT order, the one TSK
    takes its $FILE_NAME times from: the last outside the DOS namespace."""
    chosen: FileNameTimes | None = None
    for attr_id, size, content in candidates:
        parsed = parse_file_name(content)
        if parsed is None or parsed[1] == _DOS_NAMESPACE:
            continue
        chosen = FileNameTimes(parsed[0], attr_id, size)
    return chosen


def stomp_reason(si: FileTimes, fn: FileTimes | None) -> str | None:
    """Why the $SI times look set by a tool, or None: $SI created earlier than $FN created.
    (A time that is not set at all is not counted: mkntfs leaves $MFT's $SI at zero.)"""
    if fn is None or fn.crtime is None or si.crtime is None:
        return None
    fn_born, si_born = fn.crtime, si.crtime
    if (si_born.seconds, si_born.nanos) < (fn_born.seconds, fn_born.nanos):
        return (f"$STANDARD_INFORMATION creation time {si_born.utc_text(None)} is earlier "
                f"than $FILE_NAME creation time {fn_born.utc_text(None)}: possible "
                "time-stomping ($SI changed by a tool, $FN kept)")
    return None
