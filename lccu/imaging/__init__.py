"""Evidence images as read-only, seekable streams, whatever their container.

:func:`open_image` detects the format from the bytes (EVF signature) and from split-segment
names, trying raw last, and returns an :class:`ImageStream`. The registry is the explicit
``FORMATS`` tuple below; each entry's module is imported only when used.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from lccu.errors import ImageFormatError, InvalidInput
from lccu.imaging.stream import ImageStream, RangeSource

__all__ = ["FORMATS", "ImageStream", "RangeSource", "detect_format", "open_image"]

#: Formats tried in order; raw is last because any bytes are a valid raw image.
FORMATS = ("ewf", "split", "raw")

Segment = IO[bytes] | io.RawIOBase | io.BufferedIOBase
ImageInput = str | os.PathLike[str] | RangeSource | Segment | Sequence[Segment]


def _head(stream: BinaryIO, length: int = 8) -> bytes:
    position = stream.tell()
    try:
        stream.seek(0)
        return stream.read(length) or b""
    finally:
        stream.seek(position)


def detect_format(path: str | os.PathLike[str]) -> str:
    """``"ewf"``, ``"split"`` or ``"raw"`` for a local image path (first segment)."""
    from lccu.imaging.ewf import EVF_SIGNATURE
    from lccu.imaging.split import segment_names

    candidate = Path(path)
    if candidate.is_dir():
        raise InvalidInput(f"{candidate} is a directory, not an image file; name the image")
    if not candidate.exists():
        raise InvalidInput(f"{candidate}: no such image file; check the path")
    with candidate.open("rb") as fh:
        head = fh.read(len(EVF_SIGNATURE))
    if not head:
        raise ImageFormatError(f"{candidate} is empty (0 bytes); it holds no image")
    if head == EVF_SIGNATURE:
        return "ewf"
    if len(segment_names(str(candidate), lambda n: Path(n).is_file())) > 1:
        return "split"
    return "raw"


def open_image(source: ImageInput, **stream_options: Any) -> ImageStream:
    """Open an image for reading: a local path, a :class:`RangeSource`, or binary stream(s).

    A path is detected by signature and segment names. One binary stream (for example
    ``store.open_evidence(...)``) is EWF if it starts with the EVF signature, else raw. A
    list of streams is the ordered segments of one image: EWF if the first starts with the
    signature, else split raw (a single raw :class:`ImageStream`, such as a store's, is
    returned as it is). ``stream_options`` go to :class:`ImageStream` (block_size,
    cache_blocks, read_ahead).
    """
    from lccu.imaging.ewf import EVF_SIGNATURE, EwfSource, open_ewf

    if isinstance(source, str | os.PathLike):
        kind = detect_format(source)
        if kind == "ewf":
            return ImageStream(open_ewf(source), **stream_options)
        if kind == "split":
            from lccu.imaging.split import open_split

            return ImageStream(open_split(source), **stream_options)
        from lccu.imaging.raw import FileSource

        return ImageStream(FileSource(source), **stream_options)
    if isinstance(source, RangeSource) and not hasattr(source, "read"):
        return ImageStream(source, **stream_options)
    streams = cast(
        list[BinaryIO], list(source) if isinstance(source, Sequence) else [source]
    )
    if not streams:
        raise InvalidInput("open_image needs at least one segment")
    head = _head(streams[0])
    if not head:
        raise ImageFormatError(f"{getattr(streams[0], 'name', 'image')} is empty (0 bytes)")
    name = str(getattr(streams[0], "name", "image"))
    if head == EVF_SIGNATURE:
        return ImageStream(EwfSource(streams, name), **stream_options)
    if len(streams) == 1 and isinstance(streams[0], ImageStream):
        return streams[0]  # already a cached, read-only raw stream: no second cache on top
    from lccu.imaging.split import SplitSource
    from lccu.imaging.stream import share_one_cache

    share_one_cache(list(streams))
    sources = [_StreamSource(s) for s in streams]
    if len(sources) == 1:
        return ImageStream(sources[0], **stream_options)
    return ImageStream(SplitSource(sources, name=f"{name} ({len(sources)} segments)"),
                       **stream_options)  # fmt: skip


class _StreamSource:
    """Adapts a seekable binary stream to :class:`RangeSource` (serialised seek+read)."""

    def __init__(self, stream: BinaryIO) -> None:
        import threading

        self._stream = stream
        self.name = str(getattr(stream, "name", "stream"))
        self._lock = threading.Lock()
        pread = getattr(stream, "pread", None)
        self._pread = pread if callable(pread) else None
        self.size = stream.seek(0, os.SEEK_END)
        stream.seek(0)

    def read_range(self, offset: int, length: int) -> bytes:
        if self._pread is not None:
            return bytes(self._pread(offset, length))
        with self._lock:
            self._stream.seek(offset)
            return self._stream.read(length)

    def close(self) -> None:
        self._stream.close()
