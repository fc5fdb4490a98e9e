"""Timeline events: one per time a file system holds for a name (modified, accessed,
changed, born; on NTFS for ``$STANDARD_INFORMATION`` and ``$FILE_NAME`` each).

An NTFS file with alternate data streams shares one MFT entry, so its events are given
once, for the name (the bodyfile keeps fls's line per stream).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lccu.fs import FileEntry, FsTime, Volume

#: timestamp_desc values, as plaso names them (Timesketch users filter on these)
DESCRIPTIONS = {"mtime": "Content Modification Time", "atime": "Last Access Time",
                "ctime": "Metadata Modification Time", "crtime": "Creation Time"}
MACB = {"mtime": "m", "atime": "a", "ctime": "c", "crtime": "b"}
STANDARD_INFORMATION = "$STANDARD_INFORMATION"
FILE_NAME = "$FILE_NAME"


@dataclass(frozen=True, slots=True)
class Event:
    """One time of one name. ``attribute`` is the NTFS attribute holding it, else None."""

    time: FsTime
    field: str
    attribute: str | None
    entry: FileEntry
    volume: Volume

    @property
    def description(self) -> str:
        text = DESCRIPTIONS[self.field]
        return f"{text} ({self.attribute})" if self.attribute == FILE_NAME else text

    @property
    def macb(self) -> str:
        return MACB[self.field]


def entry_events(volume: Volume, entry: FileEntry) -> Iterator[Event]:
    """The events of one listed entry (none for a name without metadata)."""
    if not entry.primary:
        return
    ntfs = volume.fs_type == "ntfs"
    for field, value in entry.times.items():
        if value is not None:
            yield Event(value, field, STANDARD_INFORMATION if ntfs else None, entry, volume)
    if entry.file_name is not None:
        for field, value in entry.file_name.times.items():
            if value is not None:
                yield Event(value, field, FILE_NAME, entry, volume)
