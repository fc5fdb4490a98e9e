"""Write one image's timeline as a bodyfile, Timesketch JSONL or CSV, streaming.

Lines are written as the file systems are walked (directory order, like ``fls``), so
memory stays bounded whatever the number of files; sort afterwards if order matters
(``mactime``, Timesketch and spreadsheets all sort themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO
from zoneinfo import ZoneInfo

from lccu.errors import FileSystemError, InvalidInput
from lccu.fs import Budget, Problem, Volume
from lccu.fs.fastbody import PYTSK3, fast_volume, volume_lines
from lccu.imaging.tsk import TskImage
from lccu.timeline.bodyfile import bodyfile_lines
from lccu.timeline.csvfile import CsvTimeline
from lccu.timeline.events import entry_events
from lccu.timeline.jsonl import jsonl_line
from lccu.timeline.source import image_volumes, local_volumes, volume_entries

FORMATS = ("bodyfile", "jsonl", "csv")
#: (volume index, inode) -> SHA-256 of the content, where a processing run hashed it
Hashes = Mapping[tuple[int, int], str]


@dataclass
class TimelineResult:
    """What was written: lines (events, or bodyfile lines), volumes, problems met, and the
    engine that walked each volume (``pytsk3``, or the C walk over libtsk: see
    :func:`lccu.fs.fastbody.engine`)."""

    lines: int = 0
    volumes: int = 0
    problems: list[Problem] = field(default_factory=list)
    engines: list[str] = field(default_factory=list)


def needs_zone(fmt: str) -> bool:
    """Formats whose every time must be an instant (bodyfile epochs, Timesketch datetimes)."""
    return fmt in ("bodyfile", "jsonl")


def write_timeline(
    img: TskImage,
    out: TextIO,
    fmt: str,
    zone: ZoneInfo | None,
    source: str,
    *,
    budget: Budget | None = None,
    hashes: Hashes | None = None,
) -> TimelineResult:
    """Walk every volume of ``img`` and write its timeline in ``fmt`` to ``out``.

    Raises :class:`InvalidInput` before writing anything when ``fmt`` needs instants and a
    volume stores local time but no source ``zone`` was given.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown timeline format {fmt!r}; use one of {', '.join(FORMATS)}")
    result = TimelineResult()
    volumes = image_volumes(img, result.problems)
    result.volumes = len(volumes)
    local = local_volumes(volumes)
    if zone is None and local and needs_zone(fmt):
        names = ", ".join(f"volume {v.index} ({v.fs_type})" for v in local)
        raise InvalidInput(
            f"{source}: {names} stores local wall-clock times, and a {fmt} holds only UTC "
            "instants: give --timezone with the source machine's IANA zone (for example "
            "Europe/Brussels, or UTC if its clock ran on UTC), or use --format csv, which "
            "keeps them as local, zone unknown"
        )
    if fmt == "bodyfile":
        for volume in volumes:
            result.lines += _volume_bodyfile(img, volume, out, zone, result, budget)
        return result
    hashes = hashes or {}
    result.engines = [PYTSK3] * len(volumes)
    table = CsvTimeline(out) if fmt == "csv" else None
    for volume, entry in volume_entries(img, volumes, result.problems, budget):
        sha256 = hashes.get((volume.index, entry.inode)) if entry.has_meta else None
        for event in entry_events(volume, entry):
            if table is not None:
                table.write(event, zone, sha256)
            else:
                out.write(jsonl_line(event, zone, source, sha256) + "\n")
            result.lines += 1
    return result


def _volume_bodyfile(
    img: TskImage,
    volume: Volume,
    out: TextIO,
    zone: ZoneInfo | None,
    result: TimelineResult,
    budget: Budget | None,
) -> int:
    """One volume's bodyfile lines: straight from TSK's records where the file system
    stores UTC and is not NTFS (:mod:`lccu.fs.fastbody`, in C over libtsk where built),
    else through the full walk."""
    if fast_volume(volume.fs_type):
        try:
            lines, engine = volume_lines(img, volume, out.write, result.problems, budget)
        except FileSystemError as exc:
            result.problems.append(Problem(f"volume {volume.index}", str(exc)))
            return 0
        result.engines.append(engine)
        return lines
    result.engines.append(PYTSK3)
    lines = 0
    for _volume, entry in volume_entries(img, [volume], result.problems, budget):
        for line in bodyfile_lines(entry, zone):
            out.write(line + "\n")
            lines += 1
    return lines
