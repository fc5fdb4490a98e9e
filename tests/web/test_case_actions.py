"""Case actions from the web: share and revoke, close, record custody events (forms and API)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.errors import InvalidInput
from lccu.evidence.lab import Lab
from tests.web.helpers import login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def notice(page: str) -> str:
    """The text of the action notice on a case page ('' when there is none)."""
    found = re.search(r'id="action-result">(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)) if found else ""


def denied(
    make_lab: Callable[..., Lab], username: str, operation: str, case_id: str
) -> list[object]:
    return [
        e
        for e in make_lab("dpo").audit_log()
        if e.username == username
        and e.operation == operation
        and not e.allowed
        and e.case_id == case_id
    ]


def add_item(make_lab: Callable[..., Lab], case_id: str, tmp_path: Path) -> str:
    image = tmp_path / "usb.dd"
    image.write_bytes(b"evidence bytes " * 64)
    return (
        make_lab("vlas_inv")
        .add_evidence(case_id, image, description="USB stick", seal_number="S-1001")
        .id
    )


def test_share_then_revoke_through_the_case_page(
    client: TestClient, make_lab: Callable[..., Lab], new_client: Callable[[], TestClient]
) -> None:
    """The owner shares by form: Polder's user then opens the case; after the revoke (with its
    reason in custody) Polder is refused again. Each outcome is shown once on the case page."""
    case = make_lab("vlas_inv").create_case("Skimming")
    polder = new_client()
    login(polder, "polder_inv")
    assert polder.get(f"/api/v1/cases/{case.id}").status_code == 404  # as if not there
    csrf = login(client, "vlas_inv")
    page = client.get(f"/cases/{case.id}").text
    assert 'id="share-form"' in page and "<option>PZ Polder</option>" in page
    assert "<option>PZ Vlas</option>" not in page  # not with its own zone
    shared = client.post(
        f"/cases/{case.id}/share",
        follow_redirects=False,
        data={
            "csrf": csrf,
            "zone": "PZ Polder",
            "permission": "read",
            "purpose": "suspect lives in Polder",
            "valid_until": (datetime.now(UTC) + timedelta(days=60)).date().isoformat(),
        },
    )
    assert shared.status_code == 303 and shared.headers["location"] == f"/cases/{case.id}"
    page = client.get(f"/cases/{case.id}", params={"lang": "en"}).text
    assert "The case has been shared." in notice(page)
    assert "suspect lives in Polder" in page and 'action="/cases/' in page
    assert notice(client.get(f"/cases/{case.id}").text) == ""  # shown once
    seen = polder.get(f"/api/v1/cases/{case.id}", params={"justification": "PV 7/2026"})
    assert seen.status_code == 200 and seen.json()["title"] == "Skimming"
    assert seen.json()["shares"][0]["permission"] == "read"

    revoked = client.post(
        f"/cases/{case.id}/unshare",
        follow_redirects=False,
        data={"csrf": csrf, "zone": "PZ Polder", "reason": "suspect arrested"},
    )
    assert revoked.status_code == 303
    assert "The share has been revoked." in notice(client.get(f"/cases/{case.id}").text)
    assert polder.get(f"/api/v1/cases/{case.id}").status_code == 404  # as if not there
    events = make_lab("vlas_inv").custody_log(case.id)
    assert events[-1]["details"]["event"] == "case-unshared"
    assert events[-1]["reason"] == "suspect arrested"


def test_form_errors_are_shown_on_the_case_page(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """A share without purpose, to an unknown zone or with a past expiry, a revoke without
    reason and a close without reason are refused with the reason on the case page."""
    case = make_lab("vlas_inv").create_case("Errors")
    csrf = login(client, "vlas_inv")
    attempts = [
        ("share", {"zone": "PZ Polder", "purpose": " "}, "purpose"),
        ("share", {"zone": "PZ Nergens", "purpose": "p"}, "no zone"),
        ("share", {"zone": "PZ Polder", "purpose": "p", "valid_until": "2001-01-01"}, "expiry"),
        ("share", {"zone": "PZ Polder", "purpose": "p", "valid_until": "morgen"}, "not a date"),
        ("unshare", {"zone": "PZ Polder", "reason": "x"}, "not shared"),
        ("close", {"reason": ""}, "reason is required"),
    ]
    for path, form, message in attempts:
        answer = client.post(
            f"/cases/{case.id}/{path}", data={"csrf": csrf, **form}, follow_redirects=False
        )
        assert answer.status_code == 303, (path, form)
        page = client.get(f"/cases/{case.id}", params={"lang": "en"}).text
        assert 'class="notice bad"' in page and message in notice(page), (path, form, page)
        assert "The action was not carried out" in notice(page)
    info = make_lab("vlas_inv").get_case(case.id)
    assert info.status == "open" and info.shares == ()


def test_close_with_reason_then_evidence_is_refused(
    client: TestClient, make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """Closing needs a reason (recorded in custody); afterwards the page offers no upload nor
    close form, and neither the upload API nor the library takes evidence in."""
    case = make_lab("vlas_inv").create_case("To close")
    csrf = login(client, "vlas_inv")
    page = client.get(f"/cases/{case.id}").text
    assert 'id="close-form"' in page and f"/cases/{case.id}/upload" in page
    closed = client.post(
        f"/cases/{case.id}/close",
        follow_redirects=False,
        data={"csrf": csrf, "reason": "judgment final, PV 12/2026"},
    )
    assert closed.status_code == 303
    page = client.get(f"/cases/{case.id}").text
    assert "Status: afgesloten" in page and 'id="close-form"' not in page  # in Dutch
    assert "<td>afgesloten</td>" in client.get("/cases").text  # the case list too
    assert f"/cases/{case.id}/upload" not in page
    events = make_lab("vlas_inv").custody_log(case.id)
    assert events[-1]["reason"] == "judgment final, PV 12/2026"
    assert events[-1]["details"] == {"event": "case-closed"}

    start = client.post(
        f"/api/v1/cases/{case.id}/uploads",
        headers={"X-CSRF-Token": csrf},
        json={"filename": "late.dd", "size": 13, "description": "late"},
    )
    assert start.status_code == 422 and "closed" in start.json()["detail"]
    assert client.get(f"/api/v1/cases/{case.id}/evidence").json() == []
    image = tmp_path / "late.dd"
    image.write_bytes(b"late")
    with pytest.raises(InvalidInput):
        make_lab("vlas_inv").add_evidence(case.id, image, description="late")


def test_custody_event_appears_in_timeline_and_verifies(
    client: TestClient, make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """A check-out of an item recorded by form appears in the custody table with its location
    and reason, signed by the user; a seal break and reseal follow; custody still verifies.
    Events the library refuses (unknown action, handling after destruction) are shown as
    errors and append nothing, so verify keeps passing."""
    case = make_lab("vlas_inv").create_case("Custody")
    item = add_item(make_lab, case.id, tmp_path)
    csrf = login(client, "vlas_inv")
    page = client.get(f"/cases/{case.id}").text
    assert 'id="custody-form"' in page and f'value="{item}"' in page
    for action in ("checked_out", "checked_in", "seal_broken", "resealed", "note"):
        assert f'<option value="{action}">' in page, action
    assert '<option value="intake">' not in page and '<option value="processed">' not in page
    answer = client.post(
        f"/cases/{case.id}/custody",
        follow_redirects=False,
        data={
            "csrf": csrf,
            "action": "checked_out",
            "evidence": item,
            "location": "Labo 2, LCCU Brugge",
            "reason": "imaging for analysis",
        },
    )
    assert answer.status_code == 303
    page = client.get(f"/cases/{case.id}").text
    assert "De gebeurtenis is geregistreerd." in notice(page)
    row = re.search(
        r"<tr><td>(\d+)</td>(?:(?!</tr>).)*Labo 2, LCCU Brugge(?:(?!</tr>).)*"
        r"imaging for analysis",
        page,
        re.S,
    )
    assert row and "uitgeleend" in row.group(0) and "vlas_inv" in row.group(0)  # in Dutch
    event = make_lab("vlas_inv").custody_log(case.id)[-1]
    assert (event["action"], event["evidence_id"], event["actor"]) == (
        "checked_out",
        item,
        "vlas_inv",
    )
    for form in (
        {"action": "seal_broken", "seal_before": "S-1001"},
        {"action": "resealed", "seal_after": "S-2002"},
    ):
        back = client.post(
            f"/cases/{case.id}/custody",
            data={"csrf": csrf, "evidence": item, "reason": "examined", **form},
        )
        assert 'class="notice ok"' in back.text, (form, notice(back.text))
    assert make_lab("vlas_inv").custody_log(case.id)[-1]["details"]["seal_after"] == "S-2002"

    seq = make_lab("vlas_inv").get_case(case.id).head_seq
    back = client.post(
        f"/cases/{case.id}/custody",
        data={  # follows the redirect
            "csrf": csrf,
            "action": "processed",
            "evidence": item,
            "reason": "r",
        },
    )
    assert "Onbekende handeling processed" in notice(back.text)  # the page's language
    client.post(
        f"/cases/{case.id}/custody",
        data={"csrf": csrf, "action": "destroyed", "evidence": item, "reason": "court order 3/26"},
    )
    back = client.post(
        f"/cases/{case.id}/custody",
        data={
            "csrf": csrf,
            "action": "transferred",
            "evidence": item,
            "location": "x",
            "reason": "after destruction",
        },
    )
    shown = html.unescape(notice(back.text))  # the rule broken, in the page's language
    assert 'class="notice bad"' in back.text and "als 'vernietigd' werd vastgelegd" in shown
    actions = [e["action"] for e in make_lab("vlas_inv").custody_log(case.id)]
    assert len(actions) == seq + 1 and actions[-1] == "destroyed"
    verified = client.post(f"/cases/{case.id}/verify", data={"csrf": csrf})
    assert 'class="notice ok"' in verified.text
    assert make_lab("vlas_inv").verify_custody(case.id).ok


def test_case_action_forms_need_csrf(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """Each action form without (or with a wrong) CSRF token is refused and changes nothing."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Forged")
    lab.share_case(case.id, "PZ Westkust", purpose="joint", permission="read")
    login(client, "vlas_inv")
    forms = {
        "share": {"zone": "PZ Polder", "purpose": "p"},
        "unshare": {"zone": "PZ Westkust", "reason": "r"},
        "close": {"reason": "r"},
        "custody": {"action": "note", "reason": "r"},
    }
    for path, form in forms.items():
        for token in ({}, {"csrf": "forged"}):
            answer = client.post(
                f"/cases/{case.id}/{path}", data={**form, **token}, follow_redirects=False
            )
            assert answer.status_code == 403, (path, token)
    info = lab.get_case(case.id)
    assert info.status == "open" and [s.zone for s in info.shares] == ["PZ Westkust"]
    assert info.shares[0].revoked_at is None and info.head_seq == 2


def test_other_zone_cannot_close_or_share(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """Polder, without a share, is answered as for a case that does not exist (the form
    goes back with its notice), with a read share 403, for close, share, revoke and
    custody; each refusal is in the audit log, and the read-share page shows no forms."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Vlas case")
    csrf = login(client, "polder_inv")
    for path, form, operation in [
        ("close", {"reason": "mine now"}, "case.close"),
        ("share", {"zone": "PZ Polder", "purpose": "p"}, "case.share"),
        ("custody", {"action": "note", "reason": "r"}, "custody.note"),
    ]:
        answer = client.post(
            f"/cases/{case.id}/{path}", data={"csrf": csrf, **form}, follow_redirects=False
        )
        missing = client.post(
            f"/cases/LCCU-2026-99999/{path}",
            data={"csrf": csrf, **form},
            follow_redirects=False,
        )
        assert (answer.status_code, missing.status_code) == (303, 303), path
        assert denied(make_lab, "polder_inv", operation, case.id), operation
    vlas.share_case(case.id, "PZ Polder", purpose="joint", permission="read")
    page = client.get(f"/cases/{case.id}", params={"justification": "PV 9"}).text
    assert "Vlas case" in page
    for form_id in ("share-form", "close-form", "custody-form", "unshare-reason"):
        assert f'id="{form_id}' not in page, form_id
    assert (
        client.post(
            f"/cases/{case.id}/unshare", data={"csrf": csrf, "zone": "PZ Polder", "reason": "r"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/cases/{case.id}/close", data={"csrf": csrf, "reason": "r"}).status_code
        == 403
    )
    assert len(denied(make_lab, "polder_inv", "case.close", case.id)) == 2
    assert denied(make_lab, "polder_inv", "case.unshare", case.id)
    info = vlas.get_case(case.id)
    assert info.status == "open" and [s.zone for s in info.shares] == ["PZ Polder"]


def test_contributing_zone_records_events_but_does_not_close(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """A zone with a contribute share sees only the custody form; its event lands (and the
    page comes back with its justification), while closing stays the owner's (403)."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Joint")
    vlas.share_case(case.id, "PZ Polder", purpose="joint", permission="contribute")
    csrf = login(client, "polder_inv")
    page = client.get(f"/cases/{case.id}", params={"justification": "PV 10"}).text
    assert 'id="custody-form"' in page and 'id="close-form"' not in page
    assert 'id="share-form"' not in page
    answer = client.post(
        f"/cases/{case.id}/custody",
        follow_redirects=False,
        data={
            "csrf": csrf,
            "justification": "PV 10",
            "action": "note",
            "reason": "seal intact on arrival",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/cases/{case.id}?justification=PV+10"
    assert vlas.custody_log(case.id)[-1]["actor"] == "polder_inv"
    assert (
        client.post(f"/cases/{case.id}/close", data={"csrf": csrf, "reason": "r"}).status_code
        == 403
    )
    assert denied(make_lab, "polder_inv", "case.close", case.id)


def test_api_case_actions(
    client: TestClient,
    make_lab: Callable[..., Lab],
    app: FastAPI,
    new_client: Callable[[], TestClient],
    tmp_path: Path,
) -> None:
    """The REST equivalents: share (201), revoke, custody event (201, new head), close; input
    errors 422, other zones 403 (audited), cookie calls need X-CSRF-Token."""
    case = make_lab("vlas_inv").create_case("API")
    item = add_item(make_lab, case.id, tmp_path)
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    polder = new_client()
    polder_headers = {"X-CSRF-Token": login(polder, "polder_inv")}
    base = f"/api/v1/cases/{case.id}"

    def posted(
        path: str, json: dict[str, Any], who: TestClient = client, sent: dict[str, str] = headers
    ) -> int:
        """The status of a POST to the case's ``path`` (as vlas_inv, unless ``who``)."""
        return who.post(f"{base}/{path}", headers=sent, json=json).status_code

    assert (
        client.post(f"{base}/shares", json={"zone": "PZ Polder", "purpose": "p"}).status_code == 403
    )  # no CSRF header
    past = {"zone": "PZ Polder", "purpose": "p", "valid_until": "2020-01-01T00:00:00+00:00"}
    assert posted("shares", past) == 422
    naive = {"zone": "PZ Polder", "purpose": "p", "valid_until": "2099-01-01T00:00:00"}
    assert posted("shares", naive) == 422  # no time zone
    until = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
    shared = client.post(
        f"{base}/shares",
        headers=headers,
        json={
            "zone": "PZ Polder",
            "permission": "contribute",
            "purpose": "joint team",
            "valid_until": until.astimezone(timezone(timedelta(hours=2))).isoformat(),
        },
    )
    assert shared.status_code == 201, shared.text
    share = shared.json()["shares"][0]
    assert (share["zone"], share["permission"]) == ("PZ Polder", "contribute")
    assert share["valid_until"].startswith(until.isoformat()[:19])  # stored in UTC
    assert polder.get(base).status_code == 200

    recorded = client.post(
        f"{base}/custody",
        headers=headers,
        json={
            "action": "transferred",
            "evidence": item,
            "location": "Labo 3",
            "reason": "check-in after imaging",
            "occurred_at": "2026-01-05T09:30:00+01:00",
        },
    )
    assert recorded.status_code == 201, recorded.text
    head = recorded.json()
    log = client.get(f"{base}/custody").json()
    assert log[-1]["seq"] == head["seq"] and log[-1]["event_hash"] == head["event_hash"]
    assert (log[-1]["location"], log[-1]["occurred_at"][:19]) == ("Labo 3", "2026-01-05T08:30:00")
    assert posted("custody", {"action": "note", "reason": "  "}) == 422
    assert posted("custody", {"action": "intake", "reason": "r"}) == 422
    assert posted("custody", {"action": "note", "reason": "r", "evidence": "no-such-item"}) == 404

    assert posted("close", {"reason": "ours"}, polder, polder_headers) == 403
    assert posted("shares", {"zone": "PZ Westkust", "purpose": "p"}, polder, polder_headers) == 403
    assert denied(make_lab, "polder_inv", "case.close", case.id)
    assert denied(make_lab, "polder_inv", "case.share", case.id)

    revoked = client.post(
        f"{base}/shares/revoke",
        headers=headers,
        json={"zone": "PZ Polder", "reason": "team dissolved"},
    )
    assert revoked.status_code == 200 and revoked.json()["shares"][0]["revoked_at"]
    assert polder.get(base).status_code == 404  # revoked: as a case that is not there
    assert posted("shares/revoke", {"zone": "PZ Polder", "reason": "again"}) == 404

    assert posted("close", {}) == 422
    closed = client.post(f"{base}/close", headers=headers, json={"reason": "done"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert posted("close", {"reason": "again"}) == 422
    verify = client.post(f"{base}/custody/verify", headers=headers).json()
    assert verify["ok"] and verify["head_seq"] == closed.json()["head_seq"]

    paths = app.openapi()["paths"]
    for path in (
        "/api/v1/cases/{ref}/shares",
        "/api/v1/cases/{ref}/shares/revoke",
        "/api/v1/cases/{ref}/close",
        "/api/v1/cases/{ref}/custody",
    ):
        assert "post" in paths[path] and "requestBody" in paths[path]["post"], path
