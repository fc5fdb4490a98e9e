"""Stage: carve files out of the raw image, mark copies of allocated files, export the rest.

Every carved file is exported to ``carved/<offset hex>.<ext>`` (content hashed while carving
is re-checked on export). A carved file whose first byte is the first data byte of an
allocated file is a copy of that file: it is kept in the report with ``duplicate_of`` so
nothing is hidden, but not exported twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

from lccu.carve import carve, mark_duplicates, read_carved
from lccu.errors import LccuError
from lccu.fs import FileEntry, OffsetOwnerIndex
from lccu.pipeline.filesystem import file_ref
from lccu.pipeline.sink import DirectorySink

CONFIDENCE = {"high": 0.9, "medium": 0.6, "low": 0.3}


def _starts_file(index: OffsetOwnerIndex) -> Callable[[int], dict[str, Any] | None]:
    def owner_of(offset: int) -> dict[str, Any] | None:
        owner = index.owner_of(offset)
        if owner is None or not owner.image_runs or owner.image_runs[0][0] != offset:
            return None
        return file_ref(owner)

    return owner_of


def intersect(ranges: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """The parts of ``ranges`` inside ``[lo, hi)``: a segment's share of unallocated space."""
    return [(max(s, lo), min(e, hi)) for s, e in ranges if max(s, lo) < min(e, hi)]


def carve_ranges(image: Any, label: str, entries: Sequence[FileEntry], mode: str,
                 span: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """Where carved headers may start: the whole image or ``span`` (a worker's segment),
    or with ``--carve unallocated`` only the unallocated part of it (outside every
    allocated file's data and the file systems' own structures). ``lccu scan`` and the
    workers' carve stage both ask here."""
    lo, hi = span if span is not None else (0, image.size)
    if mode != "unallocated":
        return [(lo, hi)]
    from lccu.fs import list_partition_table, unallocated_ranges
    from lccu.imaging.tsk import TskImage

    tsk = TskImage(image, image.size, name=label)
    try:
        table = list_partition_table(tsk)
    finally:
        tsk.clear_cache()
    return intersect(unallocated_ranges(image.size, table, list(entries)), lo, hi)


def carve_image(stream: BinaryIO, size: int, sink: DirectorySink | None,
                entries: Sequence[FileEntry], *,
                ranges: list[tuple[int, int]] | None = None,
                tick: Callable[[int], None] | None = None) -> tuple[list[dict[str, Any]],
                                                                    list[dict[str, str]]]:
    records: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    index = OffsetOwnerIndex(entries)
    try:
        found = list(mark_duplicates(carve(stream, size, ranges=ranges), _starts_file(index)))
    except LccuError as exc:
        return [], [{"where": "carving", "message": str(exc)}]
    for item in found:
        exported = None
        if sink is not None and item.duplicate_of is None:
            relative = f"carved/{item.offset:012x}.{item.extension}"
            digest = hashlib.sha256()
            try:
                with sink.create(relative) as out:
                    for chunk in read_carved(stream, item):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != item.sha256:
                    errors.append({"where": f"carved {item.type} at {item.offset}",
                                   "message": "bytes changed between carving and export"})
                exported = relative
            except (LccuError, OSError) as exc:
                errors.append({"where": f"carved {item.type} at {item.offset}",
                               "message": f"not exported: {exc}"})
        records.append({
            "offset": item.offset, "length": item.length, "type": item.type,
            "md5": item.md5, "sha1": item.sha1, "sha256": item.sha256, "validated": item.validated,
            "confidence": CONFIDENCE.get(str(item.confidence)),
            "duplicate_of": item.duplicate_of, "exported": exported,
        })
        if item.note and not item.validated:
            errors.append({"where": f"carved {item.type} at {item.offset}",
                           "message": f"not validated: {item.note}"})
        if tick is not None:
            tick(1)
    return records, errors
