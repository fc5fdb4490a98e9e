"""A read-only, seekable image stream over one ranged-read primitive.

Every byte of an image, wherever it lives (local file, S3 object, EWF container), is read
through :meth:`RangeSource.read_range`. :class:`ImageStream` adds what engines need on top:
``io.RawIOBase`` semantics (seek, tell, readinto), a bounded LRU block cache so that file
system walks that revisit metadata do not refetch it, and sequential read-ahead so a linear
hash or carve overlaps fetching block ``n+1`` with processing block ``n``. Memory is bounded
by ``cache_blocks * block_size`` whatever the image size.

A stream with a ``page_size`` smaller than its block fetches only the pages a scattered
read needs (a container's metadata at the head and tail of each segment, a file-system walk):
opening a 2 GiB E01 segment in S3 then costs a few 64 KiB GETs, not two 8 MiB blocks. Whole
blocks and read-ahead are for sequential access only: a run of forward reads spanning at
least ``sequential_after`` bytes (a hash, a carve, libewf decoding chunk after chunk), not
re-reads within a block.
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
#: bytes spanned by a run of forward reads (at least two) before it counts as sequential
DEFAULT_SEQUENTIAL_AFTER = 512 * 1024
#: a read that starts at most this far past the previous one's end continues its run: a
#: scan of small reads this close (a stream-optimised VMDK's grain markers, 66 KiB apart)
#: needs most pages anyway, so whole blocks and read-ahead serve it better
SEQUENTIAL_GAP = 128 * 1024
#: ... or starts at most this far before it (YARA's segments overlap by up to 256 KiB)
SEQUENTIAL_OVERLAP = 1024 * 1024
_BLOCK, _PAGE = 0, 1


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
    Entries are whole blocks or, for scattered reads, pages (``kind``).
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise InvalidInput("a block cache needs a positive byte budget")
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple[int, int, int], tuple[Future[bytes], int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(
        self, owner: int, index: int, cost: int, kind: int = _BLOCK
    ) -> tuple[Future[bytes], bool]:
        """The cached future for a block, or a new pending one (``True``) the caller fills."""
        key = (owner, kind, index)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[0], False
            future: Future[bytes] = Future()
            self._put(key, future, cost)
            return future, True

    def peek(self, owner: int, index: int, kind: int = _BLOCK) -> Future[bytes] | None:
        """The cached (or pending) future for a block, or None; adds nothing."""
        key = (owner, kind, index)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def _put(self, key: tuple[int, int, int], future: Future[bytes], cost: int) -> None:
        self._entries[key] = (future, cost)
        self.bytes += cost
        while self.bytes > self.max_bytes and len(self._entries) > 1:
            _, (_, freed) = self._entries.popitem(last=False)
            self.bytes -= freed

    def discard(self, owner: int, index: int, future: Future[bytes], kind: int = _BLOCK) -> None:
        """Forget a block (a failed read is not cached; a retry may succeed)."""
        key = (owner, kind, index)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is future:
                del self._entries[key]
                self.bytes -= entry[1]

    def drop(self, owner: int) -> None:
        """Forget every block of one stream (when it closes)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == owner]:
                self.bytes -= self._entries.pop(key)[1]

    def move_to(self, other: BlockCache, owner: int) -> None:
        """Hand one stream's entries to ``other`` (oldest first), forgetting them here: what
        was read before the stream joined a shared cache (format detection) is not fetched
        again."""
        with self._lock:
            keys = [k for k in self._entries if k[0] == owner]
            moved = [(k, *self._entries.pop(k)) for k in keys]
            for _, _, cost in moved:
                self.bytes -= cost
        with other._lock:
            for key, future, cost in moved:
                if key not in other._entries:
                    other._put(key, future, cost)


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
        page_size: int | None = None,
        sequential_after: int = DEFAULT_SEQUENTIAL_AFTER,
    ) -> None:
        """``page_size`` (a divisor of ``block_size``) is what a scattered read fetches
        instead of a whole block; None fetches whole blocks always. Read-ahead starts once a
        run of forward reads spans ``sequential_after`` bytes (at most a block)."""
        super().__init__()
        if block_size <= 0 or cache_blocks < 1 or read_ahead < 0:
            raise InvalidInput("block_size and cache_blocks must be positive, read_ahead >= 0")
        if page_size is not None and (page_size <= 0 or block_size % page_size):
            raise InvalidInput("page_size must be a positive divisor of block_size")
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
        self.page_size = page_size or block_size
        self._sequential_after = max(1, min(sequential_after, block_size))
        self._next = 0  # the furthest end of a read in this run of reads ...
        self._run_start = 0  # ... where the run started ...
        self._run_reads = 0  # ... and how many reads it has
        self._ahead_of = -1  # the block whose followers read-ahead was last asked for
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
        """Up to ``length`` bytes at ``offset`` without moving the position (thread-safe).

        A sequential read (see :meth:`_sequential_access`) goes by whole blocks and starts
        read-ahead of the following ones; a scattered one takes a block only if it is cached
        already (or covers it whole), otherwise just the pages it needs."""
        if offset >= self.size or length <= 0:
            return b""
        end = min(self.size, offset + length)
        bs = self.block_size
        first, last = offset // bs, (end - 1) // bs
        sequential = self._sequential_access(offset, end)
        if self._pool is not None and sequential and last != self._ahead_of:
            self._ahead_of = last  # once per block, not per small read within it
            for index in range(last + 1, last + 1 + self._read_ahead):
                self._future(index, prefetch=True)
        paged = self.page_size < bs and not sequential
        pieces = []
        for index in range(first, last + 1):
            base = index * bs
            start, stop = max(offset, base) - base, min(end, base + bs) - base
            future = self.cache.peek(id(self), index)
            if future is None:
                if paged and stop - start < min(bs, self.size - base):
                    pieces.append(self._paged(base + start, base + stop))
                    continue
                future = self._future(index)
            try:
                block = future.result()
            except BaseException:
                self.cache.discard(id(self), index, future)  # a retry may succeed
                raise
            if start == 0 and stop == len(block):
                pieces.append(block)  # whole block: no copy
            else:
                pieces.append(block[start:stop])
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _sequential_access(self, offset: int, end: int) -> bool:
        """Note a read of ``[offset, end)``; True once it continues a run of reads (each
        starting at most ``SEQUENTIAL_GAP`` past the furthest end so far, or at most
        ``SEQUENTIAL_OVERLAP`` before it) that spans at least ``sequential_after`` bytes.
        Only forward progress counts: re-reads within a block (a container's metadata, a
        file-system walk) never make a stream sequential, nor does a jump."""
        gap = offset - self._next
        if self._run_reads and -SEQUENTIAL_OVERLAP <= gap <= SEQUENTIAL_GAP:
            self._run_reads += 1
            self._next = max(self._next, end)
        else:
            self._run_start, self._run_reads, self._next = offset, 1, end
        return self._run_reads >= 2 and self._next - self._run_start >= self._sequential_after

    def _paged(self, start: int, stop: int) -> bytes:
        """``[start, stop)`` (inside one block) from cached pages; the missing pages are
        fetched with one ranged read per contiguous run of them."""
        ps, owner = self.page_size, id(self)
        pages = range(start // ps, (stop - 1) // ps + 1)
        futures: list[Future[bytes]] = []
        fresh: list[tuple[int, Future[bytes]]] = []
        for page in pages:
            future, new = self.cache.lookup(owner, page, min(ps, self.size - page * ps), _PAGE)
            futures.append(future)
            if new:
                fresh.append((page, future))
        while fresh:
            count = 1
            while count < len(fresh) and fresh[count][0] == fresh[0][0] + count:
                count += 1
            run, fresh = fresh[:count], fresh[count:]
            at = run[0][0] * ps
            try:
                data = self._read_exact(at, min(self.size, (run[-1][0] + 1) * ps) - at)
            except BaseException as exc:
                for page, future in run + fresh:
                    future.set_exception(exc)
                    self.cache.discard(owner, page, future, _PAGE)
                raise
            for n, (_, future) in enumerate(run):
                future.set_result(data if count == 1 else data[n * ps : (n + 1) * ps])
        pieces = []
        for page, future in zip(pages, futures, strict=True):
            try:
                data = future.result()
            except BaseException:
                self.cache.discard(owner, page, future, _PAGE)
                raise
            base = page * ps
            pieces.append(data[max(start, base) - base : min(stop, base + len(data)) - base])
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
        old, self.cache = self.cache, cache
        if old is not cache:
            old.move_to(cache, id(self))

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
