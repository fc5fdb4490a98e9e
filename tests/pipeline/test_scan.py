"""`lccu scan` end to end: every planted file comes back with its exact SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from lccu.errors import LccuError
from lccu.pipeline import ScanOptions, run_scan
from lccu.report import validate_report
from lccu.testing.images import PlantedManifest, build_ext2_directory_loop


@pytest.fixture(scope="module")
def scanned(planted_disk: PlantedManifest,
            tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("scan")
    return run_scan(planted_disk.image, out), out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_image_hashes_match_hashlib(scanned: tuple[dict, Path],
                                    planted_disk: PlantedManifest) -> None:
    """The report's image MD5/SHA-1/SHA-256 equal hashlib's over the image file."""
    report, _ = scanned
    data = planted_disk.image.read_bytes()
    assert report["image"]["size"] == len(data)
    assert report["image"]["md5"] == hashlib.md5(data).hexdigest()
    assert report["image"]["sha1"] == hashlib.sha1(data).hexdigest()
    assert report["image"]["sha256"] == hashlib.sha256(data).hexdigest()


def _same_path(listed: str, planted: str, deleted: bool) -> bool:
    """FAT overwrites the first byte of a deleted name (TSK shows "_"), so compare deleted
    paths component by component without that character."""
    if not deleted:
        return listed == planted
    a, b = listed.split("/"), planted.split("/")
    return len(a) == len(b) and all(
        x[1:].lower() == y[1:].lower() for x, y in zip(a, b, strict=True))


def test_every_planted_file_recovered_exactly(scanned: tuple[dict, Path],
                                              planted_disk: PlantedManifest) -> None:
    """Each planted file is in files[] (extracted, deleted ones flagged) or in carved[]
    (unpartitioned ones), with the planted SHA-256 and an exported copy of those bytes."""
    report, out = scanned
    for planted in planted_disk.files:
        if planted.path is not None:
            matches = [f for f in report["files"]
                       if _same_path(f["path"], planted.path, planted.deleted)
                       and f["sha256"] == planted.sha256]
            assert matches, f"{planted.path} not extracted with its planted hash"
            assert any(f["allocated"] is (not planted.deleted) for f in matches)
            exported = [f["exported"] for f in matches if f["exported"]]
            assert exported and _sha256(out / exported[0]) == planted.sha256
        else:
            carved = [c for c in report["carved"] if c["offset"] == planted.raw_offset]
            assert carved and carved[0]["sha256"] == planted.sha256, planted.name
            assert carved[0]["validated"] and carved[0]["duplicate_of"] is None
            assert _sha256(out / carved[0]["exported"]) == planted.sha256


def _hashlib(data: bytes) -> dict[str, str]:
    return {name: hashlib.new(name, data).hexdigest() for name in ("md5", "sha1", "sha256")}


def _three(record: dict) -> dict[str, str]:
    return {name: record[name] for name in ("md5", "sha1", "sha256")}


def test_every_file_and_carved_item_has_md5_sha1_sha256(scanned: tuple[dict, Path],
                                                          planted_disk: PlantedManifest) -> None:
    """Every file read (allocated or deleted) carries the MD5, SHA-1 and SHA-256 hashlib gives
    over `icat`'s output; every carved item those of its bytes in the image; every planted
    file, allocated, deleted or carved, is found with the planted file's three hashes."""
    report, _ = scanned
    starts = {v["index"]: v["start_offset"] // 512 for v in report["volumes"]}
    read = [f for f in report["files"] if f["sha256"] is not None]
    assert any(not f["allocated"] for f in read)
    for record in read:
        data = subprocess.run(["icat", "-o", str(starts[record["volume"]]),
                               str(planted_disk.image), str(record["inode"])],
                              capture_output=True, check=True, timeout=60).stdout
        assert _three(record) == _hashlib(data), record["path"]
    image = planted_disk.image.read_bytes()
    assert report["carved"]
    for item in report["carved"]:
        assert _three(item) == _hashlib(image[item["offset"]:item["offset"] + item["length"]])
    found = [_three(r) for r in report["files"] + report["carved"]]
    for planted in planted_disk.files:
        assert {"md5": planted.md5, "sha1": planted.sha1, "sha256": planted.sha256} in found, \
            planted.name


def test_carved_copies_of_allocated_files_are_marked(scanned: tuple[dict, Path]) -> None:
    """A picture carved inside a partition names the allocated file it duplicates and is
    not exported twice; the file it names is in files[] with the same hash."""
    report, _ = scanned
    duplicates = [c for c in report["carved"] if c["duplicate_of"]]
    assert duplicates
    for item in duplicates:
        owner = item["duplicate_of"]
        listed = [f for f in report["files"] if (f["volume"], f["path"], f["inode"]) ==
                  (owner["volume"], owner["path"], owner["inode"])]
        assert listed and listed[0]["sha256"] == item["sha256"]
        assert item["exported"] is None


def test_report_files_valid_and_contained(scanned: tuple[dict, Path]) -> None:
    """report.json equals the returned report and validates; every export stays in DIR."""
    report, out = scanned
    on_disk = json.loads((out / "report.json").read_text())
    validate_report(on_disk)
    assert on_disk["image"] == report["image"]
    assert (out / "report.html").stat().st_size > 1000
    root = out.resolve()
    for record in report["files"] + report["carved"]:
        if record["exported"]:
            assert root in (out / record["exported"]).resolve().parents


def test_listing_matches_fls(scanned: tuple[dict, Path], planted_disk: PlantedManifest) -> None:
    """Per volume, the (inode, path, deleted) entries equal Debian's `fls -r -p`."""
    report, _ = scanned
    for volume in report["volumes"]:
        sector = volume["start_offset"] // 512
        out = subprocess.run(["fls", "-r", "-p", "-o", str(sector), str(planted_disk.image)],
                             capture_output=True, text=True, check=True).stdout
        expected = set()
        for line in out.splitlines():
            head, _, path = line.partition("\t")
            deleted = "*" in head
            inode = int(head.split()[-1].rstrip(":").replace("(realloc)", "").split("-")[0])
            expected.add((inode, "/" + path, deleted))
        ours = {(f["inode"], f["path"], not f["allocated"]) for f in report["files"]
                if f["volume"] == volume["index"]}
        assert ours == expected


@pytest.mark.parametrize("kind", ["random", "zeros", "truncated", "corrupt-table"])
def test_bad_images_finish_with_errors(kind: str, planted_disk: PlantedManifest,
                                       tmp_path: Path) -> None:
    """Random bytes, zeros, a truncated disk and a corrupt MBR: scan finishes, writes the
    report, and puts the problem in errors (the truncation in warnings)."""
    image = tmp_path / f"{kind}.img"
    if kind == "random":
        image.write_bytes(random.Random(7).randbytes(3 * 1024 * 1024))
    elif kind == "zeros":
        image.write_bytes(bytes(3 * 1024 * 1024))
    elif kind == "truncated":
        image.write_bytes(planted_disk.image.read_bytes()[: 40 * 1024 * 1024])  # cuts ext4
    else:
        data = bytearray(planted_disk.image.read_bytes())
        data[446:510] = random.Random(3).randbytes(64)  # the four partition entries
        image.write_bytes(bytes(data))
    report = run_scan(image, tmp_path / "out", ScanOptions(yara=False))
    assert report["errors" if kind != "truncated" else "warnings"], "it must be reported"
    assert (tmp_path / "out" / "report.json").is_file()
    if kind == "truncated":
        assert report["volumes"], "the intact FAT partition is still listed"
        assert any(v["truncated"] for v in report["volumes"])
        assert report["outcome"] == "done with warnings"


def test_directory_loop_scan_finishes(tmp_path: Path) -> None:
    """A file system with a directory loop: the scan ends, lists the rest, reports the loop."""
    image = build_ext2_directory_loop(tmp_path / "loop.img")
    report = run_scan(image, tmp_path / "out", ScanOptions(yara=False, carve="none"))
    paths = [f["path"] for f in report["files"]]
    assert "/a_directory/another_file" in paths
    assert not any(p.startswith("/a_directory/another_file/") for p in paths)
    assert any("already listed" in e["message"] for e in report["errors"])


def test_zero_byte_image_is_refused(tmp_path: Path) -> None:
    """A zero-byte file: nothing can be read, a clear LccuError and no report."""
    image = tmp_path / "empty.img"
    image.write_bytes(b"")
    with pytest.raises(LccuError, match="empty"):
        run_scan(image, tmp_path / "out")
    assert not (tmp_path / "out" / "report.json").exists()


def _scan_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    return subprocess.run([sys.executable, "-m", "lccu.cli.main", "scan", *args],
                          capture_output=True, text=True, env=env, timeout=600)


def test_cli_scan_and_bad_input_exit_codes(planted_disk: PlantedManifest, tmp_path: Path) -> None:
    """`lccu scan` exits 0 and prints the summary; on a zero-byte file or a directory it
    exits 2 with one line and no traceback."""
    ok = _scan_cli(str(planted_disk.image), "--out", str(tmp_path / "o"), "--no-yara",
                   "--carve", "unallocated")
    assert ok.returncode == 0, ok.stderr
    assert "sha256" in ok.stdout and (tmp_path / "o" / "report.html").is_file()
    empty = tmp_path / "empty.img"
    empty.write_bytes(b"")
    for target in (empty, tmp_path):
        bad = _scan_cli(str(target), "--out", str(tmp_path / "x"))
        assert bad.returncode == 2
        assert "Traceback" not in bad.stderr and bad.stderr.strip().startswith("lccu: error:")
