"""Scan a whole image with YARA in overlapping segments, in parallel threads, in bounded memory.

Why segments: a 2 TB image cannot be read into memory, and yara-python releases the GIL
while it scans a buffer, so ``workers`` threads scan separate segments at once.

The overlap contract. Segment *i* owns the bytes ``[start, end)`` but is scanned as
``[start - LOOKBEHIND, end + overlap)``; a hit is kept only if its offset lies in the owned
part. A match that starts in the owned part and is at most ``overlap`` bytes long is
therefore wholly inside the scanned buffer and found exactly once; a match starting in the
overlap belongs to the next segment. The look-behind gives ``fullword`` and ``\\b`` the
byte before a segment so they do not see a false word boundary. ``overlap`` defaults to the
longest match the rules can have (:mod:`lccu.scan.lengths`).

Limits. A string with no bound (``*``, ``+``, ``{n,}``, an open hex jump ``[4-]``) may be
longer than any overlap: such rules get ``UNBOUNDED_OVERLAP`` (256 KiB), and a longer match
crossing a segment edge is missed. (YARA itself stops regular expressions after about
4 KiB, so only open hex jumps are really at risk.) Conditions are evaluated per segment:
rules that count matches (``#a > 3``, ``2 of them``), use ``filesize``, ``at``/``in`` with
absolute offsets, entry points or modules describe files, not images, and belong to
per-file scans (:mod:`lccu.scan.files`); image hits are string matches only, and a rule
that matched on its condition alone is not reported for an image.
"""

from __future__ import annotations

import contextlib
import mmap
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO

from lccu.errors import InvalidInput, ScanError
from lccu.scan.engines import EngineError, ScanTimeout, match_libyara, match_yarax
from lccu.scan.matching import to_hits
from lccu.scan.records import Hit, ScanProblem
from lccu.scan.rules import RuleSet
from lccu.scan.xpool import SegmentBuffer, shared_pool

MiB = 1024 * 1024
DEFAULT_SEGMENT = 32 * MiB
UNBOUNDED_OVERLAP = 256 * 1024
LOOKBEHIND = 256
DEFAULT_TIMEOUT = 120
DEFAULT_MAX_HITS = 100_000


def choose_overlap(rules: RuleSet, overlap: int | None) -> int:
    """The overlap to use: the rules' longest match, or the caller's if at least as long."""
    longest = rules.longest_match
    if overlap is None:
        return UNBOUNDED_OVERLAP if longest is None else max(longest, 1)
    if longest is not None and overlap < longest:
        raise InvalidInput(
            f"overlap {overlap} is shorter than the longest match the rules allow ({longest} "
            "bytes); hits at segment edges would be lost: use a larger overlap or the default"
        )
    return overlap


def _read_into(stream: BinaryIO, lock: threading.Lock, offset: int, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``offset`` (less only at end of data); seek+read under a lock."""
    got = 0
    with lock:
        stream.seek(offset)
        while got < len(buffer):
            readinto = getattr(stream, "readinto", None)
            if readinto is not None:
                n = readinto(buffer[got:])
            else:
                chunk = stream.read(len(buffer) - got)
                n = len(chunk)
                buffer[got : got + n] = chunk
            if not n:
                break
            got += n
    return got


def scan_stream(
    stream: BinaryIO,
    size: int,
    rules: RuleSet,
    *,
    segment_size: int = DEFAULT_SEGMENT,
    overlap: int | None = None,
    workers: int = 2,
    timeout: int = DEFAULT_TIMEOUT,
    max_hits: int | None = DEFAULT_MAX_HITS,
    errors: list[ScanProblem] | None = None,
    target: str = "image",
    span: tuple[int, int] | None = None,
) -> Iterator[Hit]:
    """Yield every string hit in ``stream[0:size]``, in offset order, at most ``max_hits``.

    ``span=(start, end)`` yields only the hits that start in ``[start, end)``: one worker's
    share of an image, scanned with the same segments, look-behind and overlap (reaching
    past ``end``) as a whole-image scan, so the shares of a run add up to ``lccu scan``.

    A segment that times out, a short read or a string that hits YARA's match limit becomes
    a :class:`ScanProblem` appended to ``errors``; with ``errors=None`` it raises
    :class:`ScanError` instead. Beyond ``max_hits`` hits are counted, not yielded, and the
    total is reported as a ``max_hits`` problem. ``timeout`` is in whole seconds per segment.
    """
    if size < 0 or segment_size <= 0 or workers < 1 or timeout < 1:
        raise InvalidInput(
            f"scan of {target}: size, segment_size, workers and timeout must be positive "
            f"(got size={size}, segment_size={segment_size}, workers={workers}, "
            f"timeout={timeout})"
        )
    if not (stream.readable() and stream.seekable()):
        raise InvalidInput(f"scan of {target}: the image stream must be readable and seekable")
    first, last = span if span is not None else (0, size)
    if not 0 <= first <= last <= size:
        raise InvalidInput(f"scan of {target}: span [{first}, {last}) is not inside the "
                           f"image's {size} bytes")
    ov = choose_overlap(rules, overlap)
    return _scan(stream, size, rules, segment_size, ov, workers, timeout, max_hits, errors,
                 target, first, last)


def _scan(
    stream: BinaryIO,
    size: int,
    rules: RuleSet,
    segment_size: int,
    overlap: int,
    workers: int,
    timeout: int,
    max_hits: int | None,
    errors: list[ScanProblem] | None,
    target: str,
    first: int,
    last: int,
) -> Iterator[Hit]:
    lock = threading.Lock()

    def report(problem: ScanProblem) -> None:
        if errors is None:
            raise ScanError(problem.message)
        errors.append(problem)

    buffer_size = segment_size + overlap + LOOKBEHIND
    use_pool = rules.yarax_blob is not None and workers > 1 and last - first > segment_size
    # Kept for the next scan with these rules (a worker's next task): see lccu.scan.xpool.
    # With libyara rules too, the parent's threads scan them on one core's worth of time
    # while workers - 1 children scan the YARA-X rules (each child holds its own rules:
    # about 100 MiB for signature-base, so on two cores one child keeps the scan under
    # 300 MB).
    children = max(1, workers - 1) if rules.libyara is not None else workers
    pool = (shared_pool(rules.yarax_blob or b"", workers, buffer_size, children)
            if use_pool else None)
    # The YARA-X side of each segment: a lane of its own, so a segment's libyara scan runs
    # while a child is still starting or busy with another segment (the engines overlap;
    # the segment's buffer is refilled only when both are done with it).
    xlane = (ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lccu-yarax")
             if pool is not None else None)

    def in_child(request: dict[str, Any]) -> dict[str, Any]:
        """A child's answer for one segment."""
        assert pool is not None
        with pool.child() as child:
            return child.scan(request, request["timeout"])

    def scan_segment(start: int, end: int) -> tuple[list[Hit], int, list[ScanProblem]]:
        if pool is None:
            return _scan_one(bytearray(buffer_size), None, start, end)
        with pool.buffer() as buf:
            return _scan_one(buf.memory, buf, start, end)

    def _scan_one(memory: bytearray | mmap.mmap, buf: SegmentBuffer | None, start: int,
                  end: int) -> tuple[list[Hit], int, list[ScanProblem]]:
        lo, hi = max(0, start - LOOKBEHIND), min(size, end + overlap)
        where = f"{target} [{start:#x}, {end:#x})"
        problems: list[ScanProblem] = []
        view = memoryview(memory)
        try:
            got = _read_into(stream, lock, lo, view[: hi - lo])
        except OSError as exc:  # includes lccu StorageError: record it, scan the rest
            problems.append(ScanProblem(
                "read_error", target,
                f"{where} was not scanned: reading the image failed ({exc}); hits in this "
                "range are missing, check the store and rescan", start, end))
            return [], 0, problems
        if got < min(end, size) - lo:
            problems.append(ScanProblem(
                "read_error", target,
                f"{where}: image ended at {lo + got:#x}, before its stated size "
                f"{size:#x}; the rest was not scanned (check the image is complete)",
                lo + got, end))
        data = view[:got]
        request = {"length": got, "base": lo, "start": start, "end": end, "limit": max_hits,
                   "timeout": timeout}
        hits: list[Hit] = []
        count = 0
        too_many: list[str] = []
        asked: Future[dict[str, Any]] | None = None
        try:
            if buf is not None and xlane is not None:
                buf.cut(got)
                asked = xlane.submit(in_child, {**request, "buffer": buf.index})
            elif rules.yarax is not None:
                part = _yarax_in_thread(rules, bytes(data), request)
                hits, count, too_many = part
            if rules.libyara is not None:
                found = match_libyara(rules.libyara, data=data, timeout=timeout)
                more, n = to_hits(found.rules, source="image", base=lo,
                                  keep=lambda o: start <= o < end, keep_stringless=False,
                                  limit=max_hits)
                hits, count, too_many = hits + more, count + n, too_many + found.too_many
            if asked is not None:
                answer = asked.result()
                asked = None
                if answer.get("error") == "timeout":
                    raise ScanTimeout(answer["error"])
                if answer.get("error"):
                    raise EngineError(answer["error"])
                hits += [_hit(h) for h in answer["hits"]]
                count += answer["total"]
                too_many += answer["too_many"]
        except ScanTimeout:
            problems.append(ScanProblem(
                "timeout", target,
                f"{where} was not scanned: YARA gave up after {timeout} s, so hits in this "
                "range are missing; rescan it with a longer timeout or without the slow rule",
                start, end, details={"timeout": timeout}))
            return [], 0, problems
        except EngineError as exc:
            problems.append(ScanProblem(
                "scan_error", target, f"{where} was not scanned: YARA failed: {exc}", start, end))
            return [], 0, problems
        finally:
            del data, view
            if asked is not None:  # libyara failed: the child still reads the buffer
                with contextlib.suppress(Exception):
                    asked.result()
        for name in too_many:
            problems.append(ScanProblem(
                "too_many_matches", target,
                f"{where}: string {name} reached YARA's limit of matches per scan; later "
                "matches of it in this range are not reported", start, end,
                details={"string": name}))
        # no segment needs more than max_hits records: only the first max_hits are yielded
        hits.sort(key=lambda h: (h.offset, h.namespace, h.rule, h.string))
        return (hits if max_hits is None else hits[:max_hits]), count, problems

    total = 0
    yielded = 0
    threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lccu-yara")
    pending: deque[Future[tuple[list[Hit], int, list[ScanProblem]]]] = deque()
    starts = iter(range(first, last, segment_size))
    try:
        while True:
            # keep at most two segments per worker queued: each holds one buffer when running
            while len(pending) < 2 * workers:
                start = next(starts, None)
                if start is None:
                    break
                pending.append(threads.submit(scan_segment, start,
                                              min(start + segment_size, last)))
            if not pending:
                break
            hits, count, problems = pending.popleft().result()
            for problem in problems:
                report(problem)
            total += count
            for hit in hits:
                if max_hits is not None and yielded >= max_hits:
                    break
                yielded += 1
                yield hit
        if max_hits is not None and total > max_hits:
            report(ScanProblem(
                "max_hits", target,
                f"{target}: {total} hits found, only the first {max_hits} kept; narrow the "
                "rules or raise max_hits", count=total, details={"kept": max_hits}))
    finally:
        threads.shutdown(wait=True, cancel_futures=True)
        if xlane is not None:
            xlane.shutdown(wait=True)


def _yarax_in_thread(rules: RuleSet, data: bytes,
                     request: dict[str, Any]) -> tuple[list[Hit], int, list[str]]:
    """YARA-X on one segment in this process (one worker, or a single segment)."""
    start, end = request["start"], request["end"]
    found = match_yarax(rules.yarax, data=data, timeout=request["timeout"])
    hits, count = to_hits(found.rules, source="image", base=request["base"],
                          keep=lambda o: start <= o < end, keep_stringless=False,
                          limit=request["limit"], read=lambda off, n: data[off : off + n])
    return hits, count, found.too_many


def _hit(record: dict[str, Any]) -> Hit:
    """A hit record from a scanner process, back into a :class:`Hit`."""
    return Hit(record["rule"], record["namespace"], tuple(record["tags"]), record["meta"],
               record["string"], record["offset"], record["matched"], record["length"],
               None, record["source"])
