"""Idle session timeout and client addresses behind trusted reverse proxies."""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.config import Settings, load_settings
from lccu.errors import ConfigError
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.lab import Lab
from lccu.web.config import load_web_config
from lccu.web.models import WebSession
from tests.web.helpers import PASSWORD, login, login_csrf

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PROXY = "10.0.0.5"
CLIENT = "198.51.100.7"


def set_last_seen(app: FastAPI, minutes_ago: float) -> str:
    stamp = format_time(utc_now() - timedelta(minutes=minutes_ago))
    with app.state.web.db.session() as session:
        for row in session.query(WebSession).filter(WebSession.revoked_at.is_(None)):
            row.last_seen_at = stamp
    return stamp


def open_sessions(app: FastAPI) -> list[WebSession]:
    with app.state.web.db.session() as session:
        return list(session.query(WebSession).filter(WebSession.revoked_at.is_(None)))


# -- idle timeout --------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_idle_session_is_refused_and_revoked(
    app: FastAPI, client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """A session unused for more than 30 minutes gets 401 from the API and the login page
    for pages; the row is revoked (a later request cannot revive it) and the DPO sees why.
    Runs on PostgreSQL too: migration 0004 adds the column there."""
    login(client, "vlas_inv")
    assert client.get("/api/v1/cases").status_code == 200
    set_last_seen(app, 29)
    assert client.get("/api/v1/cases").status_code == 200  # within the limit
    set_last_seen(app, 31)
    assert client.get("/api/v1/cases").status_code == 401
    page = client.get("/cases", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert open_sessions(app) == []
    set_last_seen(app, 0)  # touches only open rows: the revoked one stays revoked
    assert client.get("/api/v1/cases").status_code == 401
    ends = [
        e
        for e in make_lab("dpo").audit_log()
        if e.operation == "logout" and e.username == "vlas_inv"
    ]
    assert ends and json.loads(ends[-1].detail or "{}")["why"] == "idle timeout"


@sqlite_only
def test_last_seen_is_written_at_most_once_a_minute(app: FastAPI, client: TestClient) -> None:
    """Use refreshes last-seen only when it is over a minute old, and that refresh keeps an
    active session alive past 30 minutes from login."""
    login(client, "vlas_inv")
    recent = set_last_seen(app, 0.5)
    client.get("/api/v1/cases")
    assert [r.last_seen_at for r in open_sessions(app)] == [recent]  # no write
    old = set_last_seen(app, 20)
    client.get("/api/v1/cases")
    [row] = open_sessions(app)
    assert row.last_seen_at is not None and row.last_seen_at > old
    assert row.last_seen_at > format_time(utc_now() - timedelta(seconds=30))
    with app.state.web.db.session() as session:  # logged in long ago, but used just now
        session.get(WebSession, row.id_hash).created_at = format_time(
            utc_now() - timedelta(hours=2)
        )
    assert client.get("/api/v1/cases").status_code == 200


@sqlite_only
def test_tiny_idle_timeout_from_config(make_app: Callable[..., FastAPI]) -> None:
    """With idle_minutes = 0.02 (1.2 s) a session is live at once and refused after 2 s."""
    app = make_app(idle_minutes=0.02)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "vlas_inv")
        assert client.get("/api/v1/cases").status_code == 200
        time.sleep(2)
        assert client.get("/api/v1/cases").status_code == 401


@sqlite_only
def test_web_config_from_environment(lab_settings: Settings) -> None:
    """LCCU_WEB_IDLE_MINUTES and LCCU_WEB_TRUSTED_PROXIES are read, with clear errors."""
    base = {"LCCU_HOME": str(lab_settings.home), "LCCU_WEB_SECRET": "s" * 40}
    config = load_web_config(load_settings(base))
    assert config.idle_minutes == 30 and config.trusted_proxies == ()
    config = load_web_config(
        load_settings(
            {
                **base,
                "LCCU_WEB_IDLE_MINUTES": "5",
                "LCCU_WEB_TRUSTED_PROXIES": " 10.0.0.5, 192.168.1.0/24,,2001:db8::/32 ",
            }
        )
    )
    assert config.idle_minutes == 5
    assert config.trusted_proxies == (
        ipaddress.ip_network("10.0.0.5/32"),
        ipaddress.ip_network("192.168.1.0/24"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    for name, value in [
        ("LCCU_WEB_IDLE_MINUTES", "0"),
        ("LCCU_WEB_IDLE_MINUTES", "soon"),
        ("LCCU_WEB_TRUSTED_PROXIES", "10.0.0.5, proxy.local"),
    ]:
        with pytest.raises(ConfigError, match=name):
            load_settings({**base, name: value})


# -- trusted proxies -----------------------------------------------------------------------


def login_ips(make_lab: Callable[..., Lab], username: str) -> list[str]:
    return [
        json.loads(e.detail)["ip"]
        for e in make_lab("dpo").audit_log()
        if e.operation == "login" and e.username == username and e.detail
    ]


def fail_login(client: TestClient, username: str, forwarded: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        "/login",
        headers=headers,
        follow_redirects=False,
        data={"username": username, "password": "wrong", "csrf": login_csrf(client)},
    ).status_code


@sqlite_only
def test_spoofed_forwarded_for_from_untrusted_peer_is_ignored(
    make_app: Callable[..., FastAPI], make_lab: Callable[..., Lab]
) -> None:
    """A peer that is not a trusted proxy cannot pick its address with X-Forwarded-For: the
    audit log has the peer's address and a new header per attempt does not escape the
    rate limit."""
    app = make_app(trusted_proxies=(ipaddress.ip_network(PROXY),))
    with TestClient(app, base_url="http://127.0.0.1", client=("203.0.113.9", 4000)) as client:
        for attempt in range(5):
            assert fail_login(client, "polder_inv", f"192.0.2.{attempt}") == 401
        assert fail_login(client, "polder_inv", "192.0.2.99") == 429
    assert set(login_ips(make_lab, "polder_inv")) == {"203.0.113.9"}


@sqlite_only
def test_trusted_proxy_forwarded_for_is_honoured(
    make_app: Callable[..., FastAPI], make_lab: Callable[..., Lab]
) -> None:
    """Through a trusted proxy the client is the right-most address that is not a proxy:
    the limiter blocks that client only, and the audit log and session row name it."""
    app = make_app(trusted_proxies=(ipaddress.ip_network("10.0.0.0/24"),))
    with TestClient(app, base_url="http://127.0.0.1", client=(PROXY, 4000)) as proxy:
        for _ in range(5):  # what the client wrote itself (left of its own address) is ignored
            assert fail_login(proxy, "polder_inv", f"1.2.3.4, {CLIENT}, 10.0.0.9") == 401
        assert fail_login(proxy, "polder_inv", CLIENT) == 429
        # another client behind the same proxy still logs in as the same user
        answer = proxy.post(
            "/login",
            headers={"X-Forwarded-For": "198.51.100.8"},
            follow_redirects=False,
            data={"username": "polder_inv", "password": PASSWORD, "csrf": login_csrf(proxy)},
        )
        assert answer.status_code == 303
    ips = login_ips(make_lab, "polder_inv")
    assert ips[:6] == [CLIENT] * 6 and ips[-1] == "198.51.100.8"
    assert [row.client_ip for row in open_sessions(app)] == ["198.51.100.8"]


@sqlite_only
def test_forwarded_for_is_ignored_without_trusted_proxies(
    make_app: Callable[..., FastAPI], make_lab: Callable[..., Lab]
) -> None:
    """By default no proxy is trusted: even a private peer's header changes nothing."""
    app = make_app()
    with TestClient(app, base_url="http://127.0.0.1", client=(PROXY, 4000)) as client:
        assert fail_login(client, "polder_inv", CLIENT) == 401
    assert login_ips(make_lab, "polder_inv") == [PROXY]
