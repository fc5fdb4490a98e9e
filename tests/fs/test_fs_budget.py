"""The listing time budget: a walk stops between TSK calls and says the listing is partial."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lccu.fs import Budget, OutOfTime, Problem, list_volumes, walk
from lccu.pipeline import ScanOptions, run_scan
from lccu.testing.images import PlantedManifest

pytestmark = pytest.mark.timeout(60)


def test_budget_stops_a_walk_between_tsk_calls(tmp_path: Path, open_image) -> None:
    """A real ext4 volume of 10,000 files (a full walk: ~0.4 s here) walked with a 0.05 s
    budget: the walk stops between TSK calls with an OutOfTime problem naming how many
    entries it listed, and what it listed is the start of the full listing, in order.

    (The case this is for, an ext2 inode claiming 4 GiB, costs TSK 15-80 s in one call on
    this machine, too slow for the suite; such a call is finished, then the walk stops.)"""
    tree = tmp_path / "tree"
    for d in range(20):
        (tree / f"d{d:02d}").mkdir(parents=True)
        for i in range(500):
            (tree / f"d{d:02d}" / f"f{i}").touch()
    path = tmp_path / "many.img"
    subprocess.run(["mkfs.ext4", "-q", "-F", "-N", "12000", "-d", str(tree), str(path), "32M"],
                   check=True, capture_output=True, timeout=60)
    img = open_image(path)
    volume = list_volumes(img)[0]
    errors: list[Problem] = []
    partial = [e.path for e in walk(img, volume, errors, budget=Budget(0.05))]
    full = [e.path for e in walk(img, volume)]
    assert len(full) > 10_000 and len(partial) < len(full)
    assert partial == full[:len(partial)]
    [stopped] = [p for p in errors if isinstance(p, OutOfTime)]
    assert stopped.where == "volume 0" and stopped.message.startswith("listing stopped after ")
    assert (f"(time budget 0.05 s, LCCU_FS_BUDGET_SECONDS): partial, {len(partial)} entries "
            "of this volume listed") in stopped.message


def test_scan_report_says_the_listing_stopped(tmp_path: Path, planted_disk: PlantedManifest,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the pipeline (`lccu scan`, and the workers' files stage, both use
    list_and_extract): a budget spent before the first TSK call gives no files and one
    "listing stopped" error per volume in report.json, and carving still runs."""
    monkeypatch.setenv("LCCU_FS_BUDGET_SECONDS", "0.000001")
    report = run_scan(planted_disk.image, tmp_path / "scan", ScanOptions(yara=False))
    saved = json.loads((tmp_path / "scan" / "report.json").read_text())
    assert saved["files"] == report["files"] == []
    stopped = [e for e in saved["errors"] if e["message"].startswith("listing stopped after")]
    assert sorted(e["where"] for e in stopped) == \
        sorted(f"volume {v['index']}" for v in saved["volumes"])
    assert len(stopped) == 2
    assert "partial, 0 entries of this volume listed" in stopped[0]["message"]
    assert report["carved"]  # the pictures in unpartitioned space are still found


def test_budget_zero_means_none(tmp_path: Path, planted_disk: PlantedManifest,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """LCCU_FS_BUDGET_SECONDS=0 switches the bound off; a bad value is a clear error."""
    from lccu.errors import ConfigError
    from lccu.pipeline.filesystem import listing_budget

    monkeypatch.setenv("LCCU_FS_BUDGET_SECONDS", "0")
    assert listing_budget().seconds == float("inf")
    assert listing_budget(2.5).seconds == 2.5
    monkeypatch.setenv("LCCU_FS_BUDGET_SECONDS", "soon")
    with pytest.raises(ConfigError, match="LCCU_FS_BUDGET_SECONDS"):
        listing_budget()
