"""Volumes of an image: partition-table rows (like ``mmls``) and the file systems in them.

A disk with a DOS/GPT/... partition table gives one :class:`Volume` per allocated
partition holding a recognised file system; a bare file system gives one volume at
offset 0. Anything TSK cannot read (no table, broken table, partition without a file
system) becomes a :class:`~lccu.fs.problems.Problem`, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytsk3

from lccu.fs.problems import Problem
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
    fs_type: str


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


def list_partition_table(
    img: TskImage, problems: list[Problem] | None = None
) -> list[PartitionRow]:
    """All rows of the volume system (allocated, unallocated, meta), or ``[]`` if none."""
    try:
        vs = pytsk3.Volume_Info(img)
    except OSError as exc:
        if problems is not None:
            problems.append(Problem("partition table", f"no readable partition table: {exc}"))
        return []
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


def list_volumes(img: TskImage, problems: list[Problem] | None = None) -> list[Volume]:
    """File systems in ``img``: one per allocated partition with a file system, else offset 0.

    Partitions that extend past the end of the image, or that hold no file system TSK
    recognises, are recorded in ``problems`` (if given) and skipped.
    """
    found = problems if problems is not None else []
    table_problems: list[Problem] = []
    rows = list_partition_table(img, table_problems)
    volumes: list[Volume] = []
    size = img.get_size()
    for row in rows:
        if row.kind != "allocated":
            continue
        where = f"partition {row.index} ({row.description}) at byte {row.start_offset}"
        if row.start_offset >= size:
            found.append(Problem(where, f"starts beyond the end of the image ({size} bytes)"))
            continue
        if row.start_offset + row.length > size:
            found.append(Problem(where, f"extends beyond the end of the image ({size} bytes)"))
        try:
            fs = open_fs(img, row.start_offset)
        except OSError as exc:
            found.append(Problem(where, f"no recognised file system: {_first_line(exc)}"))
            continue
        volumes.append(
            Volume(row.index, row.start_offset, row.length, row.description,
                   fs_type_name(fs.info.ftype))
        )
    if volumes:
        return volumes
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
