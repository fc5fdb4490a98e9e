"""write_reports: validation first, then report.json and report.html written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from lccu.errors import InvalidInput, StorageError
from lccu.report import write_reports


def test_writes_both_files(report: dict[str, Any], out_dir: Path) -> None:
    """Both files land in DIR; the JSON reads back equal to the input."""
    json_path, html_path = write_reports(report, out_dir)
    assert (json_path, html_path) == (out_dir / "report.json", out_dir / "report.html")
    assert json.loads(json_path.read_text("utf-8")) == report
    assert html_path.read_text("utf-8").startswith("<!DOCTYPE html>")
    leftovers = [p.name for p in out_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_creates_missing_directory(report: dict[str, Any], tmp_path: Path) -> None:
    """An output folder that does not exist yet is created."""
    target = tmp_path / "new" / "scan"
    json_path, _ = write_reports(report, target)
    assert json_path.is_file()


def test_invalid_report_writes_nothing(report: dict[str, Any], out_dir: Path) -> None:
    """A report that breaks the schema raises InvalidInput and leaves no report files."""
    report["image"]["sha256"] = "not-a-hash"
    with pytest.raises(InvalidInput, match=r"image\.sha256"):
        write_reports(report, out_dir)
    assert not (out_dir / "report.json").exists()
    assert not (out_dir / "report.html").exists()


def test_replaces_previous_report(report: dict[str, Any], out_dir: Path) -> None:
    """Writing again replaces the old report by rename (a new inode), never in place."""
    json_path, _ = write_reports(report, out_dir)
    first_inode = os.stat(json_path).st_ino
    report["errors"] = []
    report["summary"]["errors"] = 0
    write_reports(report, out_dir)
    assert os.stat(json_path).st_ino != first_inode
    assert json.loads(json_path.read_text("utf-8"))["errors"] == []


def test_surrogate_file_name_is_written(report: dict[str, Any], out_dir: Path) -> None:
    """A name with an undecodable byte (a lone surrogate from os.fsdecode) does not crash."""
    name = os.fsdecode(b"/caf\xe9.txt")
    report["files"][2]["path"] = name
    report["files"][2]["allocated"] = False
    report["summary"]["deleted_files"] += 1
    json_path, html_path = write_reports(report, out_dir)
    assert json.loads(json_path.read_text("ascii"))["files"][2]["path"] == name
    assert "/caf\u27e8U+DCE9\u27e9.txt" in html_path.read_text("utf-8")


def test_output_path_that_is_a_file(report: dict[str, Any], tmp_path: Path) -> None:
    """An output path that is an existing file gets InvalidInput, not a traceback."""
    target = tmp_path / "report-here"
    target.write_text("x")
    with pytest.raises(InvalidInput, match="is not a directory"):
        write_reports(report, target)


def test_unwritable_directory(report: dict[str, Any], out_dir: Path) -> None:
    """A folder that refuses writes gives StorageError naming the folder."""
    if os.geteuid() == 0:
        target = Path("/proc/lccu-report-test")  # even root cannot create files here
    else:
        out_dir.chmod(0o500)
        target = out_dir
    with pytest.raises(StorageError, match="could not write the scan report"):
        write_reports(report, target)
