"""Setup paths: the migration on both engines, the password CLI, cookie security defaults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from lccu.config import Settings
from lccu.evidence.lab import Lab
from lccu.testing.keys import KEY_ENV
from lccu.web.auth import check_password
from lccu.web.config import load_web_config
from tests.web.helpers import PASSWORD, login


def test_web_tables_and_login_on_both_engines(client: TestClient) -> None:
    """Migration 0003 creates the web tables on SQLite and PostgreSQL: login and a case work."""
    csrf = login(client, "vlas_inv")
    made = client.post("/api/v1/cases", json={"title": "engine check"},
                       headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    assert [c["title"] for c in client.get("/api/v1/cases").json()["cases"]] == ["engine check"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_password_cli_sets_a_working_password(make_lab: Callable[..., Lab],
                                              lab_settings: Settings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`lccu --as op user password vlas_inv` asks twice and stores a password that logs in."""
    from lccu.cli.main import cli

    make_lab("op")
    monkeypatch.setenv("LCCU_HOME", str(lab_settings.home))
    monkeypatch.setenv("LCCU_DATABASE_URL", lab_settings.database_url)
    for name, value in KEY_ENV.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    new = "a brand new long password"
    mismatch = runner.invoke(cli, ["--as", "op", "user", "password", "vlas_inv"],
                             input=f"{new}\nsomething else\n{new}\n{new}\n")
    assert mismatch.exit_code == 0, mismatch.output
    assert "match" in mismatch.output.lower()  # the first, mismatching repetition was refused
    db = make_lab("op").db
    assert check_password(db, "vlas_inv", new) is not None
    assert check_password(db, "vlas_inv", PASSWORD) is None
    denied = runner.invoke(cli, ["--as", "vlas_inv", "user", "password", "op"],
                           input=f"{new}\n{new}\n")
    assert denied.exit_code == 1


def test_secure_cookie_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cookies are Secure except when serving on loopback, unless configured otherwise."""
    from lccu.config import load_settings

    settings = load_settings({"LCCU_HOME": str(tmp_path)})
    assert load_web_config(settings, host="0.0.0.0").secure_cookies
    assert not load_web_config(settings, host="127.0.0.1").secure_cookies
    forced = load_web_config(load_settings({"LCCU_HOME": str(tmp_path),
                                            "LCCU_WEB_SECURE_COOKIES": "true"}),
                             host="127.0.0.1")
    assert forced.secure_cookies
    key = load_web_config(settings).secret_key
    assert key == load_web_config(settings).secret_key  # kept in LCCU_HOME
    assert (tmp_path / "web" / "secret").stat().st_mode & 0o077 == 0


def test_serve_raises_uvicorns_body_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    """`lccu serve` lets uvicorn buffer 1 MiB of an upload chunk instead of 64 KiB (fewer
    event-loop round trips per byte, docs/benchmarks.md). This fails if a uvicorn release
    renames the limit, which would silently drop the tuning."""
    from uvicorn.protocols.http import httptools_impl

    from lccu.cli.serve import BODY_HIGH_WATER, larger_body_reads

    monkeypatch.setattr(httptools_impl, "HIGH_WATER_LIMIT", httptools_impl.HIGH_WATER_LIMIT)
    assert httptools_impl.HIGH_WATER_LIMIT == 64 * 1024
    larger_body_reads()
    assert httptools_impl.HIGH_WATER_LIMIT == BODY_HIGH_WATER == 1024 * 1024
