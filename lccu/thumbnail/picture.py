"""Thumbnails of pictures from evidence, made with Pillow in bounded memory.

The picture is hostile input: its header may claim a billion pixels (a decompression
bomb) or its bytes may be anything. The size of the file and the pixel count its header
declares are checked before any pixel is decoded; a JPEG is decoded at a reduced scale
(``draft``), and only the first frame of an animation is used. What comes out is a PNG
Pillow wrote, never the evidence's own bytes.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from lccu.errors import LccuError

#: the largest picture file a thumbnail is made of (bytes)
MAX_FILE_BYTES = 64 * 1024 * 1024
#: the most pixels a picture may declare (about 24 MP: under 100 MiB decoded as RGBA)
MAX_PIXELS = 24_000_000
SIZE = (256, 256)
#: the bounding box of a large preview (made on request for the file page, never stored)
PREVIEW_SIZE = (1600, 1600)


class ThumbnailError(LccuError):
    """No thumbnail can be made of this file (not a picture, too large, damaged)."""


def thumbnail_png(stream: BinaryIO, size: int | None) -> bytes:
    """A PNG of at most 256x256 pixels of the picture in ``stream`` (seekable)."""
    return picture_png(stream, size, SIZE)


def preview_png(stream: BinaryIO, size: int | None) -> bytes:
    """A PNG of at most 1600x1600 pixels of the picture in ``stream``: the file page's
    large preview, with the same limits as a thumbnail (the evidence's own bytes are never
    shown; this re-encode is what makes showing a picture safe)."""
    return picture_png(stream, size, PREVIEW_SIZE, "preview")


def picture_png(
    stream: BinaryIO, size: int | None, box: tuple[int, int], what: str = "thumbnail"
) -> bytes:
    """A PNG of the picture in ``stream`` (seekable) fitted into ``box`` (never enlarged);
    :class:`ThumbnailError` saying why there is none, ``what`` naming what was asked."""
    if size is not None and size > MAX_FILE_BYTES:
        raise ThumbnailError(
            f"the picture is {size} bytes, over {MAX_FILE_BYTES}: no {what}; download it to view it"
        )
    try:
        with Image.open(stream) as picture:
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise ThumbnailError(
                    f"the picture declares {width}x{height} pixels, over {MAX_PIXELS}: no {what}"
                )
            picture.draft("RGB", box)  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            picture.seek(0)
            picture.thumbnail(box)
            out = io.BytesIO()
            shown = (
                picture
                if picture.mode in ("RGB", "RGBA", "L", "LA", "P")
                else picture.convert("RGBA")
            )
            shown.save(out, "PNG")
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        raise ThumbnailError(f"not a picture Pillow can read: {exc}") from None
    return out.getvalue()
