"""File-system times: kind (UTC or local), source zone, resolution, NTFS $FILE_NAME, stomping.

Oracles: ``mdir`` (the FAT wall clock as stored), ``fls -m -z ZONE`` (The Sleuth Kit's
conversion of it with glibc), ``istat`` ($STANDARD_INFORMATION and $FILE_NAME times),
``debugfs`` (ext inode size), GNU ``date`` (DST rules).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tsk_oracle import need

from lccu.fs import FileEntry, list_volumes, walk
from lccu.fs.fat_times import dos_wall_clock
from lccu.fs.times import FsTime, source_zone
from lccu.imaging.tsk import TskImage
from lccu.testing.corpus import corpus_file
from lccu.testing.time_images import ExfatImage, FatTimesImage, NtfsStompImage

BRUSSELS = ZoneInfo("Europe/Brussels")


def _entries(open_image, path: Path) -> dict[str, FileEntry]:
    img: TskImage = open_image(path)
    return {e.path: e for v in list_volumes(img) for e in walk(img, v)}


def _fls_epochs(image: Path, zone: str) -> dict[str, list[int]]:
    """``fls -m / -r -z ZONE``: path -> [atime, mtime, ctime, crtime] epochs."""
    out = subprocess.run(
        [need("fls"), "-m", "/", "-r", "-z", zone, str(image)],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    rows = {}
    for line in out.splitlines():
        fields = line.split("|")
        rows[fields[1]] = [int(x) for x in fields[7:11]]
    return rows


def _mdir_wall_clocks(image: Path) -> dict[str, str]:
    """``mdir``'s date and time column per 8.3 name: the stored wall clock, whatever TZ."""
    out = subprocess.run(
        [need("mdir"), "-i", str(image), "::"],
        capture_output=True,
        check=True,
        timeout=60,
        env={**os.environ, "MTOOLS_SKIP_CHECK": "1", "TZ": "America/New_York"},
    ).stdout.decode()
    rows = {}
    for match in re.finditer(
        r"^(\S+)\s+(\S+)\s+\d+\s+(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d)", out, re.MULTILINE
    ):
        rows[f"/{match.group(1)}.{match.group(2)}"] = f"{match.group(3)}T{match.group(4)}:00"
    return rows


def test_fat_wall_clock_is_what_mdir_shows_and_is_local(
    open_image, fat_local_times: FatTimesImage
) -> None:
    """FAT modified times are the stored wall clock (as mdir prints it), kind local, and
    without a source zone they have no UTC value at all."""
    entries = _entries(open_image, fat_local_times.path)
    shown = _mdir_wall_clocks(fat_local_times.path)
    assert set(shown) == {"/WINTER.TXT", "/SUMMER.TXT"}
    for path, wall in shown.items():
        mtime = entries[path].mtime
        assert mtime is not None and mtime.local
        assert mtime.wall_text() == wall
        assert mtime.to_json(None)["kind"] == "local-unknown"
        assert mtime.to_json(None)["utc"] is None and mtime.epoch(None) is None


@pytest.mark.parametrize("zone", ["Europe/Brussels", "UTC", "America/New_York"])
def test_fat_times_converted_with_source_zone_match_fls(
    open_image, zone: str, fat_local_times: FatTimesImage
) -> None:
    """With a source zone, every FAT time (deleted file too; winter +01:00, summer +02:00 in
    Brussels) is the UTC instant fls -z ZONE computes with glibc."""
    entries = _entries(open_image, fat_local_times.path)
    tz = source_zone(zone)
    fls = _fls_epochs(fat_local_times.path, zone)
    checked = 0
    for path, epochs in fls.items():
        name = path.removesuffix(" (deleted)")  # TSK names the deleted GONE.TXT _ONE.TXT
        if name not in entries or not name.endswith(".TXT"):
            continue
        entry = entries[name]
        ours = [
            t.epoch(tz) if t else 0 for t in (entry.atime, entry.mtime, entry.ctime, entry.crtime)
        ]
        assert ours == epochs, path
        checked += 1
    assert checked == 3  # winter, summer, and the deleted one
    winter = entries["/WINTER.TXT"].mtime
    summer = entries["/SUMMER.TXT"].mtime
    assert winter is not None and summer is not None
    if zone == "Europe/Brussels":
        assert winter.utc_text(tz) == "2024-01-15T13:00:00+00:00"
        assert summer.utc_text(tz) == "2024-07-15T12:00:00+00:00"


def test_fat_times_do_not_depend_on_the_zone_lccu_runs_in(fat_local_times: FatTimesImage) -> None:
    """The same FAT image read by lccu running in New York and in Brussels gives the same
    wall clocks (TSK's own conversion uses the process's zone; lccu reads the entry)."""
    script = (
        "import json,sys\n"
        "from lccu.imaging.tsk import TskImage\n"
        "from lccu.fs import list_volumes, walk\n"
        "img = TskImage(open(sys.argv[1], 'rb'))\n"
        "print(json.dumps({e.path: [t.wall_text() if t else None for t in "
        "(e.mtime, e.atime, e.crtime)] for v in list_volumes(img) for e in walk(img, v)}))\n"
    )
    results = []
    for tz in ("America/New_York", "Europe/Brussels"):
        out = subprocess.run(
            [sys.executable, "-c", script, str(fat_local_times.path)],
            capture_output=True,
            check=True,
            timeout=120,
            env={**os.environ, "TZ": tz},
        )
        results.append(json.loads(out.stdout))
    assert results[0] == results[1]
    assert results[0]["/WINTER.TXT"][0] == "2024-01-15T14:00:00"


def test_fat_resolutions(open_image, fat_local_times: FatTimesImage) -> None:
    """FAT's write time has 2 s steps, its access time is a date, its creation time 10 ms,
    and it keeps no change time."""
    entry = _entries(open_image, fat_local_times.path)["/WINTER.TXT"]
    assert entry.mtime and entry.atime and entry.crtime
    assert [t.to_json(None)["resolution"] for t in (entry.mtime, entry.atime, entry.crtime)] == [
        2,
        86400,
        0.01,
    ]
    assert entry.atime.wall_text() == "2024-01-15T00:00:00"
    assert entry.ctime is None


def _inode_size(image: Path, offset: int = 0) -> int:
    args = [need("debugfs"), "-R", "stats"]
    target = str(image) if not offset else f"{image}?offset={offset}"
    out = subprocess.run([*args, target], capture_output=True, check=True, timeout=60)
    return int(re.search(rb"Inode size:\s+(\d+)", out.stdout).group(1))  # type: ignore[union-attr]


def test_ext_resolution_follows_inode_size(open_image, built_disk) -> None:
    """ext4 with 256-byte inodes (debugfs) keeps nanoseconds; the dfvfs ext2 with 128-byte
    inodes keeps whole seconds; both store UTC."""
    ext2 = corpus_file("dfvfs", "ext2.raw")
    assert _inode_size(ext2) == 128
    entry = _entries(open_image, ext2)["/passwords.txt"]
    assert entry.mtime is not None and not entry.mtime.local
    assert entry.mtime.to_json(None)["resolution"] == 1
    ext4_offset = int(built_disk.partitions[1]["start_offset"])
    assert _inode_size(built_disk.image, ext4_offset) == 256
    img = open_image(built_disk.image)
    volume = next(v for v in list_volumes(img) if v.fs_type == "ext4")
    notes = next(e for e in walk(img, volume) if e.path == "/notes.txt")
    assert notes.mtime is not None and notes.mtime.to_json(None)["resolution"] == 1e-9


def _istat_times(image: Path, inode: int, offset_sectors: int = 0) -> dict[str, list[str]]:
    """istat's Created/File Modified/MFT Modified/Accessed lines per attribute section."""
    args = [need("istat")] + (["-o", str(offset_sectors)] if offset_sectors else [])
    out = subprocess.run(
        [*args, str(image), str(inode)],
        capture_output=True,
        check=True,
        timeout=60,
        env={**os.environ, "TZ": "UTC"},
    ).stdout.decode()
    sections: dict[str, list[str]] = {}
    current = ""
    for line in out.splitlines():
        if line.endswith("Attribute Values:"):
            current = line.split()[0]
            sections[current] = []
        elif current and re.match(r"^(Created|File Modified|MFT Modified|Accessed):", line):
            sections[current].append(line.split("\t")[1].removesuffix(" (UTC)"))
    return sections


def _shown(t: FsTime | None) -> str:
    assert t is not None
    text = t.utc_text(None) or ""
    return text.replace("T", " ").removesuffix("+00:00")


def test_ntfs_file_name_times_equal_istat(open_image) -> None:
    """On the sleuthkit NTFS E01 every $STANDARD_INFORMATION and $FILE_NAME time of
    WPSettings.dat equals istat's, to 100 ns; nothing there is flagged as stomped."""
    e01 = corpus_file("sleuthkit", "imageformat_mmls_1.E01")
    from lccu.imaging import open_image as open_evidence

    with open_evidence(e01) as stream:
        img = TskImage(stream, stream.size)
        volume = list_volumes(img)[0]
        entries = {e.path: e for e in walk(img, volume)}
    entry = entries["/System Volume Information/WPSettings.dat"]
    istat = _istat_times(e01, entry.inode, volume.start_offset // 512)
    assert entry.file_name is not None
    order = ("crtime", "mtime", "ctime", "atime")
    si = [_shown(getattr(entry.times, key))[:29] for key in order]
    fn = [_shown(getattr(entry.file_name.times, key))[:29] for key in order]
    assert [s[:27] for s in istat["$STANDARD_INFORMATION"]] == [s[:27] for s in si]
    assert [s[:27] for s in istat["$FILE_NAME"]] == [s[:27] for s in fn]
    assert [e.path for e in entries.values() if e.timestomp] == []


def test_timestomped_file_is_flagged(open_image, ntfs_timestomped: NtfsStompImage) -> None:
    """The file whose $SI times were set back (istat: $SI created 2010, $FN created at
    copy time) is flagged, with both times in the reason; the untouched file is not."""
    entries = _entries(open_image, ntfs_timestomped.path)
    stomped = entries[ntfs_timestomped.stomped]
    istat = _istat_times(ntfs_timestomped.path, stomped.inode)
    assert istat["$STANDARD_INFORMATION"][0].startswith("2010-01-01 12:00:00")
    assert istat["$FILE_NAME"][0] > istat["$STANDARD_INFORMATION"][0]
    assert stomped.timestomp is not None
    assert "2010-01-01T12:00:00" in stomped.timestomp
    assert istat["$FILE_NAME"][0][:19].replace(" ", "T") in stomped.timestomp
    assert entries[ntfs_timestomped.untouched].timestomp is None
    flagged = sorted(e.path for e in entries.values() if e.timestomp)
    assert flagged == [ntfs_timestomped.stomped]


def test_exfat_stored_offset_makes_a_utc_time(open_image, exfat_offsets: ExfatImage) -> None:
    """exFAT: the time with a stored +01:00 offset is UTC (fls, which ignores offsets, shows
    the wall clock; the instant is an hour earlier); the one without is local."""
    entries = _entries(open_image, exfat_offsets.path)
    fls = _fls_epochs(exfat_offsets.path, "UTC")  # TSK: the wall clock read as UTC
    wall_as_utc = fls[exfat_offsets.with_offset][1]
    with_offset = entries[exfat_offsets.with_offset].mtime
    without = entries[exfat_offsets.without_offset].mtime
    assert with_offset is not None and without is not None
    assert not with_offset.local and with_offset.epoch(None) == wall_as_utc - 3600
    assert without.local and without.epoch(None) is None
    assert without.epoch(BRUSSELS) == fls[exfat_offsets.without_offset][1] - 3600


def _gnu_date(text: str) -> int:
    out = subprocess.run(
        ["date", "-d", text, "+%s"],
        capture_output=True,
        check=True,
        timeout=10,
        env={**os.environ, "TZ": "Europe/Brussels"},
    )
    return int(out.stdout)


def test_repeated_hour_is_ambiguous_and_gives_the_earlier_instant() -> None:
    """02:30 on 27 October 2024 happened twice in Brussels: the time says so and gives the
    CEST reading (GNU date); an ordinary hour is not ambiguous."""
    import calendar

    repeated = FsTime(calendar.timegm((2024, 10, 27, 2, 30, 0)), local=True)
    assert repeated.ambiguous(BRUSSELS)
    assert repeated.epoch(BRUSSELS) == _gnu_date("2024-10-27 02:30 CEST")
    assert repeated.to_json(BRUSSELS)["ambiguous"] is True
    plain = FsTime(calendar.timegm((2024, 10, 27, 4, 30, 0)), local=True)
    assert not plain.ambiguous(BRUSSELS)
    assert "ambiguous" not in plain.to_json(BRUSSELS)


@pytest.mark.parametrize(
    ("date", "clock", "tens"),
    [
        (0, 0, 0),  # not set
        ((44 << 9) | (13 << 5) | 1, 0, 0),  # month 13
        ((44 << 9) | (2 << 5) | 30, 0, 0),  # 30 February
        ((44 << 9) | (1 << 5) | 1, 24 << 11, 0),  # hour 24
        ((44 << 9) | (1 << 5) | 1, 0, 200),  # 10 ms count past 199
    ],
)
def test_invalid_dos_times_are_not_times(date: int, clock: int, tens: int) -> None:
    """A DOS date/time with an impossible field is no time (None), never a wrapped date."""
    assert dos_wall_clock(date, clock, tens) is None


def test_unknown_zone_is_a_clear_error() -> None:
    """A zone name the IANA database does not know is refused naming the fix."""
    from lccu.errors import InvalidInput

    for name in ("Mars/Olympus", "../../etc/passwd", ""):
        with pytest.raises(InvalidInput, match="IANA name such as Europe/Brussels"):
            source_zone(name)


def test_iso9660_stored_offset_makes_a_utc_time(open_image, tmp_path: Path) -> None:
    """ISO 9660 records store their UTC offset (+02:00 in the dfvfs image, +01:00 on the
    files of TSK's image.iso), which TSK drops: each time is the UTC instant, without any
    source zone, that xorriso (libisofs applies the offset) gives the files it extracts."""
    for corpus, name in (("dfvfs", "iso9660.raw"), ("sleuthkit", "image.iso")):
        image = corpus_file(corpus, name)
        out = tmp_path / name
        subprocess.run(
            [need("xorriso"), "-osirrox", "on", "-indev", str(image), "-extract", "/", str(out)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        entries = _entries(open_image, image)
        extracted = [p for p in out.rglob("*") if p.is_file()]
        assert len(extracted) == 3, extracted
        for path in extracted:
            stored = entries["/" + path.relative_to(out).as_posix()].crtime
            assert stored is not None and not stored.local, path
            assert stored.epoch(None) == int(path.stat().st_mtime), path


def test_iso9660_offset_zero_stays_local(open_image, tmp_path: Path) -> None:
    """A record with offset 0 (xorriso writes UTC so) does not prove UTC: lccu keeps the wall
    clock as local, zone unknown, and the source zone converts it."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "WINTER.TXT").write_bytes(b"x")
    os.utime(tree / "WINTER.TXT", (1705323600, 1705323600))  # 2024-01-15 13:00:00 UTC
    image = tmp_path / "disc.iso"
    subprocess.run(
        [need("xorrisofs"), "-quiet", "-o", str(image), str(tree)],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "TZ": "UTC"},
    )
    stored = _entries(open_image, image)["/WINTER.TXT"].crtime
    assert stored is not None and stored.local and stored.epoch(None) is None
    assert stored.wall_text() == "2024-01-15T13:00:00"
    assert stored.utc_text(BRUSSELS) == "2024-01-15T12:00:00+00:00"


def test_resolutions_of_hfsplus_exfat_and_iso9660(
    open_image, exfat_offsets: ExfatImage, tmp_path: Path
) -> None:
    """The step of each time as the file system stores it: HFS+ whole seconds (UTC), exFAT
    10 ms for written/born and 2 s for accessed, ISO 9660 whole seconds."""
    hfs = _entries(open_image, corpus_file("dfvfs", "hfsplus.raw"))["/passwords.txt"]
    assert [t.to_json(None)["resolution"] for t in (hfs.mtime, hfs.atime, hfs.crtime) if t] == [
        1,
        1,
        1,
    ]
    assert hfs.mtime is not None and not hfs.mtime.local
    exfat = _entries(open_image, exfat_offsets.path)[exfat_offsets.without_offset]
    assert [
        t.to_json(None)["resolution"] if t else None
        for t in (exfat.mtime, exfat.atime, exfat.crtime)
    ] == [0.01, 2, 0.01]
    iso = _entries(open_image, corpus_file("dfvfs", "iso9660.raw"))["/PASSWORDS.TXT"]
    assert iso.crtime is not None and iso.crtime.to_json(None)["resolution"] == 1
