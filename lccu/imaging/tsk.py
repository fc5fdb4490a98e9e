"""The single bridge between lccu image streams and pytsk3.

pytsk3 normally opens image files by name; :class:`TskImage` instead hands TSK any
seekable, read-only binary stream (local file, S3 ranged reader, EWF decoder), so the
engines never need a local copy of the evidence. Only ``read``/``seek``/``tell`` and a
known size are used.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Hashable
from typing import Any, BinaryIO

import pytsk3

from lccu.errors import ImageFormatError


class TskImage(pytsk3.Img_Info):
    """A ``pytsk3.Img_Info`` reading from ``stream`` (thread-safe: seek+read under a lock)."""

    def __init__(self, stream: BinaryIO, size: int | None = None, name: str = "image") -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: dict[Hashable, Any] = {}
        self.name = name
        if size is None:
            try:
                size = stream.seek(0, io.SEEK_END)
                if size is None:  # some file objects return None from seek
                    size = stream.tell()
            except (OSError, ValueError) as exc:
                raise ImageFormatError(
                    f"cannot determine the size of {name}: {exc}; pass size= explicitly"
                ) from exc
        if size < 0:
            raise ImageFormatError(f"{name} has a negative size ({size}); the reader is broken")
        self._size = int(size)
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def close(self) -> None:
        """TSK calls this when it drops the image; the caller owns the stream, so keep it."""

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset``; short (possibly empty) past the end."""
        if offset < 0 or length < 0:
            raise OSError(f"invalid read of {length} bytes at offset {offset} in {self.name}")
        length = max(0, min(length, self._size - offset))
        if length == 0:
            return b""
        parts: list[bytes] = []
        with self._lock:
            self._stream.seek(offset)
            while length > 0:  # streams may return short reads; TSK wants whole blocks
                data = self._stream.read(length)
                if not data:
                    break
                parts.append(data)
                length -= len(data)
        return b"".join(parts)

    def direct_fd(self) -> int | None:
        """The stream's read-only local descriptor when it is a plain local file of the
        image's size (:meth:`lccu.imaging.stream.ImageStream.direct_fd`), else None."""
        direct = getattr(self._stream, "direct_fd", None)
        fd: int | None = direct() if direct is not None else None
        return fd if fd is not None and os.fstat(fd).st_size == self._size else None

    def get_size(self) -> int:
        """Size of the image in bytes, as given or measured once at construction."""
        return self._size

    @property
    def size(self) -> int:
        """Size of the image in bytes."""
        return self._size

    def cached(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """``make()`` once per key for this image (TSK handles tied to it, e.g. FS_Info)."""
        with self._cache_lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def clear_cache(self) -> None:
        """Drop cached TSK handles (they refer back to this image, so free them explicitly)."""
        with self._cache_lock:
            self._cache.clear()

    def read_at(self, offset: int, length: int) -> bytes:
        """Read from the underlying stream without going through TSK (for carving/owners)."""
        return self.read(offset, length)
