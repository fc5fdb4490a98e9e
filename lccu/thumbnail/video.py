"""A key frame of a video as a thumbnail, with ffmpeg where it is installed.

The video is hostile input, so ffmpeg runs as a separate process (never a shell) with a
time limit, one thread and only the first key frame decoded (``-skip_frame nokey``), scaled
down by ffmpeg; its PNG is then made a thumbnail again by Pillow with the picture limits
(:func:`lccu.thumbnail.picture.thumbnail_png`). Without ffmpeg a video gets no thumbnail
and a note saying why, never an error of the run.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from lccu.thumbnail.picture import SIZE, ThumbnailError, picture_png

#: how long ffmpeg may take for one video (seconds)
TIMEOUT = 60
#: bytes per read when a video is copied for ffmpeg
COPY_CHUNK = 1024 * 1024


@lru_cache(maxsize=1)
def ffmpeg_version() -> str | None:
    """ffmpeg's version line (what the stage's cache key and result name), or None when
    ffmpeg is not installed."""
    path = shutil.which("ffmpeg")
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "-hide_banner", "-version"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = done.stdout.decode("utf-8", "replace").splitlines()[:1]
    return first[0].strip()[:200] if done.returncode == 0 and first else None


def video_png(
    video: Path, *, timeout: int = TIMEOUT, box: tuple[int, int] = SIZE, what: str = "thumbnail"
) -> bytes:
    """A PNG of at most 256x256 pixels (or ``box``: the large preview) of the first key frame
    of the video file ``video``; :class:`ThumbnailError` (with the reason) when ffmpeg is
    missing, fails or times out."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None or ffmpeg_version() is None:
        raise ThumbnailError(
            f"ffmpeg is not installed: videos get no {what} (install ffmpeg on the workers)"
        )
    width, height = box
    with tempfile.TemporaryDirectory(prefix="lccu-frame-") as tmp:
        frame = Path(tmp) / "frame.png"
        command = [
            ffmpeg,
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-threads",
            "1",
            "-skip_frame",
            "nokey",
            "-i",
            str(video),
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-vf",
            # fitted into the box, never enlarged (a small video stays its own size)
            f"scale='min(iw,{width})':'min(ih,{height})':force_original_aspect_ratio=decrease",
            "-f",
            "image2",
            "-c:v",
            "png",
            "-y",
            str(frame),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise ThumbnailError(
                f"ffmpeg took over {timeout} s for this video: no {what}"
            ) from None
        if done.returncode != 0 or not frame.is_file():
            why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no frame"]
            raise ThumbnailError(f"ffmpeg found no frame to show: {why[0][:200]}")
        with frame.open("rb") as fh:
            return picture_png(fh, frame.stat().st_size, box, what)


def video_stream_png(
    stream: BinaryIO,
    *,
    limit: int,
    scratch: Path | None = None,
    timeout: int = TIMEOUT,
    box: tuple[int, int] = SIZE,
    what: str = "thumbnail",
) -> bytes:
    """:func:`video_png` of the video read from ``stream``, copied first to a temporary
    folder (in ``scratch`` if given; removed after) because ffmpeg may need to seek (an MP4's
    index often comes last). The copy stops with :class:`ThumbnailError` past ``limit``
    bytes, whatever size the caller was told."""
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lccu-video-", dir=scratch) as tmp:
        copy = Path(tmp) / "video"
        copied = 0
        with copy.open("wb") as out:
            while block := stream.read(COPY_CHUNK):
                copied += len(block)
                if copied > limit:  # the recorded size was wrong
                    raise ThumbnailError(f"the video is over {limit} bytes: no {what}")
                out.write(block)
        return video_png(copy, timeout=timeout, box=box, what=what)
