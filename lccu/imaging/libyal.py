"""What the libyal readers (libewf, libvmdk, libvhdi) share: a loud import, one way of
turning their errors into lccu's, and a locked handle.

The libyal Python bindings read their container files through Python file objects, so an
image kept in S3 is decoded through ranged GETs without a local copy. Their handles are
not safe for concurrent reads: :class:`LibyalSource` serialises them.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any, BinaryIO

from lccu.errors import ImageFormatError
from lccu.imaging.faults import FaultLog


def load_binding(module: str, package: str, what: str) -> ModuleType:
    """Import a libyal binding, or say which package to install to read ``what``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # a missing optional library fails loudly
        raise ImageFormatError(
            f"reading {what} needs libyal's Python binding {module}: pip install {package}",
            key="binding_missing",
            params={"module": module, "package": package},
        ) from exc


@contextlib.contextmanager
def opening(name: str, what: str) -> Iterator[None]:
    """Errors from a binding while opening ``name`` become :class:`ImageFormatError`s that
    say it is not a readable ``what``; lccu's own errors pass as they are."""
    try:
        yield
    except ImageFormatError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise ImageFormatError(
            f"{name}: not a readable {what}: {exc}",
            key="image_not_readable",
            params={"file": name, "format": what.split(" (")[0]},
        ) from exc


class LibyalSource:
    """The media of an opened libyal handle, as a :class:`~lccu.imaging.stream.RangeSource`.

    ``faults`` is where a reader records ranges it could not read faithfully
    (:mod:`lccu.imaging.faults`); :meth:`_after_read` runs under the handle's lock after
    every read, for readers that learn of faults from their library.

    A front-to-back pass (hashing the media at intake, ``lccu hash``) takes the decoded
    ranges as they come (:meth:`~lccu.imaging.stream.ImageStream.sequential_blocks`): the
    binding returns each range as a new ``bytes``, which then goes to the hasher as it is,
    not copied again into a buffer. The handle decodes one range at a time (its lock); one
    more is asked for ahead, so decoding the next range overlaps hashing this one.
    """

    #: ranges asked for ahead in a sequential pass (decoded one at a time, under the lock)
    parallel_ranges = 2
    #: bytes per range of a sequential pass
    sequential_range = 4 * 1024 * 1024

    def __init__(self, handle: Any, name: str, streams: Sequence[BinaryIO],
                 format_name: str) -> None:  # fmt: skip
        self.name = name
        self.format_name = format_name
        self.faults = FaultLog()
        self._handle = handle
        self._streams = list(streams)
        self._lock = threading.Lock()
        self.size = int(handle.get_media_size())
        if self.size <= 0:
            self.close()
            raise ImageFormatError(
                f"{name}: the container reports no media data",
                key="image_no_media",
                params={"file": name},
            )

    def read_range(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        if length == 0:
            return b""
        with self._lock:
            try:
                data = self._handle.read_buffer_at_offset(length, offset)
            except (OSError, ValueError) as exc:
                raise ImageFormatError(
                    f"{self.name}: cannot decode {length} bytes at media offset {offset} "
                    f"(corrupt or truncated container): {exc}",
                    key="image_corrupt_at",
                    params={"file": self.name, "offset": offset},
                ) from exc
            self._after_read()
        return bytes(data)

    def _after_read(self) -> None:
        """Called under the lock after each read; the default learns nothing."""

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(OSError):
                self._handle.close()
            for stream in self._streams:
                stream.close()
