"""Pytest fixtures for a throw-away case database: SQLite, and PostgreSQL in its own schema.

``database_url`` is parametrised over both engines, so every test that uses it runs twice.
PostgreSQL comes from ``LCCU_TEST_DATABASE_URL`` (default: the server on this machine); when
it cannot be reached the test fails rather than skips, because server mode must stay tested.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import shutil
import tempfile
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


def _bootstrap(make: Callable[..., Any]) -> None:
    """The unit of :func:`make_lab`: four zones, the unit admin and the test users."""
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


#: bootstrapped SQLite units of this test process, by :func:`_template_key`: the database
#: and LCCU_HOME a fresh unit gets, made once and copied for each test (the migrations and
#: the users' key files were most of a short test's set-up)
_TEMPLATES: dict[str, Path] = {}
_DB_FILES = ("lccu.sqlite3", "lccu.sqlite3-wal", "lccu.sqlite3-shm")


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url.removeprefix(prefix)) if url.startswith(prefix) and "?" not in url else None


def _template_key(settings: Settings) -> str | None:
    """What a bootstrapped unit on ``settings`` depends on (every setting but its folders),
    or None when a copy would not be that unit: a server database or store, folders outside
    LCCU_HOME, a home or database that already holds something."""
    home, db = settings.home, _sqlite_file(settings.database_url)
    if (
        db is None
        or db.exists()
        or settings.s3_endpoint
        or settings.unit_public_key
        or (home.exists() and any(home.iterdir()))
        or (settings.key_dir, settings.anchor_dir, settings.evidence_dir)
        != (home / "keys", home / "anchors", home / "evidence")
    ):
        return None
    folders = dataclasses.replace(
        settings,
        home=Path("HOME"),
        database_url="DB",
        key_dir=Path("HOME/keys"),
        anchor_dir=Path("HOME/anchors"),
        evidence_dir=Path("HOME/evidence"),
    )
    return repr(folders)


def _template(key: str, settings: Settings) -> Path:
    """The folder holding ``home/`` and the database of the unit bootstrapped on
    ``settings`` moved into a folder of its own; made on first use."""
    if key not in _TEMPLATES:
        from lccu.evidence.lab import open_lab

        folder = Path(tempfile.mkdtemp(prefix="lccu-unit-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        own = dataclasses.replace(
            settings,
            home=folder / "home",
            database_url=f"sqlite:///{folder / _DB_FILES[0]}",
            key_dir=folder / "home" / "keys",
            anchor_dir=folder / "home" / "anchors",
            evidence_dir=folder / "home" / "evidence",
        )
        opened: list[Any] = []

        def make(user: str | None = None) -> Any:
            opened.append(open_lab(user, settings=own))
            return opened[-1]

        try:
            _bootstrap(make)
        finally:
            for lab in opened:
                lab.close()
        _TEMPLATES[key] = folder
    return _TEMPLATES[key]


@contextmanager
def unit_labs(settings: Settings) -> Iterator[Callable[..., Any]]:
    """``make(user)`` opens a Lab as that user on ``settings``, the unit bootstrapped as
    :func:`make_lab` says; every Lab opened is closed at the end. On a fresh SQLite unit the
    bootstrapped database and LCCU_HOME are a copy of one made earlier in this process on
    the same settings (the same rows and key files as bootstrapping again would give)."""
    from lccu.evidence.lab import Lab, open_lab

    opened: list[Lab] = []

    def make(user: str | None = None) -> Lab:
        lab = open_lab(user, settings=settings)
        opened.append(lab)
        return lab

    try:
        key = _template_key(settings)
        if key is None:
            _bootstrap(make)
        else:
            template, db = _template(key, settings), _sqlite_file(settings.database_url)
            assert db is not None
            shutil.copytree(template / "home", settings.home, dirs_exist_ok=True)
            for name in _DB_FILES:
                if (template / name).exists():
                    shutil.copyfile(template / name, db.with_name(db.name + name[12:]))
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
