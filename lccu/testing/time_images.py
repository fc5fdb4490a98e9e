"""Small file-system images whose stored times are known, for timeline tests.

- :func:`build_fat_local_times`: FAT16 written by mtools with the clock of a given zone
  (``mcopy -m`` keeps each source file's modification time and writes it, as FAT does, as
  the local wall clock of ``TZ``), one file in winter and one in summer, one deleted.
- :func:`build_ntfs_timestomped`: NTFS made by ``mkntfs`` and ``ntfscp`` (no mount needed),
  then one file's ``$STANDARD_INFORMATION`` times overwritten with 2010 in the MFT entry's
  own bytes, which is what ``SetFileTime``-based time-stomping tools do on Windows; its
  ``$FILE_NAME`` times keep the real creation time. A second file is left alone.
- :func:`build_exfat_offsets`: an empty ``mkfs.exfat`` volume with two file entry sets
  written into the root directory (the kernel here has no exFAT driver to mount it): the
  same wall clock, once with a stored UTC offset (+01:00) and once without.
"""

from __future__ import annotations

import calendar
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lccu.errors import ConfigError

WINTER = (2024, 1, 15, 14, 0, 0)  # wall clocks a FAT file is written at (local time)
SUMMER = (2024, 7, 15, 14, 0, 0)
STOMPED_TO = (2010, 1, 1, 12, 0, 0)  # UTC time a timestomp tool writes into $SI
_FILETIME_EPOCH = 116_444_736_000_000_000


def _run(*args: str, env: dict[str, str] | None = None) -> None:
    if shutil.which(args[0]) is None:
        raise ConfigError(f"{args[0]} is not installed (scripts/install.sh installs it)")
    try:
        subprocess.run(list(args), check=True, capture_output=True, timeout=60,
                       env={**os.environ, "MTOOLS_SKIP_CHECK": "1", **(env or {})})
    except subprocess.CalledProcessError as exc:
        raise ConfigError(f"{args[0]} failed: {exc.stderr.decode(errors='replace')}") from exc


@dataclass(frozen=True)
class FatTimesImage:
    path: Path
    zone: str
    files: dict[str, tuple[int, ...]]  # FAT path -> wall clock it was written at
    deleted: tuple[str, ...]


def build_fat_local_times(path: str | os.PathLike[str],
                          zone: str = "Europe/Brussels") -> FatTimesImage:
    """A bare FAT16 volume: ``/WINTER.TXT`` written at :data:`WINTER` and ``/SUMMER.TXT``
    (and the deleted ``/GONE.TXT``) at :data:`SUMMER`, local time of ``zone``."""
    out = Path(path)
    tz = ZoneInfo(zone)
    files: dict[str, tuple[int, ...]] = {"/WINTER.TXT": WINTER, "/SUMMER.TXT": SUMMER,
                                         "/GONE.TXT": SUMMER}
    with out.open("wb") as fh:
        fh.truncate(16 * 1024 * 1024)
    _run("mkfs.vfat", "-F", "16", "-n", "LCCUTIME", "-i", "4c434355", "--invariant", str(out))
    with tempfile.TemporaryDirectory(prefix="lccu-fat-") as tmp:
        for name, wall in files.items():
            source = Path(tmp) / name.lstrip("/").lower()
            source.write_bytes(f"written at {wall} in {zone}\n".encode())
            year, month, day, hour, minute, second = wall
            instant = datetime(year, month, day, hour, minute, second, tzinfo=tz).timestamp()
            os.utime(source, (instant, instant))
            _run("mcopy", "-m", "-i", str(out), str(source), f"::{name}", env={"TZ": zone})
    _run("mdel", "-i", str(out), "::/GONE.TXT")
    return FatTimesImage(out, zone, files, ("/GONE.TXT",))


def _filetime(wall_utc: tuple[int, ...]) -> int:
    seconds = calendar.timegm((*wall_utc, 0, 0, 0))
    return seconds * 10_000_000 + _FILETIME_EPOCH


def _mft_record(data: bytes | bytearray, name: str) -> int:
    """Byte offset of the MFT entry whose $FILE_NAME holds ``name`` (records are 1 KiB)."""
    needle = name.encode("utf-16-le")
    for offset in range(0, len(data) - 1024, 1024):
        if data[offset:offset + 4] == b"FILE" and needle in data[offset:offset + 1024]:
            return offset
    raise ValueError(f"no MFT entry for {name}")


def _stomp(image: Path, name: str, when: tuple[int, ...]) -> None:
    """Overwrite the four $STANDARD_INFORMATION times of ``name``'s MFT entry. They lie in
    the entry's first sector, clear of the update-sequence bytes at each sector's end."""
    data = bytearray(image.read_bytes())
    record = _mft_record(data, name)
    attr = record + struct.unpack_from("<H", data, record + 0x14)[0]
    while struct.unpack_from("<I", data, attr)[0] != 0x10:  # $STANDARD_INFORMATION
        length = struct.unpack_from("<I", data, attr + 4)[0]
        if length == 0 or attr + length > record + 1024:
            raise ValueError(f"no $STANDARD_INFORMATION in the entry of {name}")
        attr += length
    content = attr + struct.unpack_from("<H", data, attr + 0x14)[0]
    struct.pack_into("<4Q", data, content, *([_filetime(when)] * 4))
    image.write_bytes(bytes(data))


@dataclass(frozen=True)
class NtfsStompImage:
    path: Path
    stomped: str  # path of the file whose $SI times were set back
    untouched: str


def build_ntfs_timestomped(path: str | os.PathLike[str]) -> NtfsStompImage:
    """A bare 4 MiB NTFS volume with ``/stomped.txt`` ($SI set to :data:`STOMPED_TO`) and
    ``/plain.txt`` (times as ntfscp wrote them)."""
    out = Path(path)
    with out.open("wb") as fh:
        fh.truncate(4 * 1024 * 1024)
    _run("mkntfs", "-F", "-f", "-q", "-s", "512", "-c", "512", "-p", "0", "-H", "0", "-S", "0",
         "-L", "LCCU", str(out))
    with tempfile.TemporaryDirectory(prefix="lccu-ntfs-") as tmp:
        source = Path(tmp) / "note.txt"
        source.write_bytes(b"a note\n")
        for name in ("stomped.txt", "plain.txt"):
            _run("ntfscp", str(out), str(source), name)
    _stomp(out, "stomped.txt", STOMPED_TO)
    return NtfsStompImage(out, "/stomped.txt", "/plain.txt")


def _exfat_stamp(wall: tuple[int, ...]) -> int:
    year, month, day, hour, minute, second = wall
    return ((year - 1980) << 25 | month << 21 | day << 16 | hour << 11 | minute << 5
            | second // 2)


def _exfat_entry_set(name: str, wall: tuple[int, ...], offset_byte: int) -> bytes:
    """A File (0x85), Stream Extension (0xC0) and File Name (0xC1) entry for an empty file."""
    units = name.encode("utf-16-le")
    if len(units) > 30:
        raise ValueError("one File Name entry holds 15 characters")
    name_hash = 0
    for byte in name.upper().encode("utf-16-le"):
        name_hash = (((name_hash & 1) << 15) | (name_hash >> 1)) + byte & 0xFFFF
    stamp = _exfat_stamp(wall)
    file_entry = bytearray(32)
    struct.pack_into("<BBHH2xIIIBBBBB", file_entry, 0, 0x85, 2, 0, 0x20, stamp, stamp, stamp,
                     0, 0, offset_byte, offset_byte, offset_byte)
    stream = bytearray(32)
    struct.pack_into("<BBxBH2xQ4xIQ", stream, 0, 0xC0, 0x01, len(name), name_hash, 0, 0, 0)
    file_name = bytearray(32)
    file_name[0] = 0xC1
    file_name[2:2 + len(units)] = units
    entries = file_entry + stream + file_name
    checksum = 0
    for i, byte in enumerate(entries):
        if i in (2, 3):
            continue
        checksum = (((checksum & 1) << 15) | (checksum >> 1)) + byte & 0xFFFF
    struct.pack_into("<H", entries, 2, checksum)
    return bytes(entries)


@dataclass(frozen=True)
class ExfatImage:
    path: Path
    wall: tuple[int, ...]
    with_offset: str  # name of the file whose times carry a stored UTC offset of +01:00
    without_offset: str


def build_exfat_offsets(path: str | os.PathLike[str]) -> ExfatImage:
    """An exFAT volume with ``/OFFSET.TXT`` (+01:00 stored) and ``/LOCAL.TXT`` (no offset),
    both written at the wall clock :data:`WINTER`."""
    out = Path(path)
    with out.open("wb") as fh:
        fh.truncate(8 * 1024 * 1024)
    _run("mkfs.exfat", "-L", "LCCUEX", str(out))
    with out.open("r+b") as fh:
        boot = fh.read(512)
        sector = 1 << boot[108]
        cluster = sector << boot[109]
        heap, root = struct.unpack_from("<I", boot, 88)[0], struct.unpack_from("<I", boot, 96)[0]
        start = heap * sector + (root - 2) * cluster
        fh.seek(start)
        directory = fh.read(cluster)
        free = next(i for i in range(0, cluster, 32) if directory[i] == 0)
        fh.seek(start + free)
        fh.write(_exfat_entry_set("OFFSET.TXT", WINTER, 0x80 | 4))  # valid, +4 x 15 min
        fh.write(_exfat_entry_set("LOCAL.TXT", WINTER, 0x00))  # offset not stored
    return ExfatImage(out, WINTER, "/OFFSET.TXT", "/LOCAL.TXT")
