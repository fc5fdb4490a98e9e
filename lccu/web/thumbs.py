"""Thumbnails of pictures for the web: the engine is :mod:`lccu.thumbnail.picture`."""

from lccu.thumbnail.picture import MAX_FILE_BYTES, MAX_PIXELS, SIZE, ThumbnailError, thumbnail_png

__all__ = ["MAX_FILE_BYTES", "MAX_PIXELS", "SIZE", "ThumbnailError", "thumbnail_png"]
