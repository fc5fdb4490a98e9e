"""Media that holds less than it claims is analysed as far as it goes and says so: a disk cut
short (partitions past the end) and a file whose recorded size exceeds the image."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from lccu.pipeline import ScanOptions, run_scan
from lccu.testing.images import PlantedManifest
from tests.fs.tsk_oracle import fls


@pytest.mark.parametrize("cut", [2_000_000, 20_000_000])
def test_truncated_disk_lists_partitions_past_the_end(planted_disk: PlantedManifest,
                                                      tmp_path: Path, cut: int) -> None:
    """A 2 MB and a 20 MB cut of the planted disk (TSK's mmls refuses the table) list the FAT
    partition that runs past the end, with what `fls -r -p -o 2048` lists of it, mark it
    truncated, warn about it and about the ext4 partition that starts past the end."""
    image = tmp_path / "cut.img"
    with planted_disk.image.open("rb") as src:
        image.write_bytes(src.read(cut))
    mmls = subprocess.run(["mmls", str(image)], capture_output=True, text=True, timeout=60)
    assert not re.search(r"^\d+:", mmls.stdout, re.M)  # TSK itself lists no partition
    fat, ext = planted_disk.partitions
    report = run_scan(image, tmp_path / "out", ScanOptions(yara=False, carve="none"))
    (volume,) = report["volumes"]
    assert (volume["start_offset"], volume["length"]) == (fat["start_offset"], fat["length"])
    assert volume["truncated"] is True and volume["fs_type"] == "fat32"
    ours = {(f["inode"], f["path"].lstrip("/"), not f["allocated"]) for f in report["files"]}
    expected = fls(image, fat["start_offset"] // 512)
    assert ours == expected and len(ours) > 10
    warnings = " ".join(w["message"] for w in report["warnings"])
    assert "runs past the end of the image" in warnings
    assert f"at byte {ext['start_offset']}" in " ".join(w["where"] for w in report["warnings"])
    assert report["outcome"] == "done with warnings"


def test_file_larger_than_image_is_exported_capped(tmp_path: Path) -> None:
    """An ext4 inode whose size was set to 1 TiB (debugfs) is listed with that size (istat
    agrees), exported capped at the image size with its real data first, flagged capped and
    warned about."""
    tree = tmp_path / "tree"
    tree.mkdir()
    content = random.Random(5).randbytes(5000)
    (tree / "big.bin").write_bytes(content)
    image = tmp_path / "ext4.img"
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(tree), str(image), "4M"], check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    subprocess.run(["debugfs", "-w", "-R", f"sif /big.bin size {1 << 40}", str(image)],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    istat = subprocess.run(["istat", str(image), "12"], capture_output=True, text=True,
                           check=True, timeout=60).stdout  # fmt: skip
    assert f"size: {1 << 40}" in istat
    report = run_scan(image, tmp_path / "out", ScanOptions(yara=False, carve="none"))
    (record,) = [f for f in report["files"] if f["path"] == "/big.bin"]
    assert record["size"] == 1 << 40 and record["capped"] is True
    exported = (tmp_path / "out" / record["exported"]).read_bytes()
    assert len(exported) == image.stat().st_size and exported[:5000] == content
    assert any("exported capped" in w["message"] and "/big.bin" in w["where"]
               for w in report["warnings"])
    assert report["outcome"] == "done with warnings"
