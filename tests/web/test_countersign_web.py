"""Countersigning from the web, and the custody form's time, places and releaser fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.web.auth import set_password
from tests.web.helpers import PASSWORD, login
from tests.web.test_case_actions import add_item, notice

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_countersign_button_form_and_api(client: TestClient, make_lab: Callable[..., Lab],
                                         new_client: Callable[[], TestClient],
                                         tmp_path: Path) -> None:
    """A hand-over to op witnessed by vlas_inv's colleague shows op a countersign button
    (with CSRF) and nobody else; after the form and the API call the timeline names both
    signers, the buttons are gone and verify has nothing pending."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Countersign")
    item = add_item(make_lab, case.id, tmp_path)
    operator = make_lab("op")
    operator.add_user("vlas_wit", "PZ Vlas", "investigator")
    set_password(operator.db, operator.actor, "vlas_wit", PASSWORD)
    seq = vlas.transfer(case.id, item, received_by="op", witness="vlas_wit",
                        to_location="locker 2")["seq"]
    csrf = login(client, "vlas_inv")
    page = client.get(f"/cases/{case.id}").text
    assert "countersign-form" not in page  # the actor has signed already
    verified = client.post(f"/cases/{case.id}/verify", data={"csrf": csrf},
                           params={"lang": "en"}).text
    assert 'id="verify-pending"' in verified
    assert f"event {seq}: countersignature of op as receiver pending" in verified
    pending = client.post(f"/api/v1/cases/{case.id}/custody/verify",
                          headers={"X-CSRF-Token": csrf}).json()
    assert pending["ok"] and {(p["seq"], p["role"], p["party"]) for p in pending["pending"]} \
        == {(seq, "receiver", "op"), (seq, "witness", "vlas_wit")}

    op = new_client()
    op_csrf = login(op, "op")
    page = op.get(f"/cases/{case.id}", params={"lang": "en"}).text
    action = f'action="/cases/{case.id}/custody/{seq}/countersign"'
    assert page.count(action) == 1 and "Countersign (receiver)" in page
    assert op.post(f"/cases/{case.id}/custody/{seq}/countersign", follow_redirects=False,
                   data={"csrf": "wrong", "role": "receiver"}).status_code == 403
    done = op.post(f"/cases/{case.id}/custody/{seq}/countersign",
                   data={"csrf": op_csrf, "role": "receiver"}, params={"lang": "en"})
    assert "countersigned with your key" in notice(done.text)
    page = op.get(f"/cases/{case.id}", params={"lang": "en"}).text
    assert action not in page and "op (receiver)" in page
    again = op.post(f"/cases/{case.id}/custody/{seq}/countersign",
                    data={"csrf": op_csrf}).text
    assert "already countersigned" in notice(again)

    witness = new_client()
    headers = {"X-CSRF-Token": login(witness, "vlas_wit")}
    api = f"/api/v1/cases/{case.id}/custody/{seq}/countersign"
    assert witness.post(api, headers=headers, json={"role": "judge"}).status_code == 422
    assert witness.post(f"/api/v1/cases/{case.id}/custody/1/countersign",
                        headers=headers).status_code == 422  # not a hand-over
    signed = witness.post(api, headers=headers, json={"role": "witness"})
    assert signed.status_code == 201, signed.text
    assert (signed.json()["signer"], signed.json()["role"]) == ("vlas_wit", "witness")
    assert witness.post(api, headers=headers).status_code == 422  # twice
    page = client.get(f"/cases/{case.id}", params={"lang": "en"}).text
    row = re.search(rf"<tr><td>{seq}</td>.*?</tr>", page, re.S)
    assert row and "op (receiver)" in row.group(0) and "vlas_wit (witness)" in row.group(0)
    result = vlas.verify_custody(case.id)
    assert result.ok and result.pending == [] and result.countersignatures_checked == 2
    api_result = client.post(f"/api/v1/cases/{case.id}/custody/verify",
                             headers={"X-CSRF-Token": csrf}).json()
    assert api_result["pending"] == [] and api_result["countersignatures_checked"] == 2


def test_custody_form_time_places_and_releaser(client: TestClient,
                                               make_lab: Callable[..., Lab],
                                               tmp_path: Path) -> None:
    """The form's occurred-at becomes an aware time (offset beside it or inside it); a time
    without offset or with a bad one is refused with a clear message; from/to location and
    released by reach the event."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Form fields")
    vlas.share_case(case.id, "PZ Polder", purpose="the receiver works in Polder")
    item = add_item(make_lab, case.id, tmp_path)
    csrf = login(client, "vlas_inv")
    page = client.get(f"/cases/{case.id}").text
    for name in ("occurred_at", "occurred_offset", "from_location", "to_location",
                 "released_by"):
        assert f'name="{name}"' in page, name
    assert 'type="datetime-local"' in page
    before = vlas.get_case(case.id).head_seq
    for when, offset, words in (("2026-03-01T10:15", "", "needs its time zone offset"),
                                ("2026-03-01T10:15", "+25:00", "not a time zone offset"),
                                ("yesterday", "+01:00", "not a date and time")):
        back = client.post(f"/cases/{case.id}/custody", params={"lang": "en"}, data={
            "csrf": csrf, "action": "note", "reason": "r", "occurred_at": when,
            "occurred_offset": offset})
        assert words in notice(back.text), (when, offset, notice(back.text))
    assert vlas.get_case(case.id).head_seq == before
    back = client.post(f"/cases/{case.id}/custody", params={"lang": "en"}, data={
        "csrf": csrf, "action": "transferred", "evidence": item, "reason": "to the lab",
        "occurred_at": "2026-03-01T10:15", "occurred_offset": "+01:00",
        "released_by": "vlas_inv", "from_location": "", "to_location": "Labo 2",
        "received_by": "polder_an"})
    assert 'class="notice ok"' in back.text, notice(back.text)
    event = vlas.custody_log(case.id)[-1]
    assert event["occurred_at"].startswith("2026-03-01T09:15:00")
    assert event["details"]["to_location"] == "Labo 2" == event["location"]
    assert event["details"]["released_by"] == "vlas_inv"
    back = client.post(f"/cases/{case.id}/custody", data={
        "csrf": csrf, "action": "note", "reason": "with offset inside",
        "occurred_at": "2026-03-02T08:00-05:00"})
    assert 'class="notice ok"' in back.text, notice(back.text)
    assert vlas.custody_log(case.id)[-1]["occurred_at"].startswith("2026-03-02T13:00:00")


def test_web_login_unlocks_the_key_for_countersigning(
        client: TestClient, make_lab: Callable[..., Lab], new_client: Callable[[], TestClient],
        tmp_path: Path) -> None:
    """A key encrypted with the user's web password is unlocked by the login and signs in
    the browser; a key encrypted with another passphrase stays locked (refused, nothing
    signed)."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Encrypted countersign")
    item = add_item(make_lab, case.id, tmp_path)
    operator = make_lab("op")
    operator.keys.kdf = "test"  # cheap argon2 in tests (LCCU_KEY_KDF=test)
    operator.keys.protect("op", PASSWORD)  # op's key: encrypted with the web password
    operator.add_user("vlas_wit", "PZ Vlas", "investigator")
    set_password(operator.db, operator.actor, "vlas_wit", PASSWORD)
    witness_lab = make_lab("vlas_wit")
    witness_lab.keys.kdf = "test"
    witness_lab.keys.protect("vlas_wit", "another passphrase entirely")
    seq = vlas.transfer(case.id, item, received_by="op", witness="vlas_wit",
                        to_location="locker 2")["seq"]
    op = new_client()
    op_csrf = login(op, "op")
    done = op.post(f"/cases/{case.id}/custody/{seq}/countersign",
                   data={"csrf": op_csrf, "role": "receiver"}, params={"lang": "en"})
    assert "countersigned with your key" in notice(done.text)
    witness = new_client()
    headers = {"X-CSRF-Token": login(witness, "vlas_wit")}
    refused = witness.post(f"/api/v1/cases/{case.id}/custody/{seq}/countersign",
                           headers=headers, json={"role": "witness"})
    assert refused.status_code == 403, refused.text
    signatures = vlas.countersign_status(case.id)["countersignatures"]
    assert [(c["signer"], c["role"]) for c in signatures] == [("op", "receiver")]
    assert vlas.verify_custody(case.id).ok
