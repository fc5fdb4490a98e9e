"""The entries a timeline is made of: every volume of an image, walked without data runs.

:func:`volume_entries` yields ``(volume, entry)`` for allocated and deleted names alike,
streaming (nothing is kept but the walk's stack), so a disk with millions of files is
listed in bounded memory. :func:`local_volumes` tells beforehand which volumes store local
wall-clock times, so a caller can refuse formats that need UTC before writing anything.
"""

from __future__ import annotations

from collections.abc import Iterator

from lccu.errors import FileSystemError
from lccu.fs import Budget, FileEntry, Problem, Volume, list_volumes, walk
from lccu.fs.volume_times import stores_local
from lccu.imaging.tsk import TskImage


def local_volumes(volumes: list[Volume]) -> list[Volume]:
    """The volumes whose file system stores local wall-clock time (FAT, exFAT, ISO 9660)."""
    return [v for v in volumes if stores_local(v.fs_type)]


def volume_entries(img: TskImage, volumes: list[Volume], problems: list[Problem],
                   budget: Budget | None = None) -> Iterator[tuple[Volume, FileEntry]]:
    """Every entry of every volume; a volume that cannot be opened becomes a problem."""
    for volume in volumes:
        try:
            for entry in walk(img, volume, problems, budget=budget, runs=False):
                yield volume, entry
        except FileSystemError as exc:
            problems.append(Problem(f"volume {volume.index}", str(exc)))


def image_volumes(img: TskImage, problems: list[Problem]) -> list[Volume]:
    return list_volumes(img, problems)
