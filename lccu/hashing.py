"""MD5, SHA-1 and SHA-256 in one read pass, at the speed of MD5 alone when two cores are free.

MD5 cannot be split and is the slowest of the three (about 830 MB/s on one core here), while
SHA-1 and SHA-256 (with the CPU's SHA extensions) together take about as long: so one thread
runs MD5 and another SHA-1 then SHA-256 on the same block, each with its own short queue.
hashlib releases the GIL on buffers over 2 KiB, so the two run on separate cores and
overlap the read of the next blocks; there is no per-block barrier, the faster side runs
ahead by up to ``QUEUE_DEPTH`` blocks.

:func:`hash_stream` reads with ``readinto`` into a ring of ``QUEUE_DEPTH + 2`` reused buffers
(no allocation, no copy per block): a buffer goes back to the ring when both threads are
done with it, so memory stays at ``(QUEUE_DEPTH + 2) * block_size`` whatever the input.
The stream is read exactly once, front to back.

Hashing threads cost more than they save on small content (most files of a disk are a few
KiB): :func:`content_hasher` picks :class:`InlineHasher`, the same three digests in the
calling thread, below :data:`PARALLEL_MIN` bytes.
"""

from __future__ import annotations

import functools
import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

ALGORITHMS = ("md5", "sha1", "sha256")
HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
DEFAULT_BLOCK = 8 * 1024 * 1024
QUEUE_DEPTH = 3
#: content at least this big (or of unknown size) is hashed by three threads in parallel
PARALLEL_MIN = 4 * 1024 * 1024
_END = object()
_MARK = object()


class SupportsRead(Protocol):
    """Anything with ``read(size) -> bytes``: files, BytesIO, lccu image streams."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Digests:
    """The three content hashes and the byte count of one read pass."""

    size: int
    md5: str
    sha1: str
    sha256: str

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)

    def hashes(self) -> dict[str, str]:
        return {"md5": self.md5, "sha1": self.sha1, "sha256": self.sha256}


#: The digests each thread computes: MD5 alone, SHA-1 and SHA-256 together.
GROUPS = (("md5",), ("sha1", "sha256"))


class _Worker(threading.Thread):
    """One group of digests fed from its own bounded queue of (block, done callback)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__(name=f"hash-{'-'.join(names)}", daemon=True)
        self.hashers = {name: hashlib.new(name) for name in names}
        self.blocks: queue.Queue[Any] = queue.Queue(QUEUE_DEPTH)
        self.error: BaseException | None = None
        self.marked: dict[str, Any] | None = None  # the digests' state at the mark

    def run(self) -> None:
        while (item := self.blocks.get()) is not _END:
            block, done = item
            if block is _MARK:
                self.marked = {name: h.copy() for name, h in self.hashers.items()}
                continue
            if self.error is None:  # after a failure keep draining so producers never block
                try:
                    for hasher in self.hashers.values():
                        hasher.update(block)
                except BaseException as exc:
                    self.error = exc
            if done is not None:
                done()


class _Release:
    """Calls ``callback`` once every worker is done with a block."""

    def __init__(self, count: int, callback: Callable[[], None]) -> None:
        self._left, self._callback = count, callback
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            self._callback()


class MultiHasher:
    """Feed blocks once; get all three digests. Use as a context manager (owns threads).

    Blocks are hashed after ``update`` returns, so a block must not change afterwards:
    ``bytes`` are used as they are, anything mutable (bytearray, memoryview) is copied,
    unless ``released`` is given: then the block is used in place and ``released()`` is
    called once no thread needs it any more (the caller may then refill it).
    """

    def __init__(self) -> None:
        self._workers = [_Worker(group) for group in GROUPS]
        for worker in self._workers:
            worker.start()
        self._finished = False
        self.size = 0
        self._marked_size: int | None = None

    def __enter__(self) -> MultiHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the threads (idempotent); digests computed so far stay available."""
        if not self._finished:
            self._finished = True
            for worker in self._workers:
                worker.blocks.put(_END)
            for worker in self._workers:
                worker.join()

    def _raise_errors(self) -> None:
        for worker in self._workers:
            if worker.error is not None:
                raise worker.error

    def update(
        self, block: bytes | bytearray | memoryview, released: Callable[[], None] | None = None
    ) -> None:
        """Queue ``block`` for all digests (blocks while the slowest digest is behind)."""
        if self._finished:
            raise ValueError("MultiHasher already finished; start a new one")
        self._raise_errors()
        if released is None and not isinstance(block, bytes):
            block = bytes(block)
        self.size += len(block)
        done = _Release(len(self._workers), released) if released is not None else None
        for worker in self._workers:
            worker.blocks.put((block, done))

    def mark(self) -> None:
        """Remember the digests of everything updated so far (once), besides the final ones:
        one pass then hashes both a file and its first bytes (a fixed VHD is a disk
        followed by a footer; its media is the bytes before the footer)."""
        if self._marked_size is not None:
            raise ValueError("MultiHasher already marked")
        self._marked_size = self.size
        for worker in self._workers:
            worker.blocks.put((_MARK, None))

    def digests(self) -> Digests:
        """Finish all queued blocks and return the digests (no more updates afterwards)."""
        self.close()
        self._raise_errors()
        found = {name: h.hexdigest() for w in self._workers for name, h in w.hashers.items()}
        return Digests(size=self.size, md5=found["md5"], sha1=found["sha1"], sha256=found["sha256"])

    def marked(self) -> Digests | None:
        """The digests at :meth:`mark` (after :meth:`digests`), or None if never marked."""
        self.close()
        self._raise_errors()
        if self._marked_size is None:
            return None
        found = {name: h.hexdigest() for w in self._workers
                 for name, h in (w.marked or {}).items()}
        return Digests(size=self._marked_size, md5=found["md5"], sha1=found["sha1"],
                       sha256=found["sha256"])


class InlineHasher:
    """MD5, SHA-1 and SHA-256 updated in the calling thread: the same interface as
    :class:`MultiHasher` without threads, cheaper for small content."""

    def __init__(self) -> None:
        self._hashes = (hashlib.md5(), hashlib.sha1(), hashlib.sha256())
        self.size = 0

    def __enter__(self) -> InlineHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        return None

    def update(self, block: bytes | bytearray | memoryview) -> None:
        self.size += len(block)
        for digest in self._hashes:
            digest.update(block)

    def digests(self) -> Digests:
        md5, sha1, sha256 = (digest.hexdigest() for digest in self._hashes)
        return Digests(size=self.size, md5=md5, sha1=sha1, sha256=sha256)


def content_hasher(expected_size: int | None) -> InlineHasher | MultiHasher:
    """The cheaper one-pass hasher for content of ``expected_size`` bytes (None: unknown):
    threads for large or unknown content, the calling thread for small. Close it (or use it
    as a context manager) when done."""
    if expected_size is not None and expected_size < PARALLEL_MIN:
        return InlineHasher()
    return MultiHasher()


def hash_blocks(blocks: Iterable[bytes]) -> Digests:
    """Hash an iterable of blocks (each block is hashed while the next one is produced)."""
    with MultiHasher() as hasher:
        for block in blocks:
            hasher.update(block)
        return hasher.digests()


def iter_blocks(
    stream: SupportsRead,
    block_size: int = DEFAULT_BLOCK,
    progress: Callable[[int], None] | None = None,
) -> Iterable[bytes]:
    """Read ``stream`` to its end in blocks, reporting each block's length to ``progress``."""
    while True:
        block = stream.read(block_size)
        if not block:
            return
        if progress is not None:
            progress(len(block))
        yield block


def hash_stream(
    stream: SupportsRead,
    block_size: int = DEFAULT_BLOCK,
    progress: Callable[[int], None] | None = None,
) -> Digests:
    """MD5, SHA-1, SHA-256 and size of everything left in ``stream``, in one pass.

    A stream that offers ``sequential_blocks()`` (an S3 image: ranged reads prefetched in
    parallel, :meth:`lccu.imaging.stream.ImageStream.sequential_blocks`) is hashed from those
    blocks as they arrive; a stream with ``readinto`` is read into a ring of reused buffers
    (no copy per block); others are read block by block."""
    sequential = getattr(stream, "sequential_blocks", None)
    blocks = sequential() if callable(sequential) else None
    if blocks is not None:
        return hash_blocks(_reported(blocks, progress))
    readinto = getattr(stream, "readinto", None)
    if readinto is None:
        return hash_blocks(iter_blocks(stream, block_size, progress))
    ring: queue.Queue[memoryview] = queue.Queue()
    for _ in range(QUEUE_DEPTH + 2):
        ring.put(memoryview(bytearray(block_size)))
    with MultiHasher() as hasher:
        while True:
            buffer = ring.get()
            got = _fill(readinto, buffer)
            if not got:
                break
            hasher.update(buffer[:got], released=functools.partial(ring.put, buffer))
            if progress is not None:
                progress(got)
            if got < len(buffer):  # end of data (a short read was retried to fill)
                break
        return hasher.digests()


def _reported(blocks: Iterable[bytes], progress: Callable[[int], None] | None) -> Iterator[bytes]:
    """``blocks`` as they are, each one's length reported to ``progress`` first."""
    for block in blocks:
        if progress is not None:
            progress(len(block))
        yield block


def _fill(readinto: Callable[[memoryview], int | None], buffer: memoryview) -> int:
    """Read until ``buffer`` is full or the stream ends (raw files may return short reads)."""
    got = 0
    while got < len(buffer):
        n = readinto(buffer[got:])
        if not n:
            break
        got += n
    return got


def normalise_hash(algorithm: str, value: str) -> str:
    """Lower-case hex of the right length for ``algorithm``, or :class:`InvalidInput`."""
    from lccu.errors import InvalidInput

    cleaned = value.strip().lower()
    expected = HEX_LENGTHS[algorithm]
    if len(cleaned) != expected or any(c not in "0123456789abcdef" for c in cleaned):
        raise InvalidInput(
            f"declared {algorithm.upper()} must be {expected} hexadecimal digits, got {value!r}",
            key="declared_hash_invalid",
            params={"algorithm": algorithm.upper(), "digits": expected, "value": value[:80]},
        )
    return cleaned
