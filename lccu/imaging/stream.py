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
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from lccu.errors import ImageFormatError, InvalidInput, LccuError

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
    ) -> None:
        super().__init__()
        if block_size <= 0 or cache_blocks < 1 or read_ahead < 0:
            raise InvalidInput("block_size and cache_blocks must be positive, read_ahead >= 0")
        if read_ahead >= cache_blocks:
            raise InvalidInput("read_ahead must be smaller than cache_blocks")
        self.source = source
        self.name = source.name
        self.size = int(source.size)
        self.block_size = block_size
        self._cache_blocks = cache_blocks
        self._read_ahead = read_ahead
        self._close_source = close_source
        self._pos = 0
        self._last_block = -2
        self._cache: OrderedDict[int, Future[bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        if read_ahead:
            self._pool = ThreadPoolExecutor(max_workers=read_ahead, thread_name_prefix="readahead")

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
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

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
        with self._lock:
            self._cache.clear()
        if self._close_source:
            self.source.close()
        super().close()

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
                with self._lock:  # do not keep a failure cached; a retry may succeed
                    if self._cache.get(index) is future:
                        del self._cache[index]
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
        with self._lock:
            future = self._cache.get(index)
            if future is not None:
                self._cache.move_to_end(index)
                return future
            future = Future()
            self._cache[index] = future
            while len(self._cache) > self._cache_blocks:
                self._cache.popitem(last=False)
        if prefetch and self._pool is not None:
            self._pool.submit(self._fill, index, future)
        else:
            self._fill(index, future)
        return future

    def _fill(self, index: int, future: Future[bytes]) -> None:
        offset = index * self.block_size
        length = min(self.block_size, self.size - offset)
        try:
            data = self.source.read_range(offset, length)
            if len(data) != length:
                raise ImageFormatError(
                    f"{self.name}: expected {length} bytes at offset {offset}, got {len(data)};"
                    " the image is truncated or changed while being read"
                )
            future.set_result(data)
        except LccuError as exc:
            future.set_exception(exc)
        except Exception as exc:  # wrap library errors at the boundary
            wrapped = ImageFormatError(f"{self.name}: read at offset {offset} failed: {exc}")
            wrapped.__cause__ = exc
            future.set_exception(wrapped)

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed image stream")

    def __repr__(self) -> str:
        return f"<ImageStream {self.name!r} size={self.size}>"
