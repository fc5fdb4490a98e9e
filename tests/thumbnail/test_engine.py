"""The thumbnail engine (issue 20): pictures in bounded memory, a decompression bomb gets a
'not thumbnailed' reason instead of being decoded, a video's key frame through ffmpeg, and
no ffmpeg means a reason, not a crash."""

from __future__ import annotations

import io
import resource
from pathlib import Path

import pytest
from PIL import Image

from lccu.thumbnail import (
    PREVIEW_SIZE,
    ThumbnailError,
    ffmpeg_version,
    preview_png,
    thumbnail_png,
    video_png,
)
from tests.thumbnail.media import picture, png_bomb, sample_video


def _size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as shown:
        assert shown.format == "PNG"
        return shown.size


def test_picture_thumbnail_keeps_the_aspect() -> None:
    """A 640x480 JPEG becomes a PNG of 256x192."""
    data = picture("JPEG")
    assert _size(thumbnail_png(io.BytesIO(data), len(data))) == (256, 192)


def test_large_preview_is_bounded_and_never_enlarged() -> None:
    """The file page's preview: a 4000x3000 JPEG becomes a PNG of 1600x1200, a 640x480
    one stays 640x480 (larger than its thumbnail, not enlarged); the bomb is refused by
    its header as for a thumbnail, the reason naming the preview."""
    big = picture("JPEG", (4000, 3000))
    assert (
        _size(preview_png(io.BytesIO(big), len(big)))
        == (1600, 1200)
        == (
            PREVIEW_SIZE[0],
            PREVIEW_SIZE[1] * 3 // 4,
        )
    )
    small = picture("PNG")
    assert _size(preview_png(io.BytesIO(small), len(small))) == (640, 480)
    bomb = png_bomb()
    with pytest.raises(
        ThumbnailError, match=r"declares 8000x8000 pixels, over 24000000: no preview"
    ):
        preview_png(io.BytesIO(bomb), len(bomb))
    with pytest.raises(ThumbnailError, match="over 67108864: no preview"):
        preview_png(io.BytesIO(small), 64 * 1024 * 1024 + 1)


def test_decompression_bomb_is_not_decoded() -> None:
    """A complete PNG of 64 million pixels (which Pillow alone would decode) is refused
    from its header: a clear reason, and the process grew by far less than its pixels."""
    bomb = png_bomb()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ThumbnailError, match=r"declares 8000x8000 pixels, over 24000000"):
        thumbnail_png(io.BytesIO(bomb), len(bomb))
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 32 * 1024, grown_kib  # 64 MB of pixels were never decoded


def test_video_key_frame(tmp_path: Path) -> None:
    """A video made by ffmpeg's test source gives a PNG of its first key frame, at most
    256 pixels wide, coloured like the test pattern (not black)."""
    assert ffmpeg_version() is not None, "ffmpeg is installed by scripts/install.sh"
    png = video_png(sample_video(tmp_path / "clip.mp4"))
    assert _size(png) == (256, 192)
    with Image.open(io.BytesIO(png)) as shown:
        colours = shown.convert("RGB").getcolors(256 * 192)
    assert colours is not None and len(colours) > 8


def test_video_key_frame_preview_is_not_enlarged(tmp_path: Path) -> None:
    """In the preview's box a 320x240 video's key frame stays 320x240 (ffmpeg enlarges
    nothing), and a 256-pixel box still gives the thumbnail's 256x192."""
    clip = sample_video(tmp_path / "clip.mp4")
    assert _size(video_png(clip, box=PREVIEW_SIZE, what="preview")) == (320, 240)
    assert _size(video_png(clip)) == (256, 192)


def test_video_without_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ffmpeg on the PATH a video gets the reason, not a crash."""
    clip = sample_video(tmp_path / "clip.mp4")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    ffmpeg_version.cache_clear()
    try:
        with pytest.raises(ThumbnailError, match="ffmpeg is not installed"):
            video_png(clip)
    finally:
        ffmpeg_version.cache_clear()


def test_damaged_video(tmp_path: Path) -> None:
    """Bytes that are no video give ffmpeg's reason."""
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0\1\2" * 1000)
    with pytest.raises(ThumbnailError, match="ffmpeg found no frame"):
        video_png(junk)
