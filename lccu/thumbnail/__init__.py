"""Thumbnails of pictures (Pillow) and key frames of videos (ffmpeg), from streams and
files: the engine the processing stage and the web's on-request fallback share. It knows
nothing of stores, runs or the database."""

from lccu.thumbnail.picture import MAX_FILE_BYTES, MAX_PIXELS, SIZE, ThumbnailError, thumbnail_png
from lccu.thumbnail.video import ffmpeg_version, video_png

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "SIZE",
    "ThumbnailError",
    "ffmpeg_version",
    "thumbnail_png",
    "video_png",
]
