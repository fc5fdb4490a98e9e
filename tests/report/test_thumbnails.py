"""Picture sniffing and the output-folder path guard used for thumbnails."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from report_pictures import bmp_bytes, gif_bytes, jpeg_bytes, png_bytes

from lccu.errors import InvalidInput
from lccu.report import render_html
from lccu.report.thumbnails import collect_thumbnails, resolve_exported, sniff_picture


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (png_bytes(2, 2, (1, 2, 3)), "image/png"),
        (jpeg_bytes(8, 8, (1, 2, 3)), "image/jpeg"),
        (gif_bytes((1, 2, 3)), "image/gif"),
        (bmp_bytes(3, 2, (1, 2, 3)), "image/bmp"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"<html><script>alert(1)</script>", None),
        (b"BM", None),  # too short to be a bitmap header
        (b"", None),
    ],
)
def test_sniff_picture(data: bytes, mime: str | None) -> None:
    """The four picture formats are recognised by their bytes; markup never is."""
    assert sniff_picture(data[:32]) == mime


@pytest.mark.parametrize(
    "exported",
    [
        "../outside.png",
        "a/../../outside.png",
        "a/..",
        "..\\outside.png",
        "a\\..\\..\\outside.png",
        "C:/outside.png",
        "C:outside.png",
        "\\\\server\\share\\x.png",
        "/etc/passwd",
        "ok\x00.png",
        "",
        ".",
    ],
)
def test_resolve_refuses_escapes(tmp_path: Path, exported: str) -> None:
    """Absolute, drive, UNC, '..' and NUL paths are refused before touching the disk."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (tmp_path / "outside.png").write_bytes(b"x")
    assert resolve_exported(out_dir, exported) is None


def test_resolve_accepts_inside_paths(tmp_path: Path) -> None:
    """Plain relative paths, and symlinks that stay inside DIR, resolve to the file."""
    out_dir = tmp_path / "out"
    (out_dir / "files").mkdir(parents=True)
    real = out_dir / "files" / "a..b.png"
    real.write_bytes(b"x")
    (out_dir / "alias.png").symlink_to(real)
    assert resolve_exported(out_dir, "files/a..b.png") == real.resolve()
    assert resolve_exported(out_dir, "./files/a..b.png") == real.resolve()
    assert resolve_exported(out_dir, "alias.png") == real.resolve()
    assert resolve_exported(out_dir, "files") is None  # a directory is not a picture
    assert resolve_exported(out_dir, "files/missing.png") is None


def test_gif_and_bmp_are_embedded(report: dict[str, Any], out_dir: Path) -> None:
    """Carved GIF and BMP pictures are embedded with the MIME type of their content."""
    for name, data in (("c.gif", gif_bytes((9, 8, 7))), ("c.bmp", bmp_bytes(4, 4, (9, 8, 7)))):
        (out_dir / "carved" / name).write_bytes(data)
    report["carved"] = [
        {"offset": 100, "length": 10, "type": "gif", "sha256": None, "validated": True,
         "confidence": 1.0, "duplicate_of": None, "exported": "carved/c.gif"},
        {"offset": 200, "length": 10, "type": "bmp", "sha256": None, "validated": True,
         "confidence": 1.0, "duplicate_of": None, "exported": "carved/c.bmp"},
    ]  # fmt: skip
    uris = [t.data_uri for t in collect_thumbnails(report, out_dir).items if t.origin == "carved"]
    assert uris == [
        "data:image/gif;base64," + base64.b64encode(gif_bytes((9, 8, 7))).decode(),
        "data:image/bmp;base64," + base64.b64encode(bmp_bytes(4, 4, (9, 8, 7))).decode(),
    ]


def test_page_budget_limits_total_bytes(report: dict[str, Any], out_dir: Path) -> None:
    """Once the page budget is spent, further pictures are counted as too large."""
    sizes = [(out_dir / p).stat().st_size for p in
             ("files/vol0/19-IMG_0001.png", "files/vol0/18-holiday.png")]  # fmt: skip
    found = collect_thumbnails(report, out_dir, budget=sum(sizes))
    assert len(found.items) == 2
    assert found.too_large == 1


@pytest.mark.parametrize("bad", [{}, {"files": "nope"}, {"files": [1, 2]}, [], None])
def test_render_malformed_report_is_invalid_input(out_dir: Path, bad: Any) -> None:
    """render_html on a malformed report raises InvalidInput, not a template error."""
    with pytest.raises(InvalidInput, match="report cannot be rendered as HTML"):
        render_html(bad, out_dir)
