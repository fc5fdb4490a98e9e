"""Signing keys in the web: unlocked key material belongs to one browser session (dropped
at logout and at idle expiry), a key whose passphrase is not the web password is unlocked
with a small form, and a script's token request unlocks it with a header, per request."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.web.auth import set_password
from tests.web.helpers import PASSWORD, login
from tests.web.test_case_actions import add_item, notice
from tests.web.test_session_proxy import set_last_seen

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
OWN_WORDS = "the witness's own key words"


def _hand_over(make_lab: Callable[..., Lab], tmp_path: Path) -> tuple[str, int]:
    """A hand-over from vlas_inv to op witnessed by vlas_wit, whose key passphrase is not
    their web password (PASSWORD)."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Keys per session")
    item = add_item(make_lab, case.id, tmp_path)
    operator = make_lab("op")
    operator.add_user("vlas_wit", "PZ Vlas", "investigator")
    set_password(operator.db, operator.actor, "vlas_wit", PASSWORD)
    make_lab("vlas_wit").keys.protect("vlas_wit", OWN_WORDS)
    seq = vlas.transfer(case.id, item, received_by="op", witness="vlas_wit",
                        to_location="locker 2")["seq"]
    return case.id, seq


def _unlock_csrf(page: str) -> str:
    form = re.search(r'<form method="post" action="/key/unlock".*?</form>', page, re.S)
    assert form, page
    found = re.search(r'name="csrf" value="([^"]+)"', form.group(0))
    assert found
    return found.group(1)


def _audit(make_lab: Callable[..., Lab], user: str, operation: str) -> list[bool]:
    return [e.allowed for e in make_lab("dpo").audit_log()
            if e.username == user and e.operation == operation]


def test_unlock_form_for_a_key_with_its_own_passphrase(
        app: FastAPI, make_lab: Callable[..., Lab], new_client: Callable[[], TestClient],
        tmp_path: Path) -> None:
    """A witness whose key passphrase differs from the web password: the login leaves the
    key locked, the case page shows the unlock form beside the countersign button, a
    countersign attempt is refused (audited once, nothing signed), a wrong passphrase is
    refused (401, audited), the right one unlocks the key for this session, which then
    countersigns; another session of the same user still holds no key."""
    case_id, seq = _hand_over(make_lab, tmp_path)
    browser = new_client()
    csrf = login(browser, "vlas_wit")
    page = browser.get(f"/cases/{case_id}", params={"lang": "en"}).text
    assert 'id="key-unlock"' in page and "Countersign (witness)" in page
    tried = browser.post(f"/cases/{case_id}/custody/{seq}/countersign",
                         data={"csrf": csrf, "role": "witness"}, params={"lang": "en"})
    assert "Your signing key is locked" in notice(tried.text)
    assert _audit(make_lab, "vlas_wit", "custody.countersign") == [False]
    assert browser.post("/key/unlock", data={"passphrase": OWN_WORDS, "csrf": "wrong"},
                        follow_redirects=False).status_code == 403
    wrong = browser.post("/key/unlock", data={"passphrase": PASSWORD, "csrf": csrf,
                                              "next": f"/cases/{case_id}"},
                         params={"lang": "en"}, follow_redirects=False)
    assert wrong.status_code == 401 and "does not unlock your key" in wrong.text
    right = browser.post("/key/unlock", data={"passphrase": OWN_WORDS, "csrf": _unlock_csrf(
        page), "next": f"/cases/{case_id}"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == f"/cases/{case_id}"
    assert _audit(make_lab, "vlas_wit", "key.unlock") == [False, True]
    page = browser.get(f"/cases/{case_id}", params={"lang": "en"}).text
    assert 'id="key-unlock"' not in page
    other = new_client()
    other_csrf = login(other, "vlas_wit")
    refused = other.post(f"/api/v1/cases/{case_id}/custody/{seq}/countersign",
                         headers={"X-CSRF-Token": other_csrf}, json={"role": "witness"})
    assert refused.status_code == 403, refused.text
    done = browser.post(f"/cases/{case_id}/custody/{seq}/countersign",
                        data={"csrf": csrf, "role": "witness"}, params={"lang": "en"})
    assert "countersigned with your key" in notice(done.text)
    signatures = make_lab("vlas_inv").countersign_status(case_id)["countersignatures"]
    assert [(c["signer"], c["role"]) for c in signatures] == [("vlas_wit", "witness")]
    assert _audit(make_lab, "vlas_wit", "custody.countersign") == [False, False, True]


def test_key_dropped_at_logout_and_idle_expiry(
        app: FastAPI, make_lab: Callable[..., Lab], new_client: Callable[[], TestClient],
        tmp_path: Path) -> None:
    """The key a login unlocked lives in that session only: logout drops it from the
    server's memory, so does the idle timeout (seen on the next request, or swept when the
    browser never comes back), and the same user's new login holds its own."""
    state = app.state.web
    case_id, seq = _hand_over(make_lab, tmp_path)
    first = new_client()
    csrf = login(first, "op")
    assert [name for name, _key in state.unlocked.values()] == ["op"]
    assert first.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert state.unlocked == {}
    second = new_client()
    login(second, "op")
    assert len(state.unlocked) == 1
    set_last_seen(app, 31)
    assert second.get("/api/v1/cases").status_code == 401
    assert state.unlocked == {}
    third, fourth = new_client(), new_client()
    login(third, "op")
    set_last_seen(app, 31)  # third's browser closed: never seen again
    state._swept = 0.0
    fourth_csrf = login(fourth, "op")
    state._swept = 0.0
    fourth.get("/cases")
    assert [name for name, _key in state.unlocked.values()] == ["op"]
    done = fourth.post(f"/api/v1/cases/{case_id}/custody/{seq}/countersign",
                       headers={"X-CSRF-Token": fourth_csrf}, json={"role": "receiver"})
    assert done.status_code == 201, done.text


def test_token_request_unlocks_with_a_header(
        app: FastAPI, client: TestClient, make_lab: Callable[..., Lab], tmp_path: Path) -> None:
    """An API token holds no key, even while its user is logged in: a signing call is
    refused (403, audited) until the request brings the key's passphrase in X-Key-Passphrase;
    the server's own LCCU_PASSPHRASE never unlocks a web user's key."""
    case_id, seq = _hand_over(make_lab, tmp_path)
    csrf = login(client, "op")
    token = client.post("/api/v1/tokens", json={"name": "script"},
                        headers={"X-CSRF-Token": csrf}).json()["token"]
    assert app.state.web.settings.passphrase == PASSWORD  # the unit's env (conftest)
    with TestClient(app, base_url="http://127.0.0.1") as script:
        bearer = {"Authorization": f"Bearer {token}"}
        url = f"/api/v1/cases/{case_id}/custody/{seq}/countersign"
        assert script.post(url, headers=bearer, json={"role": "receiver"}).status_code == 403
        wrong = script.post(url, headers={**bearer, "X-Key-Passphrase": "not the words"},
                            json={"role": "receiver"})
        assert wrong.status_code == 403 and "does not unlock" in wrong.text
        done = script.post(url, headers={**bearer, "X-Key-Passphrase": PASSWORD},
                           json={"role": "receiver"})
        assert done.status_code == 201, done.text
    assert _audit(make_lab, "op", "custody.countersign") == [False, False, True]
