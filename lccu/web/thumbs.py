"""Thumbnails and large previews of pictures for the web: the engine is
:mod:`lccu.thumbnail` (Pillow's re-encode, ffmpeg for a video's key frame).

A large preview is made on request from the evidence and never stored: the file page shows
it instead of the evidence's own bytes, which never reach the page. The work is bounded as
a thumbnail's is (file bytes and declared pixels checked before decoding); a video is
copied to the web's scratch folder (at most :data:`MAX_PREVIEW_VIDEO` bytes, removed after)
because ffmpeg may need to seek, and ffmpeg gets :data:`PREVIEW_TIMEOUT` seconds. At most
a few videos are previewed at once in one web process (:class:`PreviewSlots`): each is an
ffmpeg process and a copy of up to 256 MiB, and a page of video files would otherwise
start one per request; a request that finds no free slot within a short wait is refused
(:class:`PreviewsBusy`, HTTP 503 with Retry-After), not queued behind the others.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import BinaryIO

from lccu.errors import LccuError
from lccu.thumbnail import PREVIEW_SIZE, ThumbnailError, preview_png, video_stream_png

__all__ = ["MAX_PREVIEW_VIDEO", "PreviewSlots", "PreviewsBusy", "large_preview", "visual_kind"]

#: the largest video whose key frame is made on request for its page (bytes)
MAX_PREVIEW_VIDEO = 256 * 1024 * 1024
#: how long ffmpeg may take for that key frame (seconds): a web request is waiting
PREVIEW_TIMEOUT = 30


class PreviewsBusy(LccuError):
    """Every slot for a video's preview is taken: try again in ``retry_after`` seconds."""

    def __init__(self, slots: int, waited: float, retry_after: int) -> None:
        super().__init__(
            f"{slots} video previews are being made on this server (waited "
            f"{waited:g} s for one to finish); try again in {retry_after} s"
        )
        self.slots, self.retry_after = slots, retry_after


class PreviewSlots:
    """At most ``slots`` videos previewed at once (one ffmpeg each); a request waits at most
    ``wait`` seconds for a free slot, so that a burst of requests cannot pile up ffmpeg
    processes and scratch copies in the web process."""

    def __init__(self, slots: int, wait: float, retry_after: int = 5) -> None:
        if slots < 1 or wait < 0 or retry_after < 1:
            raise ValueError("video preview slots: at least 1 slot, wait >= 0, retry >= 1 s")
        self.slots, self.wait, self.retry_after = slots, wait, retry_after
        self._free = threading.BoundedSemaphore(slots)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold one slot for the body, or :class:`PreviewsBusy` after ``wait`` seconds."""
        if not self._free.acquire(timeout=self.wait):
            raise PreviewsBusy(self.slots, self.wait, self.retry_after)
        try:
            yield
        finally:
            self._free.release()


def visual_kind(mime: str | None) -> str | None:
    """``picture``, ``video``, or None (the file page shows no large preview then)."""
    text = mime or ""
    if text.startswith("image/"):
        return "picture"
    return "video" if text.startswith("video/") else None


def large_preview(
    stream: BinaryIO,
    size: int | None,
    mime: str | None,
    scratch: Path,
    slots: PreviewSlots | None = None,
) -> bytes:
    """A PNG of at most 1600x1600 pixels of the picture in ``stream`` (or of the first key
    frame of the video, made holding one of ``slots``), or :class:`ThumbnailError` saying
    why there is none (:class:`PreviewsBusy` when no slot came free in time)."""
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
    with slots.held() if slots is not None else nullcontext():
        return video_stream_png(
            stream,
            limit=MAX_PREVIEW_VIDEO,
            scratch=scratch,
            timeout=PREVIEW_TIMEOUT,
            box=PREVIEW_SIZE,
            what="preview",
        )
