"""Pictures and videos for the thumbnail tests, made here: a PNG decompression bomb (a
complete, valid PNG whose pixels would take gigabytes), a short video by ffmpeg's own test
source, and a bare FAT image holding such files."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 8_000, height: int = 8_000) -> bytes:
    """A valid grey 8-bit PNG of ``width`` x ``height`` black pixels (64 million: more than
    the 24 million a thumbnail may decode, fewer than Pillow refuses by itself),
    compressed row by row to well under a megabyte."""
    packer = zlib.compressobj(1)
    rows = b"\0" * ((width + 1) * 500)  # 500 rows: a filter byte + one byte per pixel
    assert height % 500 == 0
    idat = b"".join(packer.compress(rows) for _ in range(height // 500)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def picture(fmt: str, size: tuple[int, int] = (640, 480)) -> bytes:
    """A picture Pillow writes (a colour gradient), as ``fmt`` (PNG, JPEG)."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def sample_video(path: Path, seconds: int = 2) -> Path:
    """An MP4 of ffmpeg's test pattern (``lavfi testsrc``), 320x240."""
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={seconds}:size=320x240:rate=10",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "mpeg4",
            "-y",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    return path


def fat_image(path: Path, files: dict[str, bytes], kib: int = 16384) -> Path:
    """A bare FAT file system (no partition table) holding ``files`` in its root."""
    subprocess.run(
        ["mkfs.fat", "-C", "-n", "MEDIA", str(path), str(kib)], check=True, capture_output=True
    )
    for name, data in files.items():
        source = path.parent / f"src-{name}"
        source.write_bytes(data)
        subprocess.run(["mcopy", "-i", str(path), str(source), f"::/{name}"], check=True)
        source.unlink()
    return path
