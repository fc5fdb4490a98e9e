"""A realistic scan report and its output folder, built fresh for each test.

The listing follows the pytsk ext2 test image (../shared/corpus/pytsk/GROUND_TRUTH.md:
names, inodes, sizes, image hashes as read by The Sleuth Kit), plus exported pictures
written as real PNG and JPEG files so thumbnails can be checked end to end.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from report_pictures import jpeg_bytes, png_bytes

from lccu.report import SCHEMA_VERSION, summarize

MAGENTA = (255, 0, 255)  # the exported PNG of a deleted file
ORANGE = (230, 120, 20)  # the carved JPEG
TEAL = (0, 150, 136)  # the allocated PNG


# File references ({volume, path, inode}) to entries of the sample's files[].
PASSWORDS_REF: dict[str, Any] = {"volume": 0, "path": "/passwords.txt", "inode": 15}
HOLIDAY_REF: dict[str, Any] = {"volume": 0, "path": "/DCIM/holiday.png", "inode": 18}


def _hashes(data: bytes) -> dict[str, str]:
    return {"md5": hashlib.md5(data).hexdigest(), "sha1": hashlib.sha1(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest()}


def _export(out_dir: Path, rel: str, data: bytes) -> dict[str, str]:
    """Write an exported copy; returns its hashes (``**_export(...)`` in a record)."""
    target = out_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return _hashes(data)


def utc_time(text: str, resolution: float = 1) -> dict[str, Any]:
    """A file-system time stored as UTC (ext2 stores UTC seconds)."""
    return {"utc": text, "wall_clock": None, "kind": "utc", "zone": None,
            "resolution": resolution}


def _file(path: str, inode: int | None, size: int | None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "volume": 0,
        "path": path,
        "inode": inode,
        "size": size,
        "allocated": True,
        "kind": "file",
        "mtime": utc_time("2012-05-25T15:58:51+00:00"),
        "atime": utc_time("2012-05-25T15:58:51+00:00"),
        "ctime": utc_time("2012-05-25T15:58:51+00:00"),
        "crtime": None,
        "file_name_times": None,
        "timestomp": None,
        "md5": None,
        "sha1": None,
        "sha256": None,
        "mime": "text/plain",
        "description": "ASCII text",
        "exported": None,
    }
    entry.update(extra)
    return entry


def build_report(out_dir: Path) -> dict[str, Any]:
    """Return a valid report whose exported files exist under ``out_dir``."""
    deleted_png = png_bytes(24, 24, MAGENTA)
    live_png = png_bytes(32, 16, TEAL)
    carved_jpeg = jpeg_bytes(32, 32, ORANGE)
    files = [
        _file("/lost+found", 11, 12288, kind="directory", mime=None, description=None),
        _file("/a_directory", 12, 1024, kind="directory", mime=None, description=None),
        _file("/a_directory/a_file", 14, 53),
        _file("/passwords.txt", 15, 116, mime="text/csv", description="CSV text"),
        _file("/a_directory/another_file", 16, 22),
        _file(
            "/passwords.txt~",
            None,
            None,
            allocated=False,
            mime=None,
            description=None,
            mtime=None,
            atime=None,
            ctime=None,
        ),
        _file(
            "/a_directory/.another_file.swp",
            None,
            None,
            allocated=False,
            mime=None,
            description=None,
            mtime=None,
            atime=None,
            ctime=None,
        ),
        _file(
            "/$OrphanFiles/OrphanFile-13",
            13,
            0,
            allocated=False,
            mime="application/x-empty",
            description="empty",
            mtime=utc_time("2012-05-25T16:00:53+00:00"),
        ),
        _file(
            "/DCIM/holiday.png",
            18,
            len(live_png),
            mime="image/png",
            description="PNG image data, 32 x 16, 8-bit/color RGB",
            **_export(out_dir, "files/vol0/18-holiday.png", live_png),
            exported="files/vol0/18-holiday.png",
        ),
        _file(
            "/DCIM/.trash/IMG_0001.png",
            19,
            len(deleted_png),
            allocated=False,
            mime="image/png",
            description="PNG image data, 24 x 24, 8-bit/color RGB",
            **_export(out_dir, "files/vol0/19-IMG_0001.png", deleted_png),
            exported="files/vol0/19-IMG_0001.png",
            crtime=utc_time("2012-05-25T15:59:00.250000+00:00", 1e-9),
        ),
    ]
    for i in range(4):
        files.append(
            _file(
                f"/Documents/report-{i}.pdf",
                20 + i,
                40_000 + i,
                mime="application/pdf",
                description="PDF document, version 1.4",
            )
        )
    carved = [
        {
            "offset": 0x7C00,
            "length": len(carved_jpeg),
            "type": "jpeg",
            **_export(out_dir, "carved/00031744.jpg", carved_jpeg),
            "validated": True,
            "confidence": 0.97,
            "duplicate_of": None,
            "exported": "carved/00031744.jpg",
        },
        {
            "offset": 0x9000,
            "length": len(live_png),
            "type": "png",
            **_hashes(live_png),
            "validated": True,
            "confidence": 0.97,
            "duplicate_of": dict(HOLIDAY_REF),  # the data of an allocated file: not counted twice
            "exported": None,
        },
        {
            "offset": 0xB000,
            "length": 4096,
            "type": "zip",
            "md5": None,
            "sha1": None,
            "sha256": None,
            "validated": False,
            "confidence": 0.2,
            "duplicate_of": None,
            "exported": None,
        },
    ]
    yara = [
        {
            "rule": "credentials_csv",
            "namespace": "lccu",
            "tags": ["credentials"],
            "meta": {"author": "LCCU", "severity": 3},
            "string": "$header",
            "offset": 0,
            "matched": b"place,user,passw".hex(),
            "file": dict(PASSWORDS_REF),  # a scan of the extracted file: offset is in the file
            "carved_offset": None,
            "source": "file",
        },
        {
            "rule": "credentials_csv",
            "namespace": "lccu",
            "tags": ["credentials"],
            "meta": {"author": "LCCU", "severity": 3},
            "string": "$header",
            "offset": 0x5800,
            "matched": b"place,user,passw".hex(),
            "file": dict(PASSWORDS_REF),  # the allocated file owning image offset 0x5800
            "carved_offset": None,
            "source": "image",
        },
        {
            "rule": "jfif_marker",
            "namespace": "lccu",
            "tags": [],
            "meta": {},
            "string": "$jfif",
            "offset": 6,
            "matched": b"JFIF\x00".hex(),
            "file": None,
            "carved_offset": 0x7C00,
            "source": "carved",
        },
        {
            "rule": "credentials_csv",
            "namespace": "lccu",
            "tags": ["credentials"],
            "meta": {"author": "LCCU", "severity": 3},
            "string": "$header",
            "offset": 0x11000,
            "matched": b"place,user,passw".hex(),
            "file": "unallocated",  # no allocated file owns image offset 0x11000
            "carved_offset": None,
            "source": "image",
        },
    ]
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "lccu", "version": "0.1.0"},
        "generated_at": "2026-11-23T10:00:00Z",
        "source_timezone": None,
        "case": {"number": "LCCU-2026-0042", "title": "Fraude bancaire", "zone": "Zone Ouest"},
        "evidence": {"id": "EV-0042-01", "description": "USB stick, 100 KiB ext2"},
        "image": {
            "path": "image.raw",
            "size": 102400,
            "md5": "d73c51f10c7ee6a681b7b619ccc6f1c4",
            "sha1": None,
            "sha256": "a9c0220b1dadd1812fc4bbe137f495d2c3b88c7b33b5a4de545d201fd31b3bc0",
            "format": "raw",
        },
        "volumes": [
            {
                "index": 0,
                "start_offset": 0,
                "length": 102400,
                "description": "whole image (no partition table)",
                "fs_type": "ext2",
                "times": "utc",
            }
        ],
        "files": files,
        "carved": carved,
        "yara": yara,
        "errors": [{"where": "volume 0 inode 17", "message": "$OrphanFiles: 1 orphan inode"}],
        "summary": {},
    }
    report["summary"] = summarize(report)
    return report


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An empty scan output folder."""
    path = tmp_path / "scan-out"
    path.mkdir()
    return path


@pytest.fixture
def report(out_dir: Path) -> dict[str, Any]:
    """A valid report with its exported files written under ``out_dir``."""
    return build_report(out_dir)
