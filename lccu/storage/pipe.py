"""A bounded in-memory byte pipe between a producer of chunks and a store that reads a stream.

Web uploads arrive as separate HTTP requests; the evidence store wants one readable stream
it can hash and upload in a single pass. The pipe joins the two without touching local
disk: ``write`` blocks while ``capacity`` bytes are waiting (so memory stays bounded and a
fast client is slowed to the store's pace), ``read`` blocks until bytes or the end arrive.
The end is only given after :meth:`close`: a store commits when its stream ends, so the
producer decides when that may happen (after the last byte *and* the go-ahead), not the
byte count. Either side can fail the pipe; the other side then raises that error.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence

from lccu.errors import InvalidInput


class BytePipe:
    """Exactly ``total`` bytes flow through; the reader sees the end only after ``close``."""

    def __init__(self, total: int, capacity: int) -> None:
        if total <= 0 or capacity <= 0:
            raise ValueError("a pipe needs a positive total and capacity")
        self.total, self.capacity = total, capacity
        self.written = 0
        self._buffered = 0
        self._pieces: deque[bytes] = deque()
        self._closed = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()

    @property
    def error(self) -> BaseException | None:
        return self._error

    def write(self, data: bytes | Sequence[bytes], timeout: float | None = None) -> int:
        """Queue ``data`` (waits for room); returns the bytes written so far. A list of
        pieces is queued as it is (no joining copy; the reader joins what it takes)."""
        pieces = [data] if isinstance(data, bytes) else [bytes(p) for p in data]
        length = sum(len(p) for p in pieces)
        with self._changed:
            if self.written + length > self.total:
                raise InvalidInput(f"{self.written + length} bytes is more than the declared"
                                   f" {self.total}")
            if not self._changed.wait_for(
                lambda: self._error is not None or self._buffered < self.capacity, timeout
            ):
                raise TimeoutError("the store did not take the data in time")
            if self._error is not None:
                raise self._error
            if length:
                self._pieces.extend(p for p in pieces if p)
                self._buffered += length
                self.written += length
                self._changed.notify_all()
            return self.written

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes as soon as any are there; ``b""`` once closed and drained."""
        with self._changed:
            self._changed.wait_for(lambda: self._error is not None or self._buffered > 0
                                   or self._closed)
            if self._error is not None:
                raise self._error
            if size is None or size < 0:
                size = self._buffered
            taken: list[bytes] = []
            while self._pieces and size > 0:
                piece = self._pieces.popleft()
                if len(piece) > size:
                    self._pieces.appendleft(piece[size:])
                    piece = piece[:size]
                taken.append(piece)
                size -= len(piece)
            data = taken[0] if len(taken) == 1 else b"".join(taken)
            self._buffered -= len(data)
            self._changed.notify_all()
            return data

    def close(self) -> None:
        """Let the reader see the end of the stream; only once every byte is written."""
        with self._changed:
            if self.written != self.total:
                raise InvalidInput(f"only {self.written} of {self.total} bytes were written")
            self._closed = True
            self._changed.notify_all()

    def fail(self, error: BaseException) -> None:
        """Stop the flow: both sides raise ``error`` from now on (the first error wins)."""
        with self._changed:
            if self._error is None:
                self._error = error
            self._pieces.clear()
            self._buffered = 0
            self._changed.notify_all()
