"""A read-only, seekable image stream over one ranged-read primitive.

Every byte of an image, wherever it lives (local file, S3 object, EWF container), is read
through :meth:`RangeSource.read_range`. :class:`ImageStream` adds what engines need on top:
``io.RawIOBase`` semantics (seek, tell, readinto), a bounded LRU block cache so that file
system walks that revisit metadata do not refetch it, and sequential read-ahead so a linear
hash or carve overlaps fetching block ``n+1`` with processing block ``n``. Memory is bounded
by ``cache_blocks * block_size`` whatever the image size.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from lccu.errors import ImageFormatError, InvalidInput, LccuError
from lccu.imaging.faults import FaultLog

DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024
DEFAULT_CACHE_BLOCKS = 32
DEFAULT_READ_AHEAD = 2


@runtime_checkable
class RangeSource(Protocol):
    """The one primitive: ``size`` bytes addressable by offset, read in ranges."""

    name: str
    size: int

    def read_range(self, offset: int, length: int) -> bytes:
        """Exactly ``min(length, size - offset)`` bytes from ``offset`` (short only at the end)."""
        ...

    def close(self) -> None: ...


@dataclass
class MediaInfo:
    """What carried the media: the format name and the container files (name, size)."""

    format: str
    containers: list[dict[str, Any]] = field(default_factory=list)


class BlockCache:
    """A least-recently-used set of blocks under a byte budget, shareable by many streams.

    Sharing matters for multi-segment images (split E01 in S3): each segment is its own
    stream, and one budget for all of them keeps memory bounded however many segments
    there are. Entries are futures so a block being prefetched is fetched only once.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise InvalidInput("a block cache needs a positive byte budget")
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple[int, int], tuple[Future[bytes], int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, owner: int, index: int, cost: int) -> tuple[Future[bytes], bool]:
        """The cached future for a block, or a new pending one (``True``) the caller fills."""
        key = (owner, index)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[0], False
            future: Future[bytes] = Future()
            self._entries[key] = (future, cost)
            self.bytes += cost
            while self.bytes > self.max_bytes and len(self._entries) > 1:
                _, (_, freed) = self._entries.popitem(last=False)
                self.bytes -= freed
            return future, True

    def discard(self, owner: int, index: int, future: Future[bytes]) -> None:
        """Forget a block (a failed read is not cached; a retry may succeed)."""
        with self._lock:
            entry = self._entries.get((owner, index))
            if entry is not None and entry[0] is future:
                del self._entries[(owner, index)]
                self.bytes -= entry[1]

    def drop(self, owner: int) -> None:
        """Forget every block of one stream (when it closes)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == owner]:
                self.bytes -= self._entries.pop(key)[1]


class ImageStream(io.RawIOBase):
    """Read-only, seekable view of a :class:`RangeSource` with an LRU cache and read-ahead.

    Safe for one reader at a time (as file objects are); the read-ahead threads only ever
    call ``read_range`` on the source, which implementations keep thread-safe.
    """

    def __init__(
        self,
        source: RangeSource,
        *,
        block_size: int = DEFAULT_BLOCK_SIZE,
        cache_blocks: int = DEFAULT_CACHE_BLOCKS,
        read_ahead: int = DEFAULT_READ_AHEAD,
        close_source: bool = True,
        media: MediaInfo | None = None,
    ) -> None:
        super().__init__()
        if block_size <= 0 or cache_blocks < 1 or read_ahead < 0:
            raise InvalidInput("block_size and cache_blocks must be positive, read_ahead >= 0")
        if read_ahead >= cache_blocks:
            raise InvalidInput("read_ahead must be smaller than cache_blocks")
        self.source = source
        self.media = media
        self.name = source.name
        self.size = int(source.size)
        self.block_size = block_size
        self._read_ahead = read_ahead
        self._close_source = close_source
        self._pos = 0
        self._last_block = -2
        self.cache = BlockCache(cache_blocks * block_size)
        self._pool: ThreadPoolExecutor | None = None
        if read_ahead:
            self._pool = ThreadPoolExecutor(max_workers=read_ahead, thread_name_prefix="readahead")

    @property
    def faults(self) -> FaultLog:
        """The ranges the reader could not read faithfully so far (read as zeros); empty
        for readers that never substitute data. Complete once every byte has been read."""
        log = getattr(self.source, "faults", None)
        return log if isinstance(log, FaultLog) else FaultLog()

    # io.RawIOBase contract -------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def write(self, data: object) -> int:
        raise io.UnsupportedOperation(f"{self.name}: evidence images are read-only")

    def truncate(self, size: int | None = None) -> int:
        raise io.UnsupportedOperation(f"{self.name}: evidence images are read-only")

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self.size + offset
        else:
            raise InvalidInput(f"invalid whence {whence!r}")
        if target < 0:
            raise InvalidInput(f"negative seek position {target} in {self.name}")
        self._pos = target
        return target

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer``. A read of at least a block from a source that can read into
        memory (``read_into``, a local file) goes straight into ``buffer``, past the cache;
        other reads go a block at a time through the cache. A large read (a YARA segment, a
        hash block) thus never exists twice in memory and does not fill the cache with
        blocks nobody reads again (each unaligned segment would leave two)."""
        self._check_open()
        view = memoryview(buffer).cast("B")
        direct = getattr(self.source, "read_into", None)
        got = 0
        while got < len(view) and self._pos < self.size:
            want = min(len(view) - got, self.size - self._pos)
            within = self._pos % self.block_size
            if direct is not None and len(view) >= self.block_size:
                n = self._direct(direct, self._pos, view[got : got + want])
            else:
                data = self.pread(self._pos, min(want, self.block_size - within))
                n = len(data)
                view[got : got + n] = data
            if not n:
                break
            got += n
            self._pos += n
        return got

    def _direct(self, read_into: Any, offset: int, target: memoryview) -> int:
        """``len(target)`` bytes at ``offset`` read by the source into ``target``; a short
        read is an error, as in :meth:`_read_exact`."""
        try:
            n = int(read_into(offset, target))
        except LccuError:
            raise
        except Exception as exc:
            raise ImageFormatError(
                f"{self.name}: read at offset {offset} failed: {exc}",
                key="image_read_failed",
                params={"file": self.name, "offset": offset},
            ) from exc
        if n != len(target):
            raise ImageFormatError(
                f"{self.name}: expected {len(target)} bytes at offset {offset}, got {n};"
                " the image is truncated or changed while being read",
                key="image_short_read",
                params={"file": self.name, "offset": offset, "expected": len(target), "got": n},
            )
        return n

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        if size is None or size < 0:
            size = max(0, self.size - self._pos)
        data = self.pread(self._pos, size)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def close(self) -> None:
        if self.closed:
            return
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.cache.drop(id(self))
        if self._close_source:
            self.source.close()
        super().close()

    def direct_fd(self) -> int | None:
        """A read-only OS file descriptor whose bytes are exactly this stream's (a raw image
        in one local file), for code in C that reads it with ``pread``; None for every
        other source (segments, containers, S3), which only this stream can read. The
        stream's size is its source's; :meth:`lccu.imaging.tsk.TskImage.direct_fd` checks
        the file still has the size the image was opened with."""
        direct = getattr(self.source, "direct_fd", None)
        if self.closed or direct is None:
            return None
        fd: int | None = direct()
        return fd

    # Positional reads ------------------------------------------------------------------
    def pread(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` without moving the position (thread-safe)."""
        if offset >= self.size or length <= 0:
            return b""
        end = min(self.size, offset + length)
        first, last = offset // self.block_size, (end - 1) // self.block_size
        sequential = first in (self._last_block, self._last_block + 1)
        self._last_block = last
        if self._pool is not None and sequential:
            for index in range(last + 1, last + 1 + self._read_ahead):
                self._future(index, prefetch=True)
        pieces = []
        for index in range(first, last + 1):
            future = self._future(index)
            try:
                block = future.result()
            except BaseException:
                self.cache.discard(id(self), index, future)  # a retry may succeed
                raise
            start = offset - index * self.block_size if index == first else 0
            stop = end - index * self.block_size if index == last else len(block)
            if start == 0 and stop == len(block):
                pieces.append(block)  # whole block: no copy
            else:
                pieces.append(block[start:stop])
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _future(self, index: int, prefetch: bool = False) -> Future[bytes]:
        if index * self.block_size >= self.size:
            done: Future[bytes] = Future()
            done.set_result(b"")
            return done
        cost = min(self.block_size, self.size - index * self.block_size)
        future, fresh = self.cache.lookup(id(self), index, cost)
        if not fresh:
            return future
        if prefetch and self._pool is not None:
            self._pool.submit(self._fill, index, future)
        else:
            self._fill(index, future)
        return future

    def _fill(self, index: int, future: Future[bytes]) -> None:
        offset = index * self.block_size
        try:
            future.set_result(self._read_exact(offset, min(self.block_size, self.size - offset)))
        except LccuError as exc:
            future.set_exception(exc)

    def _read_exact(self, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes at ``offset`` from the source; any failure is an
        :class:`LccuError` (library errors are wrapped at this boundary)."""
        try:
            data = self.source.read_range(offset, length)
        except LccuError:
            raise
        except Exception as exc:
            raise ImageFormatError(
                f"{self.name}: read at offset {offset} failed: {exc}",
                key="image_read_failed",
                params={"file": self.name, "offset": offset},
            ) from exc
        if len(data) != length:
            raise ImageFormatError(
                f"{self.name}: expected {length} bytes at offset {offset}, got {len(data)};"
                " the image is truncated or changed while being read",
                key="image_short_read",
                params={"file": self.name, "offset": offset, "expected": length, "got": len(data)},
            )
        return data

    def sequential_blocks(self) -> Iterator[bytes] | None:
        """The rest of the image from the position, in order, as the source's own blocks, or
        None when the source does not ask for it (``parallel_ranges``: S3 objects, and the
        container readers whose binding returns each range as new bytes, e.g. libewf).

        For a front-to-back pass (hashing): up to ``parallel_ranges`` ranged reads of
        ``sequential_range`` bytes run ahead of the consumer, so the store (or the decoder)
        never waits on the consumer and the consumer rarely on the store; blocks bypass the
        LRU cache and are handed over as they arrived (no copy), so memory is those few
        ranges plus what the consumer holds, whatever the image size. The position advances
        as blocks are taken.
        """
        in_flight = int(getattr(self.source, "parallel_ranges", 0) or 0)
        if in_flight < 1:
            return None
        self._check_open()
        step = int(getattr(self.source, "sequential_range", 0) or self.block_size)
        return self._sequential(in_flight, step)

    def _sequential(self, in_flight: int, step: int) -> Iterator[bytes]:
        pending: deque[Future[bytes]] = deque()
        pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="sequential")
        offset = self._pos
        try:
            while True:
                while len(pending) < in_flight and offset < self.size:
                    length = min(step, self.size - offset)
                    pending.append(pool.submit(self._read_exact, offset, length))
                    offset += length
                if not pending:
                    return
                block = pending.popleft().result()
                self._pos += len(block)
                yield block
                del block  # the consumer holds it now, not this frame
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def share_cache(self, cache: BlockCache) -> None:
        """Use ``cache`` (shared with other streams) instead of this stream's own budget."""
        if (self._read_ahead + 1) * self.block_size > cache.max_bytes:
            raise InvalidInput("a shared cache must hold at least read_ahead + 1 blocks")
        self.cache.drop(id(self))
        self.cache = cache

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed image stream")

    def __repr__(self) -> str:
        return f"<ImageStream {self.name!r} size={self.size}>"


SHARED_CACHE_BYTES = 96 * 1024 * 1024


def share_one_cache(streams: list[object], max_bytes: int = SHARED_CACHE_BYTES) -> None:
    """Put every :class:`ImageStream` among ``streams`` (segments of one image) on one budget."""
    image_streams = [s for s in streams if isinstance(s, ImageStream)]
    if len(image_streams) < 2:
        return
    needed = max((s._read_ahead + 1) * s.block_size for s in image_streams)
    cache = BlockCache(max(max_bytes, needed))
    for stream in image_streams:
        stream.share_cache(cache)
