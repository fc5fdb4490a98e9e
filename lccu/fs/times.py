"""The times a file system holds, what each one means, and how precise it is.

NTFS, ext2/3/4, HFS+ and APFS store UTC instants. FAT12/16/32, exFAT (when no UTC offset is
stored beside the time) and ISO 9660 (when the record's offset is 0) store the *local
wall-clock time* of the machine that wrote them: 14:00 written in Kortrijk in January is 13:00 UTC,
in July 12:00 UTC. Such a time becomes an instant only with the source machine's IANA time
zone; without one it stays "local, zone unknown" and is never presented as UTC.

A :class:`FsTime` keeps what the file system stored (an instant, or a wall clock) and its
resolution; the zone is applied when the time is shown, so a corrected source zone needs no
new listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lccu.errors import InvalidInput

SECOND = 1_000_000_000  # nanoseconds
DAY = 86_400 * SECOND
KIND_UTC = "utc"  # the file system stored a UTC instant
KIND_LOCAL = "local"  # a local wall clock, converted with the source time zone
KIND_LOCAL_UNKNOWN = "local-unknown"  # a local wall clock of an unknown zone: no instant
LOCAL_UNKNOWN_LABEL = "local, zone unknown"
_EPOCH = datetime(1970, 1, 1)  # naive: wall clocks are counted from it as if they were UTC


def source_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone called ``name`` (``Europe/Brussels``), None for None; a clear error for
    a name the time-zone database does not know."""
    if name is None:
        return None
    text = name.strip()
    try:
        if not text or text.startswith(("/", ".")) or ".." in text:
            raise ValueError(text)
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(
            f"unknown time zone {name!r}: give an IANA name such as Europe/Brussels or UTC "
            "(the zone the source machine's clock was set to)"
        ) from exc


def zone_name(zone: ZoneInfo | None) -> str | None:
    return None if zone is None else str(zone.key)


@dataclass(frozen=True, slots=True)
class FsTime:
    """One stored time.

    ``seconds``/``nanos``: for a UTC time, the Unix time; for a local time (``local``), the
    wall clock counted from 1970-01-01 00:00 as if it were UTC. ``resolution_ns`` is the
    file system's step for this field (FAT's access date: a day; FAT's write time: 2 s).
    """

    seconds: int
    nanos: int = 0
    local: bool = False
    resolution_ns: int = SECOND

    def wall_clock(self) -> datetime | None:
        """The stored value as a naive date and time (for a local time: the wall clock)."""
        try:
            return _EPOCH + timedelta(seconds=self.seconds, microseconds=self.nanos // 1000)
        except OverflowError:
            return None

    def _aware(self, zone: ZoneInfo, fold: int) -> datetime | None:
        wall = self.wall_clock()
        return None if wall is None else wall.replace(tzinfo=zone, fold=fold)

    def epoch(self, zone: ZoneInfo | None) -> int | None:
        """Unix seconds of the instant; None for a local time without a zone.

        A wall clock that occurred twice (the hour repeated when daylight saving time ends)
        gives the earlier instant; one that never occurred (skipped in spring) is read with
        the offset in force before the change. :meth:`ambiguous` says when either applies.
        """
        if not self.local:
            return self.seconds
        if zone is None:
            return None
        aware = self._aware(zone, 0)
        if aware is None:
            return None
        offset = aware.utcoffset()
        assert offset is not None
        return self.seconds - int(offset.total_seconds())

    def instant(self, zone: ZoneInfo | None) -> datetime | None:
        """The aware UTC datetime (microseconds), or None when it cannot be known."""
        seconds = self.epoch(zone)
        if seconds is None:
            return None
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
                seconds=seconds, microseconds=self.nanos // 1000
            )
        except OverflowError:
            return None

    def ambiguous(self, zone: ZoneInfo | None) -> bool:
        """True when the local wall clock maps to no single instant in ``zone`` (repeated or
        skipped by a daylight-saving change)."""
        if not self.local or zone is None:
            return False
        first, second = self._aware(zone, 0), self._aware(zone, 1)
        return (
            first is not None and second is not None and (first.utcoffset() != second.utcoffset())
        )

    def kind(self, zone: ZoneInfo | None) -> str:
        if not self.local:
            return KIND_UTC
        return KIND_LOCAL if zone is not None else KIND_LOCAL_UNKNOWN

    def utc_text(self, zone: ZoneInfo | None) -> str | None:
        """RFC 3339 UTC text with as many fraction digits as the resolution has."""
        seconds = self.epoch(zone)
        if seconds is None:
            return None
        return _format(seconds, self.nanos, self.resolution_ns, "+00:00")

    def wall_text(self) -> str | None:
        """The stored local wall clock as ISO 8601 text without an offset (local times only)."""
        return _format(self.seconds, self.nanos, self.resolution_ns, "") if self.local else None

    def to_json(self, zone: ZoneInfo | None) -> dict[str, Any]:
        """The report form: the UTC instant (null when unknown), the stored wall clock for
        local times, which kind it is, the zone used, the resolution in seconds."""
        record: dict[str, Any] = {
            "utc": self.utc_text(zone),
            "wall_clock": self.wall_text(),
            "kind": self.kind(zone),
            "zone": zone_name(zone) if self.local else None,
            "resolution": resolution_seconds(self.resolution_ns),
        }
        if self.ambiguous(zone):
            record["ambiguous"] = True
        return record


def resolution_seconds(resolution_ns: int) -> float | int:
    """``2`` for 2 s, ``1e-07`` for 100 ns: a whole number when it is one."""
    if resolution_ns % SECOND == 0:
        return resolution_ns // SECOND
    return resolution_ns / SECOND


def _digits(resolution_ns: int) -> int:
    digits, step = 0, resolution_ns
    while step < SECOND and digits < 9:
        step *= 10
        digits += 1
    return digits


def _format(seconds: int, nanos: int, resolution_ns: int, suffix: str) -> str | None:
    try:
        moment = _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.year < 1000:  # strftime does not pad years below 1000 everywhere
        text = f"{moment.year:04d}" + text[text.index("-") :]
    digits = _digits(resolution_ns)
    if digits == 0 and nanos:
        digits = 9
    if digits:
        text += "." + f"{nanos:09d}"[:digits]
    return text + suffix


@dataclass(frozen=True, slots=True)
class FileTimes:
    """Modified, accessed, changed (inode / MFT entry) and born times; None when the file
    system does not store that time or it is not set."""

    mtime: FsTime | None = None
    atime: FsTime | None = None
    ctime: FsTime | None = None
    crtime: FsTime | None = None

    def items(self) -> tuple[tuple[str, FsTime | None], ...]:
        return (
            ("mtime", self.mtime),
            ("atime", self.atime),
            ("ctime", self.ctime),
            ("crtime", self.crtime),
        )

    def to_json(self, zone: ZoneInfo | None) -> dict[str, Any]:
        return {
            key: (None if value is None else value.to_json(zone)) for key, value in self.items()
        }

    @property
    def has_local(self) -> bool:
        return any(value is not None and value.local for _key, value in self.items())


NO_TIMES = FileTimes()
