"""Positional, thread-safe reads from an image stream, and a buffered cursor for validators.

Validators walk structures with many small reads (segment headers, chunk lengths). The
:class:`Cursor` serves them from a small window so a walk costs few syscalls, and never
reads past ``end`` (the format's size bound or the image end): memory stays bounded
whatever the header claims.
"""

from __future__ import annotations

import io
import mmap
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

# What carving reads from: a file object, an lccu ImageStream, any seekable binary reader.
ImageLike = BinaryIO | io.RawIOBase | io.BufferedIOBase

# Pre-fault the mapping in one kernel call rather than one page fault per 4 KiB (Linux).
_POPULATE = getattr(mmap, "MAP_POPULATE", 0)

WINDOW = 256 * 1024
FIRST_WINDOW = 4096  # most candidates (random signature hits) die within their header


class Reader:
    """``pread(offset, n)`` over any seekable stream; safe to call from several threads.

    Uses the stream's own ``pread`` (lccu image streams), else ``os.pread`` on a regular
    file's descriptor, else ``seek``+``read`` under a lock. Never writes.
    """

    def __init__(self, stream: ImageLike, size: int) -> None:
        self.size = size
        self._stream = stream
        self._lock = threading.Lock()
        self._fd: int | None = None
        if not callable(getattr(stream, "pread", None)):
            try:
                fd = stream.fileno()
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    self._fd = fd
            except (AttributeError, OSError, ValueError):
                self._fd = None

    def pread(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` (short only at the image end)."""
        length = min(length, self.size - offset)
        if length <= 0 or offset < 0:
            return b""
        if self._fd is not None:
            data = os.pread(self._fd, length, offset)
            while len(data) < length:
                more = os.pread(self._fd, length - len(data), offset + len(data))
                if not more:
                    break
                data += more
            return data
        pread = getattr(self._stream, "pread", None)
        if callable(pread):
            return bytes(pread(offset, length))
        with self._lock:
            self._stream.seek(offset)
            return bytes(self._stream.read(length) or b"")


    @contextmanager
    def view(self, offset: int, length: int) -> Iterator[bytes | memoryview]:
        """``length`` bytes at ``offset`` for one scan, without a copy when possible.

        A regular file is memory-mapped read-only for just this range (unmapped on exit, so
        resident memory stays at one segment per worker); other streams are read.
        """
        length = min(length, self.size - offset)
        base = offset - offset % mmap.ALLOCATIONGRANULARITY
        mapped = None
        if self._fd is not None and length > 0:
            try:
                mapped = mmap.mmap(self._fd, offset - base + length, mmap.MAP_SHARED | _POPULATE,
                                   mmap.PROT_READ, offset=base)
            except (OSError, ValueError):  # e.g. the file is shorter than the stated size
                mapped = None
        if mapped is None:
            yield self.pread(offset, length)
            return
        whole = memoryview(mapped)
        part = whole[offset - base :]
        try:
            yield part
        finally:
            part.release()
            whole.release()
            mapped.close()


class Cursor:
    """Sequential reads from ``pos`` up to ``end`` through a window buffer."""

    def __init__(self, reader: Reader, start: int, end: int) -> None:
        self.reader = reader
        self.start = start
        self.end = min(end, reader.size)
        self.pos = start
        self._buf = b""
        self._buf_at = start

    @property
    def offset(self) -> int:
        """Bytes consumed since the file's start."""
        return self.pos - self.start

    def remaining(self) -> int:
        return self.end - self.pos

    def _fill(self, need: int) -> None:
        want = max(need, WINDOW if self._buf else FIRST_WINDOW)
        self._buf = self.reader.pread(self.pos, min(want, self.end - self.pos))
        self._buf_at = self.pos

    def peek(self, n: int) -> bytes:
        """Up to ``n`` bytes at ``pos`` without consuming them."""
        rel = self.pos - self._buf_at
        if rel < 0 or rel + n > len(self._buf):
            self._fill(n)
            rel = 0
        return self._buf[rel : rel + n]

    def window(self, need: int = 1) -> tuple[bytes, int]:
        """The buffer and the index of ``pos`` in it, with at least ``need`` bytes unless
        the bound is nearer; lets tight loops scan without copying slices."""
        rel = self.pos - self._buf_at
        if rel < 0 or rel + need > len(self._buf):
            self._fill(max(need, WINDOW))
            rel = 0
        return self._buf, rel

    def read(self, n: int) -> bytes | None:
        """Exactly ``n`` bytes, or None when the bound or image ends first."""
        data = self.peek(n)
        if len(data) < n:
            return None
        self.pos += n
        return data

    def skip(self, n: int) -> bool:
        """Move ``n`` bytes on; False (and no move) when that passes the bound."""
        if n < 0 or self.pos + n > self.end:
            return False
        self.pos += n
        return True

    def chunk(self, need: int = 1) -> bytes:
        """The buffered bytes from ``pos`` on, refilled when fewer than ``need`` remain;
        shorter than ``need`` only at the bound."""
        buf, rel = self.window(need)
        return buf[rel:] if rel else buf

    def find(self, needle: bytes) -> int:
        """Absolute offset of the next ``needle`` at or after ``pos`` before ``end``, or -1.

        Leaves ``pos`` at the match (or at ``end``).
        """
        keep = len(needle) - 1
        while True:
            data = self.chunk(len(needle))
            if len(data) < len(needle):
                self.pos = self.end
                return -1
            i = data.find(needle)
            if i >= 0:
                self.pos += i
                return self.pos
            step = len(data) - keep
            self.pos += step
            if self.end - self.pos < len(needle):
                self.pos = self.end
                return -1
