"""Thumbnails and large previews of pictures for the web: the engine is
:mod:`lccu.thumbnail` (Pillow's re-encode, ffmpeg for a video's key frame).

A large preview is made on request from the evidence and never stored: the file page shows
it instead of the evidence's own bytes, which never reach the page. The work is bounded as
a thumbnail's is (file bytes and declared pixels checked before decoding); a video is
copied to the web's scratch folder (at most :data:`MAX_PREVIEW_VIDEO` bytes, removed after)
because ffmpeg may need to seek, and ffmpeg gets :data:`PREVIEW_TIMEOUT` seconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import BinaryIO

from lccu.thumbnail.picture import (
    MAX_FILE_BYTES,
    MAX_PIXELS,
    PREVIEW_SIZE,
    SIZE,
    ThumbnailError,
    preview_png,
    thumbnail_png,
)
from lccu.thumbnail.video import video_png

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MAX_PREVIEW_VIDEO",
    "PREVIEW_SIZE",
    "SIZE",
    "ThumbnailError",
    "large_preview",
    "thumbnail_png",
    "visual_kind",
]

#: the largest video whose key frame is made on request for its page (bytes)
MAX_PREVIEW_VIDEO = 256 * 1024 * 1024
#: how long ffmpeg may take for that key frame (seconds): a web request is waiting
PREVIEW_TIMEOUT = 30


def visual_kind(mime: str | None) -> str | None:
    """``picture``, ``video``, or None (the file page shows no large preview then)."""
    text = mime or ""
    if text.startswith("image/"):
        return "picture"
    return "video" if text.startswith("video/") else None


def large_preview(stream: BinaryIO, size: int | None, mime: str | None, scratch: Path) -> bytes:
    """A PNG of at most 1600x1600 pixels of the picture in ``stream`` (or of the first key
    frame of the video), or :class:`ThumbnailError` saying why there is none."""
    kind = visual_kind(mime)
    if kind == "picture":
        return preview_png(stream, size)
    if kind != "video":
        shown = (mime or "unknown type")[:100]
        raise ThumbnailError(f"not a picture or a video ({shown}): no preview")
    if size is None or size > MAX_PREVIEW_VIDEO:
        raise ThumbnailError(
            f"the video is {size} bytes, over {MAX_PREVIEW_VIDEO}: no preview; "
            "download it to view it"
        )
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="preview-", dir=scratch) as tmp:
        copy = Path(tmp) / "video"
        copied = 0
        with copy.open("wb") as out:
            while block := stream.read(1024 * 1024):
                copied += len(block)
                if copied > MAX_PREVIEW_VIDEO:  # the recorded size was wrong
                    raise ThumbnailError(f"the video is over {MAX_PREVIEW_VIDEO} bytes: no preview")
                out.write(block)
        return video_png(copy, timeout=PREVIEW_TIMEOUT, box=PREVIEW_SIZE, what="preview")
