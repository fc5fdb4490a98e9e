"""Fixtures for carving tests: seeded planted images and an exact-recovery checker."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import pytest

from lccu.carve import CarvedFile, carve

CarveFn = Callable[..., list[CarvedFile]]


@pytest.fixture
def rng() -> random.Random:
    """A fixed-seed generator so every run builds the same images."""
    return random.Random(20240611)


@pytest.fixture
def carve_bytes() -> CarveFn:
    """Carve an in-memory image and return the records as a list."""

    def run(image: bytes, **kwargs: object) -> list[CarvedFile]:
        return list(carve(io.BytesIO(image), len(image), **kwargs))

    return run

