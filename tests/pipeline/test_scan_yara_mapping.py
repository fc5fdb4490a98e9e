"""Whole-image YARA hits are mapped to the file that holds them, deleted files included."""

from __future__ import annotations

from pathlib import Path

import pytest

from lccu.pipeline import ScanOptions, run_scan


@pytest.mark.parametrize("fixture", ["fat_with_deleted_eicar", "ext4_with_deleted_eicar"])
def test_hit_in_deleted_file_mapped_to_it(fixture: str, request: pytest.FixtureRequest,
                                          tmp_path: Path) -> None:
    """The bundled EICAR rule hits inside the deleted evil.txt and the hit names that file."""
    image: Path = request.getfixturevalue(fixture)
    report = run_scan(image, tmp_path / "out", ScanOptions(carve="none"))
    image_hits = [h for h in report["yara"] if h["source"] == "image"
                  and h["rule"] == "lccu_eicar_test_string"]
    assert len(image_hits) == 1, report["yara"]
    owner = image_hits[0]["file"]
    assert isinstance(owner, dict), owner
    listed = [f for f in report["files"] if (f["volume"], f["path"], f["inode"]) ==
              (owner["volume"], owner["path"], owner["inode"])]
    assert listed and not listed[0]["allocated"]
    assert listed[0]["path"].lower().endswith("vil.txt")  # FAT keeps "?vil.txt" when deleted
    offset = image_hits[0]["offset"]
    assert image.read_bytes()[offset:offset + 4] == b"X5O!"
