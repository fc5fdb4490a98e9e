"""Attach each image hit to the file that owns its offset, or mark it unallocated.

The owner index (built from file system block runs) lives elsewhere; this module only asks
``owner_of(image_offset)`` and records the answer, so scanning stays independent of file
systems.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol


class Owner(Protocol):
    """What ``owner_of`` returns for an allocated offset."""

    volume: Any
    path: str
    inode: Any


OwnerOf = Callable[[int], Owner | None]


def map_hits(hits: Iterable[Any], owner_of: OwnerOf) -> Iterator[Any]:
    """Yield hits with ``file`` set to {volume, path, inode} or ``"unallocated"``.

    Only image hits with an offset are looked up; per-file hits pass through unchanged.
    """
    for hit in hits:
        if hit.source != "image" or hit.offset is None:
            yield hit
            continue
        owner = owner_of(hit.offset)
        if owner is None:
            file: dict[str, Any] | str = "unallocated"
        else:
            file = {"volume": owner.volume, "path": owner.path, "inode": owner.inode}
        yield dataclasses.replace(hit, file=file)
