"""Thumbnails of pictures (Pillow) and key frames of videos (ffmpeg), from streams and
files: the engine the processing stage and the web's on-request fallback share. It knows
nothing of stores, runs or the database."""

from lccu.thumbnail.picture import (
    MAX_FILE_BYTES,
    MAX_PIXELS,
    PREVIEW_SIZE,
    SIZE,
    ThumbnailError,
    preview_png,
    thumbnail_png,
)
from lccu.thumbnail.video import ffmpeg_version, video_png, video_stream_png

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "PREVIEW_SIZE",
    "SIZE",
    "ThumbnailError",
    "ffmpeg_version",
    "preview_png",
    "thumbnail_png",
    "video_png",
    "video_stream_png",
]
