"""Encrypted volumes are named, not analysed and not mistaken for broken file systems."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lccu.fs import Notice, Problem, Volume, list_volumes
from lccu.imaging import open_image
from lccu.imaging.tsk import TskImage
from lccu.testing.encrypted import EncryptedDisk, luks_volume


def volumes_of(image: Path) -> tuple[list[Volume], list[Volume], list[Problem]]:
    problems: list[Problem] = []
    encrypted: list[Volume] = []
    with open_image(image) as stream:
        tsk = TskImage(stream, stream.size)
        found = list_volumes(tsk, problems, encrypted)
        tsk.clear_cache()
    return found, encrypted, problems


def test_encrypted_partitions_are_named(encrypted_disk: EncryptedDisk) -> None:
    """BitLocker (signature), LUKS2 (cryptsetup luksFormat, which luksDump confirms) and a
    random-bytes partition are set apart with their scheme and a warning each; the FAT
    volume beside them is analysed as usual; no "no file system" error remains."""
    found, encrypted, problems = volumes_of(encrypted_disk.image)
    assert [(v.index, v.start_offset, v.fs_type) for v in found] == [
        (2, encrypted_disk.volumes[2][0], "fat16")
    ]
    assert [(v.index, v.start_offset, v.length, v.encryption, v.fs_type) for v in encrypted] == [
        (index, start, length, what, None)
        for index, (start, length, what) in encrypted_disk.volumes.items()
        if index != 2
    ]
    assert all(isinstance(p, Notice) for p in problems), problems
    messages = {p.where: p.message for p in problems}
    assert messages["volume 3"].startswith("BitLocker-encrypted, not analysed")
    assert messages["volume 4"].startswith("LUKS2-encrypted, not analysed")
    assert messages["volume 5"].startswith("looks encrypted (")


def test_bare_luks_volume_and_random_image(tmp_path: Path) -> None:
    """A LUKS volume without a partition table is named by its header (cryptsetup agrees);
    random bytes without a partition table stay "no file system" (they may be anything)."""
    luks = tmp_path / "luks.img"
    luks_volume(luks, 2 * 1024 * 1024)
    dump = subprocess.run(
        ["cryptsetup", "luksDump", str(luks)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "Version:       \t2" in dump
    found, encrypted, problems = volumes_of(luks)
    assert found == [] and [(v.index, v.encryption) for v in encrypted] == [(0, "LUKS2")]
    assert [p.where for p in problems] == ["volume 0"]
    noise = tmp_path / "noise.img"
    noise.write_bytes(os.urandom(1024 * 1024))
    found, encrypted, problems = volumes_of(noise)
    assert found == [] and encrypted == []
    assert any("no file system" in p.message and not isinstance(p, Notice) for p in problems)
