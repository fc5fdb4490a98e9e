"""CSV for spreadsheets: one row per event, the UTC instant first (empty for a local time
of unknown zone, whose wall clock and kind are in the next columns).

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return: file names are chosen by the suspect) get a leading ``'``, the
usual guard; every other cell is the text as read.
"""

from __future__ import annotations

import csv
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from lccu.fs.times import zone_name
from lccu.timeline.events import Event

HEADER = ("utc", "wall_clock", "time_kind", "zone", "resolution_s", "macb", "description",
          "attribute", "volume", "file_system", "path", "inode", "size", "deleted", "sha256",
          "timestomp")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


class CsvTimeline:
    """Writes the header once, then :meth:`write` one row per event."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._writer.writerow(HEADER)

    def write(self, event: Event, zone: ZoneInfo | None, sha256: str | None = None) -> None:
        entry, moment = event.entry, event.time
        self._writer.writerow([_cell(v) for v in (
            moment.utc_text(zone) or "", moment.wall_text() or "", moment.kind(zone),
            zone_name(zone) if moment.local else "", moment.to_json(zone)["resolution"],
            event.macb, event.description, event.attribute or "", event.volume.index,
            event.volume.fs_type, entry.name_path, entry.inode if entry.has_meta else "",
            entry.size, "yes" if not entry.allocated else "no", sha256 or "",
            entry.timestomp or "")])
