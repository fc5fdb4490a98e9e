"""MD5, SHA-1 and SHA-256 in one read pass.

Each digest runs in its own thread with its own short queue of blocks: hashlib releases the
GIL on buffers over 2 KiB, so the digests run on separate cores and overlap the read of the
next block. There is no per-block barrier: the faster digests (SHA-1 and SHA-256 with SHA-NI)
run ahead of MD5 by up to ``QUEUE_DEPTH`` blocks instead of idling while it finishes, so a
pass costs about as long as the slowest digest alone when cores allow. The caller's stream
is read exactly once, front to back, in ``block_size`` pieces; memory stays bounded by about
``(QUEUE_DEPTH + 2) * block_size`` because ``update`` blocks while a queue is full.

Three threads cost more than they save on small content (most files of a disk are a few
KiB): :func:`content_hasher` picks :class:`InlineHasher`, the same three digests in the
calling thread, below :data:`PARALLEL_MIN` bytes.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

ALGORITHMS = ("md5", "sha1", "sha256")
HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
DEFAULT_BLOCK = 8 * 1024 * 1024
QUEUE_DEPTH = 3
#: content at least this big (or of unknown size) is hashed by three threads in parallel
PARALLEL_MIN = 4 * 1024 * 1024
_END = object()


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


class _Worker(threading.Thread):
    """One digest fed from its own bounded queue."""

    def __init__(self, name: str) -> None:
        super().__init__(name=f"hash-{name}", daemon=True)
        self.hasher = hashlib.new(name)
        self.blocks: queue.Queue[Any] = queue.Queue(QUEUE_DEPTH)
        self.error: BaseException | None = None

    def run(self) -> None:
        while (block := self.blocks.get()) is not _END:
            if self.error is None:  # after a failure keep draining so producers never block
                try:
                    self.hasher.update(block)
                except BaseException as exc:
                    self.error = exc


class MultiHasher:
    """Feed blocks once; get all three digests. Use as a context manager (owns threads).

    Blocks are hashed after ``update`` returns, so a block must not change afterwards:
    ``bytes`` are used as they are, anything mutable (bytearray, memoryview) is copied.
    """

    def __init__(self) -> None:
        self._workers = [_Worker(name) for name in ALGORITHMS]
        for worker in self._workers:
            worker.start()
        self._finished = False
        self.size = 0

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

    def update(self, block: bytes | bytearray | memoryview) -> None:
        """Queue ``block`` for all digests (blocks while the slowest digest is behind)."""
        if self._finished:
            raise ValueError("MultiHasher already finished; start a new one")
        self._raise_errors()
        if not isinstance(block, bytes):
            block = bytes(block)
        self.size += len(block)
        for worker in self._workers:
            worker.blocks.put(block)

    def digests(self) -> Digests:
        """Finish all queued blocks and return the digests (no more updates afterwards)."""
        self.close()
        self._raise_errors()
        md5, sha1, sha256 = (worker.hasher.hexdigest() for worker in self._workers)
        return Digests(size=self.size, md5=md5, sha1=sha1, sha256=sha256)


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
    """MD5, SHA-1, SHA-256 and size of everything left in ``stream``, in one pass."""
    return hash_blocks(iter_blocks(stream, block_size, progress))


def normalise_hash(algorithm: str, value: str) -> str:
    """Lower-case hex of the right length for ``algorithm``, or :class:`InvalidInput`."""
    from lccu.errors import InvalidInput

    cleaned = value.strip().lower()
    expected = HEX_LENGTHS[algorithm]
    if len(cleaned) != expected or any(c not in "0123456789abcdef" for c in cleaned):
        raise InvalidInput(
            f"declared {algorithm.upper()} must be {expected} hexadecimal digits, got {value!r}"
        )
    return cleaned
