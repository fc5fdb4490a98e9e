"""lccu.fs.volumes against mmls and fsstat."""

from __future__ import annotations

import subprocess

import pytest
from tsk_oracle import mmls, need

from lccu.fs import list_partition_table, list_volumes
from lccu.testing.corpus import corpus_file

BARE = [("pytsk", "image.raw"), ("dfvfs", "ext2.raw"), ("dfvfs", "hfsplus.raw"),
        ("dfvfs", "iso9660.raw"), ("sleuthkit", "image.dd")]

TSK_SHORT_NAMES = {"hfs": "hfs+", "hfsp": "hfs+"}  # fsstat -t names that differ from ours


def _fsstat_type(path, offset_sectors: int = 0) -> str:
    args = [need("fsstat"), "-t"]
    if offset_sectors:
        args += ["-o", str(offset_sectors)]
    out = subprocess.run([*args, str(path)], capture_output=True, check=True, timeout=60)
    name = out.stdout.decode().strip()
    return TSK_SHORT_NAMES.get(name, name)


def test_partition_table_matches_mmls_with_extended_partition(open_image) -> None:
    """Every mmls row of the 7-row extended-partition MBR comes back with the same numbers."""
    path = corpus_file("pytsk", "tsk_volume_system.raw")
    rows = list_partition_table(open_image(path))
    ours = [(r.index, r.start_sector, r.length_sectors, r.description) for r in rows]
    assert ours == mmls(path)


def test_partition_volumes_and_problem_for_partition_without_fs(open_image) -> None:
    """Only the ext2 partition at sector 352 is a volume; the FS-less one is a recorded problem."""
    path = corpus_file("pytsk", "tsk_volume_system.raw")
    problems: list = []
    volumes = list_volumes(open_image(path), problems)
    assert [(v.start_offset, v.fs_type) for v in volumes] == [
        (352 * 512, _fsstat_type(path, 352))
    ]
    assert any("byte 512" in p.where and "file system" in p.message for p in problems)


@pytest.mark.parametrize("parts", BARE, ids=lambda p: "/".join(p))
def test_bare_file_system_is_one_volume_at_offset_zero(open_image, parts) -> None:
    """An image without a partition table gives one volume at 0 with fsstat's type."""
    path = corpus_file(*parts)
    problems: list = []
    volumes = list_volumes(open_image(path), problems)
    assert [(v.index, v.start_offset, v.fs_type) for v in volumes] == [
        (0, 0, _fsstat_type(path))
    ]
    assert problems == []


def test_built_disk_table_matches_mmls_and_manifest(open_image, built_disk) -> None:
    """The built disk's rows equal mmls, and its volumes sit where the manifest says."""
    img = open_image(built_disk.image)
    rows = list_partition_table(img)
    assert [(r.index, r.start_sector, r.length_sectors, r.description) for r in rows] == mmls(
        built_disk.image
    )
    volumes = list_volumes(img)
    assert [(v.start_offset, v.length, v.fs_type) for v in volumes] == [
        (p["start_offset"], p["length"], _fsstat_type(built_disk.image, p["start_offset"] // 512))
        for p in built_disk.partitions
    ]
    tail = [r for r in rows if r.kind == "unallocated" and r.start_offset > 0]
    assert tail and tail[-1].start_offset + tail[-1].length == built_disk.size
