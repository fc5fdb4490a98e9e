"""Fixtures for the store contract suite: every test runs on the local and the S3 store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from lccu.config import Settings, load_settings
from lccu.storage import EvidenceStore, open_store


@pytest.fixture(params=["local", "s3"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which implementation a contract test runs against."""
    if request.param == "s3":
        request.applymarker(pytest.mark.s3)
    return str(request.param)


@pytest.fixture
def store_settings(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for a fresh store of the requested kind (a new bucket on S3)."""
    if store_kind == "s3":
        return request.getfixturevalue("s3_settings")
    base = load_settings({"LCCU_HOME": str(tmp_path / "home")})
    return dataclasses.replace(base, evidence_dir=tmp_path / "evidence")


@pytest.fixture
def store(store_settings: Settings) -> Iterator[EvidenceStore]:
    """An evidence store opened through :func:`lccu.storage.open_store`."""
    opened = open_store(store_settings)
    yield opened
    opened.close()

