"""The archive sets, built once per session with independent tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from lccu.testing.archives import BuiltArchive, build_archive_set, build_hostile_set


@pytest.fixture(scope="session")
def archive_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[BuiltArchive]]:
    folder = tmp_path_factory.mktemp("archives")
    return folder, build_archive_set(folder)


@pytest.fixture(scope="session")
def hostile_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[BuiltArchive]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, build_hostile_set(folder)
