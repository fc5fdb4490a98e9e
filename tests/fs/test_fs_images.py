"""lccu.testing.images: the built MBR FAT32+ext4 disk and its manifest."""

from __future__ import annotations

import hashlib

import magic

from lccu.testing.images import build_mbr_fat32_ext4


def test_builder_is_deterministic_and_small(tmp_path, built_disk) -> None:
    """A second build gives the same planted hashes, and the disk stays under 64 MiB."""
    again = build_mbr_fat32_ext4(tmp_path / "again.img")
    assert [(f.name, f.sha256) for f in again.files] == [
        (f.name, f.sha256) for f in built_disk.files
    ]
    assert built_disk.image.stat().st_size == built_disk.size < 64 * 1024 * 1024


def test_raw_planted_files_sit_at_their_offsets_outside_partitions(built_disk) -> None:
    """Bytes at each raw_offset hash to the manifest SHA-256, past the last partition's end."""
    raw = built_disk.image.read_bytes()
    last_end = max(int(p["start_offset"]) + int(p["length"]) for p in built_disk.partitions)
    planted = [f for f in built_disk.files if f.raw_offset is not None]
    assert {f.name.rsplit(".", 1)[1] for f in planted} == {"jpg", "png"}
    for f in planted:
        data = raw[f.raw_offset : f.raw_offset + f.size]
        assert hashlib.sha256(data).hexdigest() == f.sha256
        assert f.raw_offset >= last_end
        expected = "image/jpeg" if f.name.endswith(".jpg") else "image/png"
        assert magic.Magic(mime=True).from_buffer(data) == expected


def test_manifest_has_deleted_files_on_each_partition(built_disk) -> None:
    """Each partition holds at least one deleted and one live planted file."""
    for part in built_disk.partitions:
        files = [f for f in built_disk.files if f.partition_offset == part["start_offset"]]
        assert {f.deleted for f in files} == {True, False}
