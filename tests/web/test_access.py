"""Zone boundaries through the web layer: denials, justification, DPO audit view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from tests.web.helpers import login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_other_zone_case_is_denied_and_audited(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """Another zone's unshared case is 404 by API and page, as a case that does not exist
    (a 403 would say that it exists, and whose it is), and the denial is in the audit log."""
    case = make_lab("vlas_inv").create_case("Vlas only")
    login(client, "polder_inv")
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 404
    assert client.get(f"/api/v1/cases/{case.id}/evidence").status_code == 404
    assert client.get(f"/api/v1/cases/{case.id}/custody").status_code == 404
    page = client.get(f"/cases/{case.id}", params={"justification": "curious"})
    assert page.status_code == 404
    assert "Vlas only" not in page.text and "PZ Vlas" not in page.text
    denied = [
        e
        for e in make_lab("dpo").audit_log()
        if e.username == "polder_inv" and not e.allowed and e.case_id == case.id
    ]
    assert len(denied) >= 4


def test_shared_case_asks_for_justification_and_logs_it(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """A case shared with the user's zone first asks why; the reason reaches the audit log."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Shared fraud")
    vlas.share_case(case.id, "PZ Polder", purpose="joint investigation")
    login(client, "polder_inv")
    ask = client.get(f"/cases/{case.id}")
    assert ask.status_code == 200 and 'name="justification"' in ask.text
    assert "Shared fraud" not in ask.text
    shown = client.get(f"/cases/{case.id}", params={"justification": "PV 123/2026 suspect"})
    assert shown.status_code == 200 and "Shared fraud" in shown.text
    reads = [
        e
        for e in make_lab("dpo").audit_log()
        if e.operation == "case.read" and e.username == "polder_inv"
    ]
    assert reads[-1].justification == "PV 123/2026 suspect"


def test_unknown_case_asks_like_a_foreign_one(client: TestClient) -> None:
    """An unknown reference gets the same justification question (existence does not leak),
    then 404."""
    login(client, "polder_inv")
    assert 'name="justification"' in client.get("/cases/LCCU-1999-99999").text
    assert client.get("/cases/LCCU-1999-99999", params={"justification": "x"}).status_code == 404


def test_case_ref_traversal_is_harmless(client: TestClient) -> None:
    """Path-like case references never reach a file: they are simply unknown cases."""
    csrf = login(client, "vlas_inv")
    for ref in ("..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "....//....//etc"):
        answer = client.get(f"/api/v1/cases/{ref}/evidence")
        assert answer.status_code in (404, 405), (ref, answer.status_code)
        start = client.post(
            f"/api/v1/cases/{ref}/uploads",
            headers={"X-CSRF-Token": csrf},
            json={"filename": "a", "size": 1, "description": "d"},
        )
        assert start.status_code in (404, 405), (ref, start.status_code)


def test_dpo_audit_view_filters(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """The DPO sees refusals filtered by user and allowed flag; others may not see the log."""
    case = make_lab("vlas_inv").create_case("Vlas only")
    with pytest.raises(PermissionError):
        make_lab("polder_inv").get_case(case.id)
    login(client, "dpo")
    page = client.get("/audit", params={"username": "polder_inv", "allowed": "no"})
    assert page.status_code == 200
    assert "case.read" in page.text
    rows = client.get("/api/v1/audit", params={"username": "polder_inv", "allowed": False}).json()
    assert rows and all(r["username"] == "polder_inv" and not r["allowed"] for r in rows)
    by_zone = client.get("/api/v1/audit", params={"zone": "PZ Westkust"}).json()
    assert all("PZ Westkust" in (r["zone"], r["case_zone"]) for r in by_zone)
    assert client.get("/api/v1/cases").status_code == 403  # a dpo reads no case contents


def test_non_dpo_cannot_read_audit(client: TestClient) -> None:
    """An investigator asking for the audit log gets 403."""
    login(client, "vlas_inv")
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get("/audit").status_code == 403


def test_case_pages_and_custody_verify(client: TestClient) -> None:
    """Creating a case by form shows it in the list; verifying custody reports the head hash."""
    csrf = login(client, "vlas_inv")
    made = client.post(
        "/cases/new",
        data={"title": "Phishing <script>x</script>", "reference": "PV 42", "csrf": csrf},
        follow_redirects=False,
    )
    assert made.status_code == 303
    case_url = made.headers["location"]
    listing = client.get("/cases")
    assert "Phishing &lt;script&gt;" in listing.text and "<script>x" not in listing.text
    result = client.post(f"{case_url}/verify", data={"csrf": csrf})
    assert result.status_code == 200
    case_id = case_url.rsplit("/", 1)[1]
    head = client.post(
        f"/api/v1/cases/{case_id}/custody/verify", headers={"X-CSRF-Token": csrf}
    ).json()
    assert head["ok"] and head["head_hash"] in result.text
    assert 'id="verify-result"' in result.text


def test_language_switch(client: TestClient) -> None:
    """Dutch by default; ?lang=en switches the interface and is remembered."""
    assert "Aanmelden" in client.get("/login").text
    assert "Log in" in client.get("/login", params={"lang": "en"}).text
    assert "Log in" in client.get("/login").text


def test_verify_shows_first_broken_event(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """After the custody log is edited in the database, the verify button names that event."""
    from tests.evidence.conftest import tamper

    lab = make_lab("vlas_inv")
    case = lab.create_case("Tampered")
    lab.record_event(case.id, "note", reason="magistrate informed")
    tamper(
        lab, "UPDATE custody_events SET reason = 'edited' WHERE case_id = :c AND seq = 2", c=case.id
    )
    csrf = login(client, "vlas_inv")
    page = client.post(f"/cases/{case.id}/verify", data={"csrf": csrf})
    assert page.status_code == 200
    assert 'class="notice bad"' in page.text and "event 2" in page.text
    api = client.post(
        f"/api/v1/cases/{case.id}/custody/verify", headers={"X-CSRF-Token": csrf}
    ).json()
    assert not api["ok"] and api["first_problem"].startswith("event 2")


def test_custody_export_download(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """The export endpoint returns the JSON Lines log and records the export with its
    recipient; the server keeps no copy in its scratch area."""
    import json

    case = make_lab("vlas_inv").create_case("Export me")
    csrf = login(client, "vlas_inv")
    answer = client.post(
        f"/api/v1/cases/{case.id}/custody/export",
        params={"recipient": "Parket West-Vlaanderen"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200
    lines = [json.loads(line) for line in answer.text.splitlines() if line.strip()]
    assert len(lines) >= 2
    events = make_lab("vlas_inv").custody_log(case.id)
    assert events[-1]["action"] == "exported"
    assert "Parket West-Vlaanderen" in json.dumps(events[-1])
    scratch = client.app.state.web.settings.home / "web" / "scratch"
    assert list(scratch.iterdir()) == []
