"""`lccu timeline`: bodyfile equal to Debian's ``fls -m / -r -z ZONE``, Timesketch JSONL with
the fields Timesketch requires, CSV for spreadsheets, and clear refusals."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.corpus import corpus_file
from lccu.testing.images import PlantedManifest
from lccu.testing.time_images import FatTimesImage, NtfsStompImage

ZONES = ("UTC", "Europe/Brussels")
#: Debian's TSK 4.11 prints an NTFS time that is not set (FILETIME 0) as this number: it
#: subtracts the 1601-1970 offset in unsigned 64-bit arithmetic and keeps 32 bits
#: (((2**64 - 116444736000000000) // 10**7) % 2**32). Later TSK versions, and lccu, print 0.
TSK411_NTFS_UNSET = "3373865674"


def lccu(*args: str) -> subprocess.CompletedProcess[str]:
    return run_lccu(*args, env=lccu_env(keys=False), timeout=600)


def fls_bodyfile(image: Path, zone: str, offsets: list[int]) -> list[str]:
    """``fls -m / -r -z ZONE`` of every volume (by sector offset), lines sorted."""
    fls = shutil.which("fls")
    assert fls, "fls is needed (apt-get install sleuthkit)"
    lines: list[str] = []
    for offset in offsets:
        args = [fls, "-m", "/", "-r", "-z", zone] + (["-o", str(offset)] if offset else [])
        out = subprocess.run([*args, str(image)], capture_output=True, check=True, timeout=300)
        for line in out.stdout.decode("utf-8", "surrogateescape").splitlines():
            fields = line.split("|")
            if "-128-" in fields[2] or "-144-" in fields[2] or "-48-" in fields[2]:  # NTFS
                fields[7:11] = ["0" if f == TSK411_NTFS_UNSET else f for f in fields[7:11]]
            lines.append("|".join(fields))
    return sorted(lines)


def our_bodyfile(image: Path, zone: str, tmp_path: Path) -> list[str]:
    out = tmp_path / f"{image.name}-{zone.replace('/', '_')}.body"
    result = lccu(
        "timeline", str(image), "--timezone", zone, "--format", "bodyfile", "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    return sorted(out.read_bytes().decode("utf-8", "surrogateescape").splitlines())


#: images in which TSK finds no deleted name (fls -m prints no "(deleted"): every other case
#: must have some, so "deleted files included" is checked on FAT, ext2/ext4 and NTFS (the
#: built NTFS and the dfvfs one list unallocated MFT entries as $OrphanFiles/...)
NO_DELETED = {"ntfs-e01"}


def _qcow_as_raw(image: Path, tmp_path: Path) -> Path:
    """fls cannot open QCOW2 (Debian's TSK has no QCOW support): qemu-img's raw copy of it
    is what fls reads; lccu reads the QCOW2 itself."""
    qemu = shutil.which("qemu-img")
    assert qemu, "qemu-img is needed (apt-get install qemu-utils)"
    raw = tmp_path / f"{image.stem}.raw"
    subprocess.run(
        [qemu, "convert", "-O", "raw", str(image), str(raw)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return raw


@pytest.mark.parametrize(
    "case",
    [
        "fat16-brussels-clock",
        "fat32+ext4-mbr",
        "ntfs-e01",
        "ntfs-stomped",
        "ntfs-qcow2-orphans",
        "ext2-tsk",
    ],
)
def test_bodyfile_equals_fls(
    case: str,
    tmp_path: Path,
    fat_local_times: FatTimesImage,
    planted_disk: PlantedManifest,
    ntfs_timestomped: NtfsStompImage,
) -> None:
    """For FAT, ext4, ext2 and NTFS images (built here and from the shared corpus), deleted
    names included (NTFS: the dfvfs volume's unallocated MFT entries under $OrphanFiles),
    the bodyfile equals fls -m -z ZONE line by line, for UTC and Brussels."""
    images = {
        "fat16-brussels-clock": (fat_local_times.path, [0]),
        "fat32+ext4-mbr": (
            planted_disk.image,
            [int(p["start_offset"]) // 512 for p in planted_disk.partitions],
        ),
        "ntfs-e01": (corpus_file("sleuthkit", "imageformat_mmls_1.E01"), [128, 55424]),
        "ntfs-stomped": (ntfs_timestomped.path, [0]),
        "ntfs-qcow2-orphans": (corpus_file("dfvfs", "windows_volume.qcow2"), [0]),
        "ext2-tsk": (corpus_file("sleuthkit", "image.dd"), [0]),
    }
    image, offsets = images[case]
    fls_image = _qcow_as_raw(image, tmp_path) if image.suffix == ".qcow2" else image
    for zone in ZONES:
        theirs = fls_bodyfile(fls_image, zone, offsets)
        ours = our_bodyfile(image, zone, tmp_path)
        assert ours == theirs, zone
        assert any("(deleted" in line for line in ours) == (case not in NO_DELETED), case


def test_fat_file_in_winter_and_summer_brussels(
    tmp_path: Path, fat_local_times: FatTimesImage
) -> None:
    """A FAT file written at 14:00 Brussels time in January is 13:00 UTC and one written in
    July 12:00 UTC in the bodyfile and the JSONL; the CSV without a zone says local, zone
    unknown and gives no UTC value."""
    body = our_bodyfile(fat_local_times.path, "Europe/Brussels", tmp_path)
    mtimes = {line.split("|")[1]: int(line.split("|")[8]) for line in body}
    assert datetime.fromisoformat("2024-01-15T13:00:00+00:00").timestamp() == mtimes["/WINTER.TXT"]
    assert datetime.fromisoformat("2024-07-15T12:00:00+00:00").timestamp() == mtimes["/SUMMER.TXT"]
    out = tmp_path / "fat.jsonl"
    assert (
        lccu(
            "timeline",
            str(fat_local_times.path),
            "--timezone",
            "Europe/Brussels",
            "--format",
            "jsonl",
            "-o",
            str(out),
        ).returncode
        == 0
    )
    events = [json.loads(line) for line in out.read_text().splitlines()]
    winter = next(e for e in events if e["path"] == "/WINTER.TXT" and e["macb"] == "m")
    assert (winter["datetime"], winter["wall_clock"], winter["zone"], winter["time_kind"]) == (
        "2024-01-15T13:00:00+00:00",
        "2024-01-15T14:00:00",
        "Europe/Brussels",
        "local",
    )
    table = tmp_path / "fat.csv"
    assert (
        lccu("timeline", str(fat_local_times.path), "--format", "csv", "-o", str(table)).returncode
        == 0
    )
    rows = list(csv.DictReader(table.open()))
    summer = next(r for r in rows if r["path"] == "/SUMMER.TXT" and r["macb"] == "m")
    assert (summer["utc"], summer["wall_clock"], summer["time_kind"]) == (
        "",
        "2024-07-15T14:00:00",
        "local-unknown",
    )
    assert all(r["utc"] == "" for r in rows)  # FAT only: nothing presented as UTC


def _timesketch_problems(line: str) -> list[str]:
    """What Timesketch's JSONL import needs of each line (docs, "Import from JSON/CSV"):
    a JSON object with message (text), datetime (ISO 8601) and timestamp_desc (text); our
    timestamp (microseconds) must be the same instant as datetime."""
    problems = []
    event = json.loads(line)
    if not isinstance(event, dict):
        return ["not an object"]
    for key in ("message", "datetime", "timestamp_desc"):
        if not isinstance(event.get(key), str) or not event[key]:
            problems.append(f"{key} missing or empty")
    try:
        moment = datetime.fromisoformat(event["datetime"])
        if moment.utcoffset() is None:
            problems.append("datetime has no offset")
        elif round(moment.timestamp() * 1_000_000) != event["timestamp"]:
            problems.append("timestamp differs from datetime")
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"datetime: {exc}")
    return problems


def test_jsonl_has_the_fields_timesketch_requires(
    tmp_path: Path, ntfs_timestomped: NtfsStompImage, planted_disk: PlantedManifest
) -> None:
    """Every JSONL line carries message, datetime and timestamp_desc as Timesketch requires,
    plus path, inode, deleted and source; $FILE_NAME times are their own events, and the
    stomped file's events carry the reason."""
    out = tmp_path / "ntfs.jsonl"
    result = lccu("timeline", str(ntfs_timestomped.path), "--format", "jsonl", "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines and all(_timesketch_problems(line) == [] for line in lines)
    events = [json.loads(line) for line in lines]
    stomped = [e for e in events if e["path"] == ntfs_timestomped.stomped]
    assert {e["attribute"] for e in stomped} == {"$STANDARD_INFORMATION", "$FILE_NAME"}
    assert all("possible time-stomping" in e["timestomp"] for e in stomped)
    born = {e["attribute"]: e["datetime"] for e in stomped if e["macb"] == "b"}
    assert born["$STANDARD_INFORMATION"] == "2010-01-01T12:00:00+00:00"
    assert born["$FILE_NAME"] > born["$STANDARD_INFORMATION"]
    assert all({"path", "inode", "sha256", "deleted", "source"} <= set(e) for e in events)
    disk = tmp_path / "disk.jsonl"
    assert (
        lccu(
            "timeline",
            str(planted_disk.image),
            "--timezone",
            "UTC",
            "--format",
            "jsonl",
            "-o",
            str(disk),
        ).returncode
        == 0
    )
    deleted = {
        json.loads(line)["path"]
        for line in disk.read_text().splitlines()
        if json.loads(line)["deleted"]
    }
    assert "/gone.txt" in deleted or any(p.endswith("gone.txt") for p in deleted)


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    """A file named like a spreadsheet formula appears with a leading quote, so opening the
    CSV does not run it; the name is otherwise as read."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "=HYPERLINK(1).txt").write_bytes(b"x")
    (tree / "plain.txt").write_bytes(b"y")
    image = tmp_path / "ext4.img"
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-d", str(tree), str(image), "2M"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    table = tmp_path / "out.csv"
    assert lccu("timeline", str(image), "--format", "csv", "-o", str(table)).returncode == 0
    paths = {row["path"] for row in csv.DictReader(table.open())}
    assert "'/=HYPERLINK(1).txt" not in paths  # the path starts with "/", not a formula
    assert "/=HYPERLINK(1).txt" in paths and "/plain.txt" in paths
    rows = list(csv.reader(table.open()))
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_refusals_exit_2_and_write_nothing(tmp_path: Path, fat_local_times: FatTimesImage) -> None:
    """A bodyfile or JSONL of a FAT volume without --timezone, an unknown zone, an output that
    is a directory and a missing image are refused with exit 2 and no file left behind."""
    out = tmp_path / "t.body"
    for args, message in [
        (["--format", "bodyfile"], "stores local wall-clock times"),
        (["--format", "jsonl"], "give --timezone"),
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
    ]:
        result = lccu("timeline", str(fat_local_times.path), *args, "-o", str(out))
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
    result = lccu("timeline", str(fat_local_times.path), "--format", "csv", "-o", str(tmp_path))
    assert result.returncode == 2 and "is a directory" in result.stderr


def test_summary_names_the_walk_and_keeps_the_image_name(tmp_path: Path) -> None:
    """The last line says which walk listed each volume (the C walk over libtsk for ext2),
    and prints the image's name as it is (no emoji made of ":smile:")."""
    image = tmp_path / "disk:smile:.dd"
    shutil.copyfile(corpus_file("sleuthkit", "image.dd"), image)
    result = lccu("timeline", str(image), "--timezone", "UTC", "-o", str(tmp_path / "x.body"))
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "disk:smile:.dd" in last and last.endswith(" (C))"), last
    assert "(walked with libtsk " in last
