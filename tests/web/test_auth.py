"""Authentication: login, sessions, logout, API tokens, rate limit, CSRF."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.access import Actor
from lccu.evidence.lab import Lab
from tests.web.helpers import PASSWORD, login, login_csrf

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def audit_entries(make_lab: Callable[..., Lab]) -> list[object]:
    return list(make_lab("dpo").audit_log())


def test_unauthenticated_requests_are_refused(client: TestClient) -> None:
    """Without a session or token the API answers 401 and pages redirect to the login form."""
    assert client.get("/api/v1/cases").status_code == 401
    assert client.post("/api/v1/cases", json={"title": "x"}).status_code == 401
    page = client.get("/cases/LCCU-2026-00001", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")
    assert client.get("/audit", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_and_audited(client: TestClient,
                                               make_lab: Callable[..., Lab]) -> None:
    """A wrong password gives 401, no session cookie, and a refused login in the audit log."""
    answer = client.post("/login", data={"username": "vlas_inv", "password": "wrong",
                                         "csrf": login_csrf(client)}, follow_redirects=False)
    assert answer.status_code == 401
    assert "lccu_session" not in answer.cookies
    refused = [e for e in audit_entries(make_lab)
               if e.operation == "login" and not e.allowed and e.username == "vlas_inv"]
    assert refused and refused[-1].zone == "PZ Vlas"


def test_session_cookie_attributes(client: TestClient) -> None:
    """The session cookie is HttpOnly and SameSite=Strict (Secure is off only in tests)."""
    answer = client.post("/login", data={"username": "vlas_inv", "password": PASSWORD,
                                         "csrf": login_csrf(client)}, follow_redirects=False)
    header = answer.headers["set-cookie"].lower()
    assert "lccu_session=" in header and "httponly" in header and "samesite=strict" in header


def test_session_id_is_rotated_at_login(client: TestClient) -> None:
    """A cookie planted before login (fixation) is not the session after login, nor valid."""
    planted = "attacker-chosen-value"
    client.cookies.set("lccu_session", planted, domain="127.0.0.1")
    login(client, "vlas_inv")
    assert client.cookies.get("lccu_session") not in (None, planted)
    first = client.cookies.get("lccu_session")
    login(client, "vlas_inv")  # logging in again also issues a new id and ends the old one
    second = client.cookies.get("lccu_session")
    assert second != first
    with TestClient(client.app, base_url="http://127.0.0.1") as other:
        other.cookies.set("lccu_session", first, domain="127.0.0.1")
        assert other.get("/api/v1/cases").status_code == 401


def test_cookie_reuse_after_logout_is_refused(client: TestClient) -> None:
    """After logout the old session cookie, replayed, no longer authenticates."""
    csrf = login(client, "vlas_inv")
    cookie = client.cookies.get("lccu_session")
    assert client.get("/api/v1/cases").status_code == 200
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("lccu_session", cookie, domain="127.0.0.1")
    assert client.get("/api/v1/cases").status_code == 401


def test_logout_needs_csrf(client: TestClient) -> None:
    """A logout form without the session's CSRF token is refused and the session stays."""
    login(client, "vlas_inv")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/api/v1/cases").status_code == 200


def test_api_token_create_use_revoke(client: TestClient, app: FastAPI) -> None:
    """A bearer token works for scripts until revoked; then it is refused."""
    csrf = login(client, "vlas_inv")
    made = client.post("/api/v1/tokens", json={"name": "script"},
                       headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["id"]
    with TestClient(app, base_url="http://127.0.0.1") as script:
        bearer = {"Authorization": f"Bearer {token}"}
        assert script.get("/api/v1/cases", headers=bearer).status_code == 200
        # a token holds no signing key: a call that signs brings the key's passphrase
        locked = script.post("/api/v1/cases", json={"title": "via token"}, headers=bearer)
        assert locked.status_code == 403, locked.text
        created = script.post("/api/v1/cases", json={"title": "via token"},
                              headers={**bearer, "X-Key-Passphrase": PASSWORD})
        assert created.status_code == 201  # bearer calls need no CSRF token
        assert script.delete(f"/api/v1/tokens/{token_id}", headers=bearer).status_code == 204
        assert script.get("/api/v1/cases", headers=bearer).status_code == 401
        assert script.get("/api/v1/cases",
                          headers={"Authorization": "Bearer lccu_guess"}).status_code == 401


def test_tokens_are_not_stored_in_clear(client: TestClient, app: FastAPI) -> None:
    """The token table holds only a hash of the secret handed out."""
    from lccu.web.models import ApiToken

    csrf = login(client, "vlas_inv")
    token = client.post("/api/v1/tokens", json={"name": "s"},
                        headers={"X-CSRF-Token": csrf}).json()["token"]
    with app.state.web.db.session() as session:
        rows = session.query(ApiToken).all()
        assert rows and all(token not in (r.token_hash, r.id) for r in rows)


def test_login_rate_limit(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """After 5 failures from one address the 6th attempt, even correct, gets 429 and is logged."""
    for _ in range(5):
        answer = client.post("/login", data={"username": "polder_inv", "password": "nope",
                                             "csrf": login_csrf(client)})
        assert answer.status_code == 401
    blocked = client.post("/login", data={"username": "polder_inv", "password": PASSWORD,
                                          "csrf": login_csrf(client)}, follow_redirects=False)
    assert blocked.status_code == 429
    assert "lccu_session" not in blocked.cookies
    limited = [e for e in audit_entries(make_lab) if e.operation == "login"
               and '"rate limited"' in (e.detail or "")]
    assert len(limited) == 1
    login(client, "vlas_inv")  # another user from the same address is not blocked


def test_login_form_needs_its_csrf_token(client: TestClient) -> None:
    """A login post without the double-submit token (cross-site login) is refused."""
    client.get("/login")
    answer = client.post("/login", data={"username": "vlas_inv", "password": PASSWORD},
                         follow_redirects=False)
    assert answer.status_code == 403
    forged = client.post("/login", data={"username": "vlas_inv", "password": PASSWORD,
                                         "csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403


def test_cookie_api_changes_need_csrf_header(client: TestClient) -> None:
    """A state-changing API call with the session cookie but no X-CSRF-Token is refused."""
    csrf = login(client, "vlas_inv")
    assert client.post("/api/v1/cases", json={"title": "t"}).status_code == 403
    assert client.post("/api/v1/cases", json={"title": "t"},
                       headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/v1/cases", json={"title": "t"},
                       headers={"X-CSRF-Token": csrf}).status_code == 201


def test_new_case_form_needs_csrf(client: TestClient) -> None:
    """The new-case form without its CSRF token is refused and opens no case."""
    login(client, "vlas_inv")
    answer = client.post("/cases/new", data={"title": "forged"}, follow_redirects=False)
    assert answer.status_code == 403
    assert client.get("/api/v1/cases").json()["cases"] == []


def test_password_change_ends_sessions(client: TestClient, app: FastAPI) -> None:
    """Setting a new password ends the user's open sessions; short passwords are refused."""
    from lccu.errors import InvalidInput
    from lccu.web.auth import set_password

    login(client, "vlas_inv")
    db = app.state.web.db
    op = Actor("op", "PZ Vlas", None, "operator")
    with pytest.raises(InvalidInput):
        set_password(db, op, "vlas_inv", "short")
    set_password(db, op, "vlas_inv", "another long password")
    assert client.get("/api/v1/cases").status_code == 401


def test_only_operator_or_self_sets_password(app: FastAPI) -> None:
    """An investigator may not set another user's password (refusal audited)."""
    from lccu.errors import AccessDenied
    from lccu.web.auth import set_password

    inv = Actor("polder_inv", "PZ Polder", None, "investigator")
    with pytest.raises(AccessDenied):
        set_password(app.state.web.db, inv, "vlas_inv", "a long enough password")


def test_login_redirect_stays_local(client: TestClient) -> None:
    """The post-login redirect never leaves the site, whatever `next` says."""
    for target in ("//evil.example", "/\\evil.example", "https://evil.example",
                   "/\t/evil.example", "/cases\n"):
        answer = client.post("/login", data={"username": "vlas_inv", "password": PASSWORD,
                                             "csrf": login_csrf(client), "next": target},
                             follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/cases", target


def test_token_page_creates_shows_once_and_revokes(client: TestClient, app: FastAPI) -> None:
    """The tokens page shows a new secret only in the POST answer; revoking it there works."""
    import re

    csrf = login(client, "vlas_inv")
    assert client.post("/tokens", data={"name": "no csrf"}).status_code == 403
    made = client.post("/tokens", data={"name": "nightly export", "csrf": csrf})
    token = re.search(r'id="new-token">([^<]+)<', made.text).group(1)
    listing = client.get("/tokens").text
    assert "nightly export" in listing and token not in listing
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(app, base_url="http://127.0.0.1") as script:
        assert script.get("/api/v1/cases", headers=bearer).status_code == 200
        token_id = re.search(r'action="/tokens/([^/]+)/revoke"', listing).group(1)
        client.post(f"/tokens/{token_id}/revoke", data={"csrf": csrf})
        assert script.get("/api/v1/cases", headers=bearer).status_code == 401


def test_production_password_hashing_parameters(monkeypatch: pytest.MonkeyPatch,
                                                database_url: str) -> None:
    """The hasher the server uses (the tests swap in a cheap one) is argon2id at or above
    OWASP's minimum (19 MiB, 2 passes), and its hashes say so."""
    import lccu.web.auth as auth

    monkeypatch.undo()  # back to the module's own hasher
    hasher = auth._hasher
    assert hasher.memory_cost >= 19 * 1024 and hasher.time_cost >= 2
    assert hasher.hash("x").startswith("$argon2id$")
