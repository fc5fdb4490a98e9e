"""The scan report's times say what they are: FAT's local times are never shown as UTC.

Issue #17: report.json and report.html printed FAT times with ``+00:00``, although FAT
stores the local wall clock (14:00 in Kortrijk in January is 13:00 UTC).
"""

from __future__ import annotations

import json
from pathlib import Path

from lccu.pipeline import ScanOptions, run_scan
from lccu.testing.time_images import FatTimesImage, NtfsStompImage

FAST = {"yara": False, "carve": "none"}


def _files(report: dict) -> dict[str, dict]:
    return {f["path"]: f for f in report["files"]}


def test_fat_times_without_zone_are_local_unknown(fat_local_times: FatTimesImage,
                                                  tmp_path: Path) -> None:
    """Without a source zone the report gives FAT's stored wall clock as local, zone unknown,
    with no UTC value, and the page never calls it UTC."""
    report = run_scan(fat_local_times.path, tmp_path, ScanOptions(**FAST))
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["source_timezone"] is None
    assert saved["volumes"][0]["times"] == "local"
    winter = _files(report)["/WINTER.TXT"]["mtime"]
    assert winter == {"utc": None, "wall_clock": "2024-01-15T14:00:00", "kind": "local-unknown",
                      "zone": None, "resolution": 2}
    deleted = _files(report)["/_ONE.TXT"]
    assert deleted["allocated"] is False
    assert deleted["mtime"]["kind"] == "local-unknown"
    page = (tmp_path / "report.html").read_text()
    assert "2024-07-15 14:00:00 (local, zone unknown)" in page  # the deleted file's row
    assert "14:00:00 UTC" not in page


def test_fat_times_with_zone_are_the_right_instants(fat_local_times: FatTimesImage,
                                                    tmp_path: Path) -> None:
    """With --timezone Europe/Brussels the winter file (14:00 CET) is 13:00 UTC and the
    summer file (14:00 CEST) 12:00 UTC; the wall clock and zone are kept beside."""
    report = run_scan(fat_local_times.path, tmp_path,
                      ScanOptions(timezone="Europe/Brussels", **FAST))
    assert report["source_timezone"] == "Europe/Brussels"
    files = _files(report)
    assert files["/WINTER.TXT"]["mtime"]["utc"] == "2024-01-15T13:00:00+00:00"
    assert files["/SUMMER.TXT"]["mtime"]["utc"] == "2024-07-15T12:00:00+00:00"
    assert files["/SUMMER.TXT"]["mtime"]["wall_clock"] == "2024-07-15T14:00:00"
    assert files["/SUMMER.TXT"]["mtime"]["zone"] == "Europe/Brussels"
    assert files["/_ONE.TXT"]["mtime"]["utc"] == "2024-07-15T12:00:00+00:00"
    page = (tmp_path / "report.html").read_text()
    assert "2024-07-15 12:00:00 UTC (2024-07-15 14:00:00 local, Europe/Brussels)" in page


def test_timestomped_file_is_in_report_and_page(ntfs_timestomped: NtfsStompImage,
                                               tmp_path: Path) -> None:
    """The stomped NTFS file carries its $FILE_NAME times and the reason in report.json, and
    the page lists it under possible time-stomping; NTFS times are UTC."""
    report = run_scan(ntfs_timestomped.path, tmp_path, ScanOptions(**FAST))
    files = _files(report)
    stomped = files[ntfs_timestomped.stomped]
    assert stomped["crtime"]["utc"].startswith("2010-01-01T12:00:00")
    assert stomped["crtime"]["kind"] == "utc" and stomped["crtime"]["resolution"] == 1e-7
    assert stomped["file_name_times"]["crtime"]["utc"] > stomped["crtime"]["utc"]
    assert "possible time-stomping" in stomped["timestomp"]
    assert files[ntfs_timestomped.untouched]["timestomp"] is None
    page = (tmp_path / "report.html").read_text()
    assert "Possible time-stomping (NTFS)" in page and "/stomped.txt" in page
