"""The bodyfile of UTC, non-NTFS volumes written straight from TSK's records
(lccu.fs.fastbody): the same lines, in the same order, as the full walk gives, and the
same time budget; the fls comparison in test_timeline_cli.py covers it against fls."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lccu.fs import Budget, OutOfTime, Problem, list_volumes, open_fs, walk
from lccu.fs.fastbody import fast_volume, volume_lines
from lccu.timeline.bodyfile import bodyfile_lines

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """ext4 with 6,000 files in 12 directories, a symlink, a name with a control
    character, and one deleted file and one deleted directory (debugfs)."""
    tree = tmp_path / "tree"
    for d in range(12):
        (tree / f"d{d:02d}").mkdir(parents=True)
        for i in range(500):
            (tree / f"d{d:02d}" / f"f{i}").write_bytes(b"x" * (i % 7))
    (tree / "d00" / "link").symlink_to("../d01/f1")
    (tree / "d00" / "bell\x07name").touch()
    (tree / "gone").mkdir()
    (tree / "gone" / "inside").write_bytes(b"data")
    path = tmp_path / "many.img"
    subprocess.run(["mkfs.ext4", "-q", "-F", "-N", "8000", "-d", str(tree), str(path), "32M"],
                   check=True, capture_output=True, timeout=60)
    subprocess.run(["debugfs", "-w", "-R", "rm /d03/f7", str(path)], check=True,
                   capture_output=True, timeout=60)
    subprocess.run(["debugfs", "-w", "-f", "-", str(path)], check=True, capture_output=True,
                   timeout=60, input=b"rm /gone/inside\nrmdir /gone\n")
    return path


def test_fast_lines_equal_the_full_walk_in_order(many: Path, open_image) -> None:
    """Every line, in order, equals the full walk's bodyfile line (deleted names, the
    symlink target, the control character as ^ included)."""
    img = open_image(many)
    [volume] = list_volumes(img)
    assert fast_volume(volume.fs_type) and not fast_volume("ntfs")
    assert not fast_volume("fat32") and not fast_volume("exfat") and not fast_volume(None)
    full = [line for entry in walk(img, volume, runs=False)
            for line in bodyfile_lines(entry, None)]
    fast: list[str] = []
    problems: list[Problem] = []
    count = volume_lines(open_fs(img, volume.start_offset), volume, fast.append, problems)
    assert count == len(fast) == len(full) > 6000
    assert [line.removesuffix("\n") for line in fast] == full
    assert not problems
    assert any("|/d00/link -> ../d01/f1|" in line for line in fast)
    assert any("/bell^name|" in line for line in fast)
    assert any("/d03/f7 (deleted" in line for line in fast)


def test_fast_lines_keep_the_time_budget(many: Path, open_image) -> None:
    """A budget that runs out stops the lines with an OutOfTime problem; what was written is
    the start of the full listing."""
    img = open_image(many)
    [volume] = list_volumes(img)
    fs = open_fs(img, volume.start_offset)
    full: list[str] = []
    volume_lines(fs, volume, full.append, [])
    partial: list[str] = []
    problems: list[Problem] = []
    volume_lines(fs, volume, partial.append, problems, Budget(0.0))
    assert len(partial) < len(full) and partial == full[:len(partial)]
    [stopped] = [p for p in problems if isinstance(p, OutOfTime)]
    assert f"partial, {len(partial)} lines of this volume written" in stopped.message
