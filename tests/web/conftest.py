"""Fixtures for the web layer: a bootstrapped unit with passwords, the app and clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.config import Settings
from lccu.evidence.lab import Lab
from lccu.testing.browser import serve_in_thread
from lccu.testing.images import PlantedManifest
from lccu.testing.pytest_db import unit_labs, unit_settings
from lccu.web.app import create_app
from lccu.web.auth import set_password
from lccu.web.config import WebConfig
from tests.web.helpers import MAX_UPLOAD, PASSWORD, PlantedItem, login, web_keys

USERS = ("op", "vlas_inv", "polder_inv", "polder_an", "dpo")


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with its cheapest parameters: at the production cost (about 0.2 s a
    hash) setting five passwords per test spent over a minute of the suite. The production
    parameters are checked in test_auth.py."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        "lccu.web.auth._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def lab_settings(lab_settings: Settings) -> Settings:
    """Every user's key encrypted with their web password (:func:`web_keys`)."""
    return web_keys(lab_settings)


def give_passwords(make_lab: Callable[..., Any]) -> None:
    """Every user of the bootstrapped unit gets the password PASSWORD."""
    admin = make_lab("admin")
    for name in USERS:
        set_password(admin.db, admin.actor, name, PASSWORD)


@contextmanager
def module_unit(base: Path) -> Iterator[tuple[Callable[..., Any], Settings]]:
    """A unit as ``unit`` makes it, on SQLite in ``base``, for a module's shared fixture:
    ``make_lab`` and the settings; passwords hashed as cheaply as :func:`cheap_argon2` does
    while the block runs."""
    from argon2 import PasswordHasher

    settings = web_keys(unit_settings(base / "home", f"sqlite:///{base / 'lccu.sqlite3'}"))
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch, unit_labs(settings) as make_lab:
        patch.setattr("lccu.web.auth._hasher", cheap)
        give_passwords(make_lab)
        yield make_lab, settings


@dataclasses.dataclass
class SharedItem:
    """A module's unit (``make_lab``), its app and the planted disk processed through the
    web API, as :func:`processed_item` makes it."""

    make_lab: Callable[..., Any]
    app: FastAPI
    case_id: str
    item_id: str

    def logged_in(self, client: TestClient) -> PlantedItem:
        """The item with ``client`` (of :attr:`app`) logged in as vlas_inv."""
        csrf = {"X-CSRF-Token": login(client, "vlas_inv")}
        return PlantedItem(self.case_id, self.item_id, csrf, client, self.app)


@contextmanager
def module_processed_item(base: Path, planted_disk: PlantedManifest) -> Iterator[SharedItem]:
    """:func:`module_unit` with its app and the planted disk processed as
    :func:`processed_item` does it, for the tests of a module that only read the item."""
    with module_unit(base) as (make_lab, settings):
        app = create_app(settings, web_config())
        try:
            lab = make_lab("vlas_inv")
            case = lab.create_case("Planted disk")
            item = lab.add_evidence(case.id, planted_disk.image, description="test disk")
            shared = SharedItem(make_lab, app, case.id, item.id)
            with TestClient(app, base_url="http://127.0.0.1") as client:
                shared.logged_in(client).process()
            yield shared
        finally:
            app.state.web.db.dispose()


def shared_item_fixtures(folder: str) -> tuple[Any, Any, Any, Any]:
    """The fixtures ``shared``, ``make_lab``, ``app`` and ``processed_item`` of a module whose
    tests only read one processed item (``shared = ...`` at the module's top level): the
    item is built once for the module in the temporary folder ``folder``, because
    processing it was most of each test's time; ``processed_item`` is it with ``client``
    logged in as vlas_inv."""

    @pytest.fixture(scope="module")
    def shared(
        tmp_path_factory: pytest.TempPathFactory, planted_disk: PlantedManifest
    ) -> Iterator[SharedItem]:
        with module_processed_item(tmp_path_factory.mktemp(folder), planted_disk) as item:
            yield item

    @pytest.fixture
    def make_lab(shared: SharedItem) -> Callable[..., Any]:
        return shared.make_lab

    @pytest.fixture
    def app(shared: SharedItem) -> FastAPI:
        return shared.app

    @pytest.fixture
    def processed_item(shared: SharedItem, client: TestClient) -> PlantedItem:
        return shared.logged_in(client)

    return shared, make_lab, app, processed_item


def web_config(**changes: Any) -> WebConfig:
    """The tests' web settings (plain-HTTP cookies, MAX_UPLOAD, 128-byte upload chunks)
    with ``changes``."""
    config = WebConfig(
        secret_key="test-key-" + "x" * 40,
        secure_cookies=False,
        max_upload_bytes=MAX_UPLOAD,
        upload_chunk_bytes=128,
    )
    return dataclasses.replace(config, **changes)


@pytest.fixture
def unit(make_lab: Callable[..., object], lab_settings: Settings) -> Settings:
    """The bootstrapped unit of ``make_lab`` where every user has the password PASSWORD."""
    give_passwords(make_lab)
    return lab_settings


@pytest.fixture
def make_app(unit: Settings) -> Iterator[Callable[..., FastAPI]]:
    """``make_app(**changes)``: an app on the test unit, its web settings those of the tests
    (plain-HTTP cookies, MAX_UPLOAD, 128-byte upload chunks) with ``changes``; each app's
    database is closed when the test ends."""
    made: list[FastAPI] = []

    def make(**changes: Any) -> FastAPI:
        made.append(create_app(unit, web_config(**changes)))
        return made[-1]

    yield make
    for application in made:
        application.state.web.db.dispose()


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def new_client(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    """Extra independent browsers (own cookie jars) on the same app."""
    made: list[TestClient] = []

    def make() -> TestClient:
        made.append(TestClient(app, base_url="http://127.0.0.1"))
        return made[-1]

    yield make
    for test_client in made:
        test_client.close()


@pytest.fixture
def planted_item(
    client: TestClient, app: FastAPI, make_lab: Callable[..., Lab], planted_disk: PlantedManifest
) -> PlantedItem:
    """The planted disk as an unprocessed item of PZ Vlas; ``client`` is logged in as
    vlas_inv (call :meth:`PlantedItem.process` to process it)."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Planted disk")
    item = lab.add_evidence(case.id, planted_disk.image, description="test disk")
    return PlantedItem(case.id, item.id, {"X-CSRF-Token": login(client, "vlas_inv")}, client, app)


@pytest.fixture
def processed_item(planted_item: PlantedItem) -> PlantedItem:
    """:func:`planted_item`, processed through the web API (in-process, no zone set)."""
    planted_item.process()
    return planted_item


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a loopback port, for a real browser; its base URL."""
    with serve_in_thread(app) as base:
        yield base
