"""Pytest fixtures for a throw-away case database: SQLite, and PostgreSQL in its own schema.

``database_url`` is parametrised over both engines, so every test that uses it runs twice.
PostgreSQL comes from ``LCCU_TEST_DATABASE_URL`` (default: the server on this machine); when
it cannot be reached the test fails rather than skips, because server mode must stay tested.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from lccu.config import Settings, load_settings
from lccu.testing.keys import KEY_ENV

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ZONES = ("PZ Vlas", "PZ Westkust", "PZ Polder", "PZ RIHO")


def _pg_base() -> str:
    return os.environ.get("LCCU_TEST_DATABASE_URL", DEFAULT_PG)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lccu.sqlite3'}"
        return
    from lccu.testing.postgres import temporary_schema

    base = _pg_base()
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_schema(base, "lccu_test"))
        except Exception as exc:  # the server is part of what we test: fail, never skip
            pytest.fail(
                f"PostgreSQL at {base} is not reachable ({exc}); start it or set "
                "LCCU_TEST_DATABASE_URL"
            )
        yield url


def unit_settings(home: Path, database_url: str) -> Settings:
    """Embedded settings (local evidence store in ``home``) on ``database_url``."""
    env = {"LCCU_HOME": str(home), "LCCU_DATABASE_URL": database_url, **KEY_ENV}
    return dataclasses.replace(load_settings(env))


@contextmanager
def unit_labs(settings: Settings) -> Iterator[Callable[..., Any]]:
    """``make(user)`` opens a Lab as that user on ``settings``, the unit bootstrapped as
    :func:`make_lab` says; every Lab opened is closed at the end."""
    from lccu.evidence.lab import Lab, open_lab

    opened: list[Lab] = []

    def make(user: str | None = None) -> Lab:
        lab = open_lab(user, settings=settings)
        opened.append(lab)
        return lab

    try:
        boot = make()
        for zone in ZONES:
            boot.add_zone(zone)
        boot.add_user("admin", "PZ Vlas", "admin")
        admin = make("admin")
        admin.add_user("op", "PZ Vlas", "operator")
        admin.add_user("vlas_inv", "PZ Vlas", "investigator")
        admin.add_user("polder_inv", "PZ Polder", "investigator")
        admin.add_user("polder_an", "PZ Polder", "analyst")
        admin.add_user("dpo", "PZ RIHO", "dpo")
        yield make
    finally:
        for lab in opened:
            lab.close()


@pytest.fixture
def lab_settings(tmp_path: Path, database_url: str) -> Settings:
    """Embedded settings (local evidence store) on the parametrised database."""
    return unit_settings(tmp_path / "home", database_url)


@pytest.fixture
def make_lab(lab_settings: Settings) -> Iterator[Callable[..., object]]:
    """``make_lab(user)`` opens a Lab as that user; the unit is bootstrapped with four zones,
    a unit admin ``admin``, an operator ``op`` (PZ Vlas), investigators
    ``vlas_inv``/``polder_inv``, an analyst ``polder_an`` and a data protection officer
    ``dpo`` (PZ RIHO)."""
    with unit_labs(lab_settings) as make:
        yield make
