"""The carving driver: segments, header ownership, validation, hashing.

The image is read in ``segment_size`` pieces, each extended by ``overlap`` bytes so that a
signature straddling the edge is still seen whole. A header belongs to the segment in which
its file *starts* (``start <= offset < start + segment_size``), so every file is reported
exactly once, however the edges fall. Validators read past the segment through the stream
(bounded by each format's ``max_size``), so a file may be longer than a segment.

Concurrency: up to ``workers`` segments are searched, validated and hashed at the same time
in threads; the signature search (YARA), ``pread`` and SHA-256 release the GIL, so two
threads use two cores. A regular file is memory-mapped one segment at a time (no copy);
other streams are read. The caller's thread only merges the per-segment results in offset
order and applies the cross-segment rules. Memory is about ``workers * (segment_size +
overlap)`` plus small read windows (256 KiB) and hash pieces (4 MiB), whatever the image
size: measured peak RSS ~170 MiB with the defaults (see docs/benchmarks.md).

Headers inside an already validated file whose format checks the bytes in between (an EXIF
thumbnail in a JPEG; JPEG, PNG, GIF) are skipped unless ``nested=True``: the file holds
them. Inside the other formats (``Format.opaque_interior``: BMP, WAV, SQLite, MP4, ZIP, RAR,
7z, PDF, EVTX) headers are still carved, with a note naming the container, because an
overwritten stretch looks just like content there (and embedded files are evidence too).
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from lccu.carve.base import Format, MiB
from lccu.carve.record import CarvedFile
from lccu.carve.registry import select
from lccu.carve.search import find_headers
from lccu.carve.source import Cursor, ImageLike, Reader
from lccu.errors import CarveError, ImageFormatError, InvalidInput
from lccu.hashing import Digests, content_hasher

log = logging.getLogger(__name__)

DEFAULT_SEGMENT = 64 * MiB
_HASH_PIECE = 4 * MiB

OwnerOf = Callable[[int], object | None]


def _min_overlap(formats: tuple[Format, ...]) -> int:
    return max(sig.span for fmt in formats for sig in fmt.signatures) - 1


def _normalise(ranges: list[tuple[int, int]] | None, size: int) -> list[tuple[int, int]]:
    """Sorted, merged ``[start, end)`` ranges clipped to the image."""
    if ranges is None:
        return [(0, size)] if size else []
    spans = []
    for pair in ranges:
        try:
            start, end = (int(x) for x in pair)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"range {pair!r} is not a (start, end) pair of offsets") from exc
        if start < 0 or end < start:
            raise InvalidInput(f"range {pair!r} must have 0 <= start <= end")
        if start < size and end > start:
            spans.append((start, min(end, size)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _segments(spans: list[tuple[int, int]], segment_size: int) -> Iterator[tuple[int, int]]:
    for start, end in spans:
        for at in range(start, end, segment_size):
            yield at, min(at + segment_size, end)


def _scan(
    reader: Reader, start: int, end: int, overlap: int, formats: tuple[Format, ...]
) -> list[tuple[int, int]]:
    """Header starts owned by ``[start, end)``; the segment buffer is freed on return."""
    with reader.view(start, end - start + overlap) as data:
        hits = find_headers(data, formats)
    return [(start + rel, fi) for rel, fi in hits if 0 <= rel < end - start]


def _digests(reader: Reader, offset: int, length: int) -> Digests:
    """MD5, SHA-1 and SHA-256 of ``length`` bytes at ``offset``, in one read pass."""
    with content_hasher(length) as hasher:
        for at in range(offset, offset + length, _HASH_PIECE):
            hasher.update(reader.pread(at, min(_HASH_PIECE, offset + length - at)))
        return hasher.digests()


def _segment_job(
    reader: Reader, start: int, end: int, overlap: int, formats: tuple[Format, ...], nested: bool
) -> list[tuple[CarvedFile, bool]]:
    """Search, validate and hash one segment (in a worker thread).

    Returns records with their format's ``opaque_interior`` flag. Headers inside a file
    validated earlier in this same segment are skipped here; the caller repeats that rule
    across segments, in offset order.
    """
    out: list[tuple[CarvedFile, bool]] = []
    covered = -1
    for offset, fi in _scan(reader, start, end, overlap, formats):
        if offset < covered and not nested:
            continue
        fmt = formats[fi]
        try:
            verdict = fmt.validate(Cursor(reader, offset, offset + fmt.max_size))
            if verdict is None or verdict.length <= 0:
                continue
            digests = _digests(reader, offset, verdict.length)
        except OSError as exc:
            raise CarveError(
                f"reading the {fmt.name} candidate at {offset} failed: {exc}; "
                "check that the image is readable",
                key="carve_read_failed",
                params={"format": fmt.name, "offset": offset},
            ) from exc
        except (ValueError, IndexError, struct.error, zlib.error, OverflowError) as exc:
            # One malformed header must not end a carve of a whole image: drop it, say so.
            log.warning("dropped %s candidate at %d: %s", fmt.name, offset, exc)
            continue
        if verdict.validated and not fmt.opaque_interior:
            covered = max(covered, offset + verdict.length)
        record = CarvedFile(
            offset=offset,
            length=verdict.length,
            type=verdict.kind or fmt.name,
            extension=verdict.extension or fmt.extension,
            validated=verdict.validated,
            confidence=verdict.confidence,
            md5=digests.md5,
            sha1=digests.sha1,
            sha256=digests.sha256,
            note=verdict.note,
        )
        out.append((record, fmt.opaque_interior))
    return out


def carve(
    stream: ImageLike,
    size: int,
    *,
    segment_size: int = DEFAULT_SEGMENT,
    overlap: int | None = None,
    ranges: list[tuple[int, int]] | None = None,
    types: Iterable[str] | None = None,
    workers: int = 2,
    nested: bool = False,
) -> Iterator[CarvedFile]:
    """Yield carved files in offset order from a read-only seekable ``stream`` of ``size`` bytes.

    ``ranges`` limits where headers may start (e.g. unallocated space); a file found there
    may run on past its range. ``types`` names formats (see ``registry.FORMATS``; aliases such
    as ``jpg`` work). ``overlap`` defaults to the longest signature span and may not be less.
    """
    formats = select(types)
    need = _min_overlap(formats)
    overlap = need if overlap is None else overlap
    if not isinstance(size, int) or size < 0:
        raise InvalidInput(f"image size must be a non-negative int, got {size!r}")
    if segment_size < 4096:
        raise InvalidInput(f"segment_size {segment_size} is too small; use at least 4096 bytes")
    if not need <= overlap <= segment_size:
        raise InvalidInput(f"overlap {overlap} must lie between {need} and segment_size")
    if workers < 1:
        raise InvalidInput("workers must be at least 1")
    reader = Reader(stream, size)
    jobs = _segments(_normalise(ranges, size), segment_size)
    covered = -1
    opaque: tuple[int, int, str] = (-1, -1, "")  # outermost validated opaque-interior file
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="carve") as pool:
        pending: deque[Future[list[tuple[CarvedFile, bool]]]] = deque()

        def submit_next() -> None:
            job = next(jobs, None)
            if job is not None:
                pending.append(pool.submit(_segment_job, reader, *job, overlap, formats, nested))

        for _ in range(workers):
            submit_next()
        while pending:
            try:
                records = pending.popleft().result()
            except OSError as exc:
                raise ImageFormatError(f"reading the image failed while carving: {exc}") from exc
            submit_next()
            for record, size_only in records:
                offset = record.offset
                if offset < covered and not nested:
                    continue
                if opaque[0] < offset < opaque[1]:
                    inside = f"starts inside the {opaque[2]} carved at {opaque[0]}"
                    note = f"{record.note}; {inside}" if record.note else inside
                    record = replace(record, note=note)
                if record.validated and size_only:
                    if offset >= opaque[1]:  # keep naming the outermost container
                        opaque = (offset, offset + record.length, record.type)
                elif record.validated:
                    covered = max(covered, offset + record.length)
                yield record


def mark_duplicates(carved: Iterable[CarvedFile], owner_of: OwnerOf) -> Iterator[CarvedFile]:
    """Fill ``duplicate_of`` for carved files that start where an allocated file's data starts.

    ``owner_of(image_offset)`` returns that allocated file's identity (or None); it comes
    from the file-system index, which this module knows nothing about.
    """
    for item in carved:
        owner = owner_of(item.offset)
        yield item if owner is None else replace(item, duplicate_of=owner)


def read_carved(
    stream: ImageLike, carved: CarvedFile, *, chunk_size: int = 4 * MiB
) -> Iterator[bytes]:
    """Stream a carved file's bytes in ``chunk_size`` pieces (bounded memory)."""
    if chunk_size <= 0:
        raise InvalidInput("chunk_size must be positive")
    end = carved.offset + carved.length
    at = carved.offset
    while at < end:
        stream.seek(at)
        data = stream.read(min(chunk_size, end - at))
        if not data:
            raise ImageFormatError(
                f"image ends at {at} inside the carved {carved.type} at {carved.offset}; "
                "check that this is the image the file was carved from"
            )
        at += len(data)
        yield data
