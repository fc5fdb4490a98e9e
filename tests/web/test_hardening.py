"""The web server under concurrent and hostile use: login limit, token lifetime, upload slots."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from lccu.config import Settings
from lccu.evidence.canonical import format_time
from lccu.evidence.lab import Lab
from lccu.testing.browser import serve_in_thread
from lccu.testing.cli import lccu_env, run_lccu
from lccu.web.auth import set_password
from lccu.web.models import ApiToken
from tests.web.helpers import PASSWORD, login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _login_form(client: httpx.Client) -> str:
    page = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def test_parallel_wrong_logins_beyond_the_limit_are_refused(
    app: FastAPI, make_lab: Callable[..., Lab]
) -> None:
    """Twenty wrong passwords for one user from one address sent at the same moment over
    real HTTP: only the limit (5) get a checked answer (401), the other fifteen are refused
    unchecked (429), and each refusal is audited as rate limited."""
    limit = app.state.web.config.login_failures
    attempts = 20
    statuses: list[int] = []
    barrier = threading.Barrier(attempts)
    with serve_in_thread(app) as base:

        def attempt() -> None:
            with httpx.Client(base_url=base, timeout=60) as browser:
                csrf = _login_form(browser)
                barrier.wait(timeout=60)
                answer = browser.post(
                    "/login",
                    data={"username": "polder_inv", "password": "wrong guess", "csrf": csrf},
                )
                statuses.append(answer.status_code)

        threads = [threading.Thread(target=attempt) for _ in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert Counter(statuses) == {401: limit, 429: attempts - limit}
    limited = [
        e
        for e in make_lab("dpo").audit_log()
        if e.operation == "login" and '"rate limited"' in (e.detail or "")
    ]
    assert len(limited) == attempts - limit


def _new_token(client: TestClient, csrf: str, **fields: object) -> dict[str, str]:
    made = client.post(
        "/api/v1/tokens", json={"name": "script", **fields}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def _works(app: FastAPI, token: str) -> int:
    with TestClient(app, base_url="http://127.0.0.1") as script:
        return script.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code


def _listed(client: TestClient, token_id: str) -> dict[str, str]:
    return next(t for t in client.get("/api/v1/tokens").json() if t["id"] == token_id)


def test_tokens_expire(client: TestClient, app: FastAPI) -> None:
    """A new token lives 90 days unless it asks for fewer (at most 365); once its expiry has
    passed it is refused (401) and listed as expired."""
    csrf = login(client, "vlas_inv")
    made = _new_token(client, csrf)
    lifetime = datetime.fromisoformat(made["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=89, hours=23) < lifetime <= timedelta(days=90)
    short = _new_token(client, csrf, days=7)
    assert datetime.fromisoformat(short["expires_at"]) - datetime.now(UTC) <= timedelta(days=7)
    assert (
        client.post(
            "/api/v1/tokens", json={"name": "x", "days": 366}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 422
    )
    assert _works(app, made["token"]) == 200
    with app.state.web.db.session() as session:  # let its time run out
        session.get(ApiToken, made["id"]).expires_at = format_time(
            datetime.now(UTC) - timedelta(seconds=1)
        )
    assert _works(app, made["token"]) == 401
    assert _listed(client, made["id"])["state"] == "expired"
    assert _works(app, short["token"]) == 200


def test_password_reset_revokes_tokens(
    client: TestClient, app: FastAPI, make_lab: Callable[..., Lab]
) -> None:
    """An operator resetting a user's password ends that user's API tokens (401 afterwards,
    listed as revoked because the password changed); other users' tokens go on working."""
    csrf = login(client, "vlas_inv")
    mine = _new_token(client, csrf)
    with TestClient(app, base_url="http://127.0.0.1") as other:
        theirs = _new_token(other, login(other, "polder_inv"))
    op = make_lab("op")
    set_password(op.db, op.actor, "vlas_inv", "a brand new passphrase")
    assert _works(app, mine["token"]) == 401
    assert _works(app, theirs["token"]) == 200
    client.cookies.clear()
    login(client, "vlas_inv", "a brand new passphrase")
    listed = _listed(client, mine["id"])
    assert (listed["state"], listed["revoked_why"]) == ("revoked", "password changed")


def test_role_change_revokes_tokens(client: TestClient, app: FastAPI) -> None:
    """A token issued to an investigator is refused once the user's role is changed (by any
    path; here in the users table, as an administrator's tool would), and stays revoked
    when the role is changed back."""
    from lccu.evidence.models import User

    csrf = login(client, "vlas_inv")
    made = _new_token(client, csrf)
    assert _works(app, made["token"]) == 200

    def set_role(role: str) -> None:
        with app.state.web.db.session() as session:
            session.scalar(select(User).where(User.username == "vlas_inv")).role = role

    set_role("analyst")
    assert _works(app, made["token"]) == 401
    set_role("investigator")
    assert _works(app, made["token"]) == 401
    listed = _listed(client, made["id"])
    assert (listed["state"], listed["revoked_why"]) == (
        "revoked",
        "role or zone of its user changed",
    )


def test_cli_lists_and_revokes_own_tokens(client: TestClient, app: FastAPI, unit: Settings) -> None:
    """`lccu token list --json` shows the acting user's tokens (never the secret) and
    `lccu token revoke ID` ends one at once; another user's token id is not found (exit 2)."""
    csrf = login(client, "vlas_inv")
    made = _new_token(client, csrf)
    with TestClient(app, base_url="http://127.0.0.1") as other:
        theirs = _new_token(other, login(other, "polder_inv"))
    env = lccu_env(
        unit.home, user="vlas_inv", LCCU_DATABASE_URL=unit.database_url, LCCU_PASSPHRASE=PASSWORD
    )

    def lccu(*args: str) -> subprocess.CompletedProcess[str]:
        return run_lccu(*args, env=env)

    listed = lccu("token", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(t["id"], t["state"]) for t in json.loads(listed.stdout)] == [(made["id"], "active")]
    assert made["token"] not in listed.stdout
    refused = lccu("token", "revoke", theirs["id"])
    assert refused.returncode == 2 and "no token" in refused.stderr
    assert _works(app, theirs["token"]) == 200
    revoked = lccu("token", "revoke", made["id"])
    assert revoked.returncode == 0, revoked.stderr
    assert _works(app, made["token"]) == 401
    shown = lccu("token", "list")
    assert f"{made['id']}  revoked (revoked by its user)" in shown.stdout


def _start(client: TestClient, csrf: str, case_id: str) -> httpx.Response:
    return client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers={"X-CSRF-Token": csrf},
        json={"filename": "idle.dd", "size": 100, "description": "held"},
    )


@pytest.fixture
def slots_app(make_app: Callable[..., FastAPI]) -> FastAPI:
    """The app with the default slots (2 per user, 4 per zone, 8 in all) and uploads
    abandoned after 6 s without data."""
    return make_app(upload_idle_minutes=0.1)


def test_one_user_cannot_take_every_upload_slot(
    slots_app: FastAPI, make_lab: Callable[..., Lab]
) -> None:
    """A user holding idle 100-byte uploads gets 429 at the third (naming the ones to finish
    or cancel), not the whole server: a colleague of the same zone starts two, the zone's
    fifth is refused (429), another zone still starts its own (201); once they receive
    nothing for the idle time the slots are free again and the old upload answers 410."""
    vlas_case = make_lab("vlas_inv").create_case("Vlas uploads").id
    polder_case = make_lab("polder_inv").create_case("Polder uploads").id
    make_lab("op").add_user("vlas_two", "PZ Vlas", "investigator")
    make_lab("op").add_user("vlas_three", "PZ Vlas", "investigator")
    op = make_lab("op")
    for name in ("vlas_two", "vlas_three"):
        set_password(op.db, op.actor, name, PASSWORD)
    clients = {
        name: TestClient(slots_app, base_url="http://127.0.0.1")
        for name in ("vlas_inv", "vlas_two", "vlas_three", "polder_inv")
    }
    try:
        csrf = {name: login(c, name) for name, c in clients.items()}
        held = [_start(clients["vlas_inv"], csrf["vlas_inv"], vlas_case) for _ in range(2)]
        assert [r.status_code for r in held] == [201, 201]
        third = _start(clients["vlas_inv"], csrf["vlas_inv"], vlas_case)
        assert third.status_code == 429
        assert all(r.json()["upload_id"] in third.json()["detail"] for r in held)
        listed = clients["vlas_inv"].get("/api/v1/uploads").json()
        assert sorted(u["upload_id"] for u in listed) == sorted(r.json()["upload_id"] for r in held)
        colleague = [_start(clients["vlas_two"], csrf["vlas_two"], vlas_case) for _ in range(2)]
        assert [r.status_code for r in colleague] == [201, 201]
        zone_full = _start(clients["vlas_three"], csrf["vlas_three"], vlas_case)
        assert zone_full.status_code == 429 and "PZ Vlas" in zone_full.json()["detail"]
        other_zone = _start(clients["polder_inv"], csrf["polder_inv"], polder_case)
        assert other_zone.status_code == 201, other_zone.text

        deadline = time.monotonic() + 60
        while (
            again := _start(clients["vlas_inv"], csrf["vlas_inv"], vlas_case)
        ).status_code == 429:
            assert time.monotonic() < deadline, again.text
            time.sleep(0.3)
        assert again.status_code == 201, again.text
        first = held[0].json()["upload_id"]
        gone = clients["vlas_inv"].put(
            f"/api/v1/uploads/{first}",
            params={"offset": 0},
            content=b"x" * 10,
            headers={"X-CSRF-Token": csrf["vlas_inv"]},
        )
        assert gone.status_code == 410 and "abandoned" in gone.json()["detail"]
    finally:
        for c in clients.values():
            c.close()
