"""File-system engine: volumes, recursive listings, file content and offset ownership.

Takes a :class:`lccu.imaging.tsk.TskImage` (any seekable read-only stream) and yields
typed records; it knows nothing of task queues, object stores or the database. Each
record's times say whether the file system stored UTC or local time (:mod:`lccu.fs.times`).
"""

from __future__ import annotations

from lccu.fs.content import ContentInfo, ContentReader, identify, identify_head, open_content
from lccu.fs.owner import OffsetOwnerIndex, unallocated_ranges
from lccu.fs.problems import Notice, OutOfTime, Problem
from lccu.fs.times import FileTimes, FsTime, source_zone
from lccu.fs.volumes import (
    PartitionRow,
    Volume,
    fs_type_name,
    list_partition_table,
    list_volumes,
    open_fs,
)
from lccu.fs.walk import Budget, FileEntry, walk

__all__ = [
    "Budget",
    "ContentInfo",
    "ContentReader",
    "FileEntry",
    "FileTimes",
    "FsTime",
    "Notice",
    "OffsetOwnerIndex",
    "OutOfTime",
    "PartitionRow",
    "Problem",
    "Volume",
    "fs_type_name",
    "identify",
    "identify_head",
    "list_partition_table",
    "list_volumes",
    "open_content",
    "open_fs",
    "source_zone",
    "unallocated_ranges",
    "walk",
]
