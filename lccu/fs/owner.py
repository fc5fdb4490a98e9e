"""Which file owns an image byte offset, and which bytes no allocated file owns.

Carving uses this to mark carved files that are merely copies of allocated files, and
YARA to map a hit offset back to a file. Built once from the walk's ``image_runs``;
lookups are a binary search over sorted, non-overlapping ranges.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from lccu.fs.volumes import PartitionRow
from lccu.fs.walk import FileEntry


class OffsetOwnerIndex:
    """Map absolute image offsets to the :class:`FileEntry` whose data runs cover them.

    Only allocated entries are indexed unless ``include_deleted`` is set (deleted files'
    blocks may belong to someone else by now). Where runs overlap (shared blocks, corrupt
    metadata) the earlier-indexed range wins for the overlapping bytes.
    """

    def __init__(self, entries: Iterable[FileEntry], include_deleted: bool = False) -> None:
        ranges: list[tuple[int, int, FileEntry]] = []
        for entry in entries:
            if not entry.allocated and not include_deleted:
                continue
            for start, length in entry.image_runs:
                if length > 0:
                    ranges.append((start, start + length, entry))
        ranges.sort(key=lambda r: (r[0], r[1]))
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._owners: list[FileEntry] = []
        for start, end, entry in ranges:
            if self._ends and start < self._ends[-1]:
                start = self._ends[-1]  # drop the overlapping part
                if start >= end:
                    continue
            self._starts.append(start)
            self._ends.append(end)
            self._owners.append(entry)

    def __len__(self) -> int:
        return len(self._starts)

    def owner_of(self, image_offset: int) -> FileEntry | None:
        """The entry whose data holds byte ``image_offset``, or None."""
        i = bisect.bisect_right(self._starts, image_offset) - 1
        if i >= 0 and image_offset < self._ends[i]:
            return self._owners[i]
        return None

    def owned_ranges(self) -> list[tuple[int, int]]:
        """Merged ``(start, end)`` byte ranges (end exclusive) owned by indexed entries."""
        merged: list[tuple[int, int]] = []
        for start, end in zip(self._starts, self._ends, strict=True):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged


def unallocated_ranges(
    size: int,
    partition_table: Sequence[PartitionRow],
    entries: Iterable[FileEntry],
) -> list[tuple[int, int]]:
    """``(start, end)`` byte ranges (end exclusive) of the image no allocated file owns.

    This includes unpartitioned space, partition gaps, file-system metadata and free
    blocks (metadata is not excluded yet). Ranges are split at partition-table row
    boundaries so each lies within one ``mmls`` row, which lets carving say where a hit was.
    """
    owned = OffsetOwnerIndex(entries).owned_ranges()
    free: list[tuple[int, int]] = []
    cursor = 0
    for start, end in owned:
        start, end = max(0, start), min(size, end)
        if start > cursor:
            free.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < size:
        free.append((cursor, size))
    cuts = sorted({b for row in partition_table for b in (row.start_offset,
                   row.start_offset + row.length) if 0 < b < size})
    split: list[tuple[int, int]] = []
    for start, end in free:
        i = bisect.bisect_right(cuts, start)
        while i < len(cuts) and cuts[i] < end:
            split.append((start, cuts[i]))
            start = cuts[i]
            i += 1
        split.append((start, end))
    return split
