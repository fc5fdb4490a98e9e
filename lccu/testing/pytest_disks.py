"""Disk images for tests (FAT and ext4 with a deleted EICAR file, the planted MBR disk),
built with the Debian tools a user would use."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lccu.testing.encrypted import EncryptedDisk, build_encrypted_disk
from lccu.testing.formats import BuiltContainers, build_containers
from lccu.testing.images import PlantedManifest, build_mbr_fat32_ext4
from lccu.testing.time_images import (
    ExfatImage,
    FatTimesImage,
    NtfsStompImage,
    build_exfat_offsets,
    build_fat_local_times,
    build_ntfs_timestomped,
)

# The EICAR test string, assembled so that this source file itself is not flagged.
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-" + b"TEST-FILE!$H+H*")


def run(*args: str) -> None:
    assert shutil.which(args[0]), f"{args[0]} is needed (scripts/install.sh installs it)"
    subprocess.run(list(args), check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def planted_disk(tmp_path_factory: pytest.TempPathFactory) -> PlantedManifest:
    """The MBR disk with FAT32 and ext4 partitions, deleted files and unpartitioned files."""
    return build_mbr_fat32_ext4(tmp_path_factory.mktemp("disk") / "disk.img")


@pytest.fixture(scope="session")
def encrypted_disk(tmp_path_factory: pytest.TempPathFactory) -> EncryptedDisk:
    """An MBR disk with a FAT volume, a BitLocker, a LUKS2 and a random-bytes volume."""
    return build_encrypted_disk(tmp_path_factory.mktemp("encrypted") / "disk.img")


@pytest.fixture(scope="session")
def media_containers(planted_disk: PlantedManifest,
                     tmp_path_factory: pytest.TempPathFactory) -> BuiltContainers:  # fmt: skip
    """The planted MBR disk in every container format (split, E01, VMDK, VHD, VHDX, QCOW2)."""
    return build_containers(planted_disk.image, tmp_path_factory.mktemp("containers"))


@pytest.fixture(scope="session")
def fat_local_times(tmp_path_factory: pytest.TempPathFactory) -> FatTimesImage:
    """FAT16 written by mtools at known Europe/Brussels wall clocks (winter, summer)."""
    return build_fat_local_times(tmp_path_factory.mktemp("fat-times") / "fat.img")


@pytest.fixture(scope="session")
def ntfs_timestomped(tmp_path_factory: pytest.TempPathFactory) -> NtfsStompImage:
    """NTFS with one file whose $STANDARD_INFORMATION times were set back to 2010."""
    return build_ntfs_timestomped(tmp_path_factory.mktemp("ntfs-stomp") / "ntfs.img")


@pytest.fixture(scope="session")
def exfat_offsets(tmp_path_factory: pytest.TempPathFactory) -> ExfatImage:
    """exFAT with the same wall clock stored with and without a UTC offset."""
    return build_exfat_offsets(tmp_path_factory.mktemp("exfat") / "exfat.img")


@pytest.fixture
def fat_with_deleted_eicar(tmp_path: Path) -> Path:
    """A bare FAT file system holding a kept file and a deleted file with the EICAR string."""
    image = tmp_path / "fat.img"
    run("mkfs.vfat", "-C", str(image), "4096")
    payload = tmp_path / "evil.txt"
    payload.write_bytes(b"note before\n" + EICAR + b"\nnote after\n" + b"x" * 3000)
    keep = tmp_path / "keep.txt"
    keep.write_bytes(b"nothing to see\n" * 100)
    run("mcopy", "-i", str(image), str(keep), "::/keep.txt")
    run("mcopy", "-i", str(image), str(payload), "::/evil.txt")
    run("mdel", "-i", str(image), "::/evil.txt")
    return image


@pytest.fixture
def ext4_with_deleted_eicar(tmp_path: Path) -> Path:
    """A bare ext4 file system whose deleted /evil.txt holds the EICAR string."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "evil.txt").write_bytes(b"a" * 5000 + EICAR + b"b" * 100)
    (tree / "keep.txt").write_bytes(b"nothing to see\n" * 100)
    image = tmp_path / "ext4.img"
    run("mkfs.ext4", "-q", "-F", "-d", str(tree), str(image), "4M")
    run("debugfs", "-w", "-R", "rm /evil.txt", str(image))
    return image
