"""Fixtures for the file-system engine tests: corpus paths and one built test disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lccu.imaging.tsk import TskImage
from lccu.testing.images import PlantedManifest, build_mbr_fat32_ext4


@pytest.fixture(scope="session")
def built_disk(tmp_path_factory: pytest.TempPathFactory) -> PlantedManifest:
    """The MBR FAT32+ext4 disk with planted files, built once per test session."""
    return build_mbr_fat32_ext4(tmp_path_factory.mktemp("disk") / "disk.img")


@pytest.fixture()
def open_image() -> Iterator:
    """Open image files read-only as TskImage; closes them after the test."""
    handles = []

    def _open(path: Path) -> TskImage:
        handle = path.open("rb")
        handles.append(handle)
        return TskImage(handle, name=path.name)

    yield _open
    for handle in handles:
        handle.close()
