"""Volumes of an image: partition-table rows (like ``mmls``) and the file systems in them.

A disk with a DOS/GPT/... partition table gives one :class:`Volume` per allocated
partition holding a recognised file system; a bare file system gives one volume at
offset 0. Anything TSK cannot read (no table, broken table, partition without a file
system) becomes a :class:`~lccu.fs.problems.Problem`, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import pytsk3

from lccu.errors import FileSystemError
from lccu.fs.encryption import Encryption, looks_random, signature
from lccu.fs.partitions import SECTOR, read_dos_partitions
from lccu.fs.problems import Notice, Problem
from lccu.imaging.tsk import TskImage

_FS_NAMES: dict[int, str] = {
    int(pytsk3.TSK_FS_TYPE_EXT2): "ext2",
    int(pytsk3.TSK_FS_TYPE_EXT3): "ext3",
    int(pytsk3.TSK_FS_TYPE_EXT4): "ext4",
    int(pytsk3.TSK_FS_TYPE_FAT12): "fat12",
    int(pytsk3.TSK_FS_TYPE_FAT16): "fat16",
    int(pytsk3.TSK_FS_TYPE_FAT32): "fat32",
    int(pytsk3.TSK_FS_TYPE_EXFAT): "exfat",
    int(pytsk3.TSK_FS_TYPE_NTFS): "ntfs",
    int(pytsk3.TSK_FS_TYPE_HFS): "hfs+",
    int(pytsk3.TSK_FS_TYPE_ISO9660): "iso9660",
    int(pytsk3.TSK_FS_TYPE_APFS): "apfs",
    int(pytsk3.TSK_FS_TYPE_FFS1): "ufs1",
    int(pytsk3.TSK_FS_TYPE_FFS1B): "ufs1b",
    int(pytsk3.TSK_FS_TYPE_FFS2): "ufs2",
    int(pytsk3.TSK_FS_TYPE_YAFFS2): "yaffs2",
    int(pytsk3.TSK_FS_TYPE_SWAP): "swap",
    int(pytsk3.TSK_FS_TYPE_RAW): "raw",
}

_ALLOC = int(pytsk3.TSK_VS_PART_FLAG_ALLOC)
_UNALLOC = int(pytsk3.TSK_VS_PART_FLAG_UNALLOC)
_META = int(pytsk3.TSK_VS_PART_FLAG_META)


@dataclass(frozen=True)
class PartitionRow:
    """One row of the partition table as ``mmls`` prints it (sectors and bytes)."""

    index: int
    start_sector: int
    length_sectors: int
    sector_size: int
    description: str
    kind: str  # "allocated" | "unallocated" | "meta"

    @property
    def start_offset(self) -> int:
        return self.start_sector * self.sector_size

    @property
    def length(self) -> int:
        return self.length_sectors * self.sector_size

    @property
    def end_sector(self) -> int:
        """Last sector (inclusive), as in ``mmls``'s End column."""
        return self.start_sector + self.length_sectors - 1


@dataclass(frozen=True)
class Volume:
    """A file system found in the image.

    ``index`` is the partition-table row number (``mmls``'s first column) or 0 for a bare
    file system; ``start_offset``/``length`` are in bytes; ``fs_type`` is a short name
    such as ``"ext4"``, ``"fat32"``, ``"ntfs"``, ``"hfs+"``, ``"iso9660"``.
    """

    index: int
    start_offset: int
    length: int
    description: str
    fs_type: str | None
    truncated: bool = False
    encryption: str | None = None


def fs_type_name(ftype: int) -> str:
    """Short lower-case name of a TSK file-system type code."""
    return _FS_NAMES.get(int(ftype), f"tsk-0x{int(ftype):x}")


def open_fs(img: TskImage, offset: int) -> pytsk3.FS_Info:
    """The file system at byte ``offset``, opened once per image and offset.

    Opening is costly (NTFS reads $MFT, $UpCase...), so handles are cached on the image;
    TSK allows one ``FS_Info`` to be shared by threads. Raises ``OSError`` (from TSK) when
    there is no recognisable file system; failures are not cached.
    """
    return img.cached(("fs", offset), lambda: pytsk3.FS_Info(img, offset=offset))



def open_volume_fs(img: TskImage, volume: Volume) -> pytsk3.FS_Info:
    """:func:`open_fs` of a listed volume; its failure is a :class:`FileSystemError` that
    names the volume and says where to look."""
    try:
        return open_fs(img, volume.start_offset)
    except OSError as exc:
        raise FileSystemError(
            f"cannot open the file system of volume {volume.index} at byte "
            f"{volume.start_offset}: {exc}; check the partition table (list_volumes)"
        ) from exc

def list_partition_table(
    img: TskImage, problems: list[Problem] | None = None
) -> list[PartitionRow]:
    """All rows of the volume system (allocated, unallocated, meta), or ``[]`` if none."""
    try:
        vs = pytsk3.Volume_Info(img)
    except OSError as exc:
        direct = _rows_from_mbr(img)
        if problems is not None:
            problems.append(Notice("partition table", (
                "The Sleuth Kit refused the DOS partition table because a partition lies "
                "past the end of the image (the image is truncated); the partitions were "
                "read from the MBR directly")) if direct else
                Problem("partition table", f"no readable partition table: {exc}"))
        return direct
    sector_size = int(vs.info.block_size) or 512
    rows: list[PartitionRow] = []
    for part in vs:
        flags = int(part.flags)
        if flags & _META:
            kind = "meta"
        elif flags & _ALLOC:
            kind = "allocated"
        else:
            kind = "unallocated"
        raw = part.desc
        desc = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        rows.append(
            PartitionRow(
                index=int(part.addr),
                start_sector=int(part.start),
                length_sectors=int(part.len),
                sector_size=sector_size,
                description=desc,
                kind=kind,
            )
        )
    return rows


def _rows_from_mbr(img: TskImage) -> list[PartitionRow]:
    """The DOS table read directly (see :mod:`lccu.fs.partitions`), numbered like mmls.

    Only for what a truncated image looks like: sane entries (none overlapping, none on the
    MBR itself), at least one starting inside the image and one running past its end;
    anything else is ``[]`` (a corrupt table stays an error)."""
    found = read_dos_partitions(img)
    size = img.get_size()
    overlap = any(a.start + a.length > b.start for a, b in pairwise(found))
    if (overlap or any(p.start < 1 for p in found)  # a corrupt table, not a truncated image
            or not any(p.start * SECTOR < size for p in found)
            or not any((p.start + p.length) * SECTOR > size for p in found)):
        return []
    rows = [PartitionRow(0, 0, 1, SECTOR, "Primary Table (#0)", "meta")]
    cursor = 0
    for part in found:
        if part.start > cursor:
            rows.append(PartitionRow(len(rows), cursor, part.start - cursor, SECTOR,
                                     "Unallocated", "unallocated"))  # fmt: skip
        rows.append(PartitionRow(len(rows), part.start, part.length, SECTOR, part.description,
                                 "allocated"))  # fmt: skip
        cursor = max(cursor, part.start + part.length)
    return rows


def list_volumes(img: TskImage, problems: list[Problem] | None = None,
                 encrypted: list[Volume] | None = None) -> list[Volume]:  # fmt: skip
    """File systems in ``img``: one per allocated partition with a file system, else offset 0.

    A partition that runs past the end of the image (a truncated acquisition) is opened as
    far as the image goes, marked ``truncated`` and named in a :class:`Notice`; one that
    starts past the end is a Notice too. An encrypted volume (BitLocker, LUKS, or a
    partition TSK cannot open whose bytes look random: :mod:`lccu.fs.encryption`) is not
    returned: it goes to ``encrypted`` (if given) with its ``encryption`` set, and a Notice
    names it. Other partitions holding no file system TSK recognises are recorded in
    ``problems`` (if given) and skipped.
    """
    found = problems if problems is not None else []
    locked = encrypted if encrypted is not None else []

    def lock(index: int, start: int, length: int, description: str, how: Encryption,
             where: str, truncated: bool = False) -> None:
        found.append(Notice(f"volume {index}", how.warning(where)))
        locked.append(Volume(index, start, length, description, None, truncated=truncated,
                             encryption=how.scheme))  # fmt: skip

    table_problems: list[Problem] = []
    rows = list_partition_table(img, table_problems)
    found.extend(p for p in table_problems if isinstance(p, Notice))
    volumes: list[Volume] = []
    size = img.get_size()
    for row in rows:
        if row.kind != "allocated":
            continue
        where = f"partition {row.index} ({row.description}) at byte {row.start_offset}"
        if row.start_offset >= size:
            found.append(Notice(where, f"starts beyond the end of the image ({size} bytes): "
                                "the image is truncated; this volume was not analysed"))
            continue
        truncated = row.start_offset + row.length > size
        how = signature(img.read(row.start_offset, SECTOR))
        if how is not None:
            lock(row.index, row.start_offset, row.length, row.description, how, where, truncated)
            continue
        try:
            fs = open_fs(img, row.start_offset)
        except OSError as exc:
            how = looks_random(img.read, row.start_offset,
                               min(row.length, size - row.start_offset))  # fmt: skip
            if how is not None:
                lock(row.index, row.start_offset, row.length, row.description, how, where,
                     truncated)  # fmt: skip
                continue
            found.append(Problem(where, f"no recognised file system: {_first_line(exc)}"))
            continue
        if truncated:
            found.append(Notice(where, (
                f"runs past the end of the image: {size - row.start_offset} of its "
                f"{row.length} bytes are in the image (truncated acquisition); opened as far "
                "as the image goes, files beyond it are missing or unreadable")))
        volumes.append(
            Volume(row.index, row.start_offset, row.length, row.description,
                   fs_type_name(fs.info.ftype), truncated=truncated)
        )
    if volumes or locked:
        return volumes
    how = signature(img.read(0, SECTOR)) if not rows else None
    if how is not None:  # a bare encrypted volume (only by signature: a random image without
        # a partition table stays "no file system", it may be anything)
        lock(0, 0, size, "volume at offset 0", how, "the whole image")
        return []
    try:
        fs = open_fs(img, 0)
    except OSError as exc:
        if not rows:
            found.extend(table_problems)
            found.append(
                Problem("image", f"no file system at offset 0: {_first_line(exc)}")
            )
        return []
    length = int(fs.info.block_count) * int(fs.info.block_size)
    return [Volume(0, 0, min(length, size) or size, "file system at offset 0",
                   fs_type_name(fs.info.ftype))]


def _first_line(exc: BaseException) -> str:
    """TSK error texts span lines; keep the first, which names the cause."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
