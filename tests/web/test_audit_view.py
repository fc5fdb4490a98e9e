"""The DPO's audit view (issue 20): case numbers and names instead of ids, readable details,
filters by date range, case, user, zone, operation and verdict (``allowed=false`` as well
as ``no``), paging, CSV export and the chain verification button; nobody else gets it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from lccu.errors import AccessDenied
from lccu.evidence.lab import Lab
from tests.web.helpers import login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', page)]


def test_dpo_filters_pages_exports_and_verifies(
    client: TestClient, make_lab: Callable[..., Lab]
) -> None:
    """Refusals of one user in one case, found by every filter; 100 a page; the CSV holds
    exactly the filtered entries with the case number; the chain verifies."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Vlas only")
    other = vlas.create_case("Another")
    polder = make_lab("polder_inv")
    for _ in range(3):
        with pytest.raises(AccessDenied):
            polder.get_case(case.id)
    with pytest.raises(AccessDenied):
        polder.get_case(other.id)
    for _ in range(105):  # enough entries for two pages
        vlas.get_case(other.id)

    login(client, "dpo")
    page = client.get(
        "/audit",
        params={"username": "polder_inv", "allowed": "false", "case": case.number, "lang": "en"},
    )
    assert page.status_code == 200
    assert len(_seqs(page.text)) == 3 and 'data-allowed="yes"' not in page.text
    assert page.text.count(f"<strong>{case.number}</strong>") == 3  # the number, not the id
    assert f"<code>{case.id}</code>" not in page.text
    assert "<strong>why</strong>:" in page.text and "{&#34;why&#34;" not in page.text
    assert "<small>investigator</small>" in page.text  # the role, in the page's language
    dutch_roles = client.get("/audit", params={"username": "polder_inv", "lang": "nl"}).text
    assert "<small>onderzoeker</small>" in dutch_roles and ">investigator<" not in dutch_roles
    same = client.get(
        "/audit", params={"username": "polder_inv", "allowed": "no", "case": case.number}
    )
    assert _seqs(same.text) == _seqs(page.text)
    assert client.get("/audit", params={"allowed": "perhaps"}).status_code == 422

    today = datetime.now(ZoneInfo("Europe/Brussels")).date()
    dated = client.get(
        "/audit",
        params={
            "username": "polder_inv",
            "allowed": "no",
            "from": today.isoformat(),
            "to": today.isoformat(),
        },
    )
    assert len(_seqs(dated.text)) == 4
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert _seqs(client.get("/audit", params={"from": tomorrow}).text) == []
    by_operation = client.get("/audit", params={"operation": "case.", "username": "vlas_inv"})
    assert re.search(r'<span id="total">(\d+)</span>', by_operation.text).group(1) == "107"
    operations = set(re.findall(r"<small><code>([a-z_.]+)</code></small>", by_operation.text))
    assert operations == {"case.read"}  # the two case.create entries are on page 2
    by_zone = client.get("/audit", params={"zone": "PZ Westkust"})
    assert by_zone.status_code == 200 and _seqs(by_zone.text) == []  # nobody acted there
    in_polder = _seqs(client.get("/audit", params={"zone": "PZ Polder"}).text)
    entries = {e.seq: e for e in make_lab("dpo").audit_log()}
    assert in_polder == sorted(
        (q for q, e in entries.items() if "PZ Polder" in (e.zone, e.case_zone)), reverse=True
    )
    assert len(in_polder) == 4 and {entries[q].username for q in in_polder} == {"polder_inv"}

    first = client.get("/audit", params={"operation": "case.read", "username": "vlas_inv"})
    second = client.get(
        "/audit", params={"operation": "case.read", "username": "vlas_inv", "page": 2}
    )
    assert len(_seqs(first.text)) == 100 and len(_seqs(second.text)) == 5
    assert max(_seqs(second.text)) < min(_seqs(first.text))  # newest first
    assert 'rel="next"' in first.text and 'rel="next"' not in second.text

    exported = client.get("/audit.csv", params={"username": "polder_inv", "allowed": "false"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 4 and {r["allowed"] for r in rows} == {"False"}
    assert {r["case_number"] for r in rows} == {case.number, other.number}

    verify_page = client.get("/audit")
    csrf = re.search(r'name="csrf" value="([^"]+)"', verify_page.text)
    assert csrf
    verified = client.post("/audit/verify", data={"csrf": csrf.group(1)}, params={"lang": "en"})
    assert verified.status_code == 200 and "The audit chain is intact" in verified.text
    api = client.get("/api/v1/audit", params={"allowed": "false", "case": case.number}).json()
    assert len(api) == 3 and all(r["case_number"] == case.number for r in api)
    reads = [e for e in make_lab("dpo").audit_log() if e.operation == "audit.export"]
    assert len(reads) == 1 and reads[0].allowed


def test_nobody_else_gets_the_audit_view(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """An investigator gets 403 for the page, the CSV and the verification (audited)."""
    csrf = login(client, "vlas_inv")
    assert client.get("/audit").status_code == 403
    assert client.get("/audit.csv").status_code == 403
    assert client.post("/audit/verify", data={"csrf": csrf}).status_code == 403
    refused = {(e.username, e.operation) for e in make_lab("dpo").audit_log() if not e.allowed}
    assert {
        ("vlas_inv", "audit.read"),
        ("vlas_inv", "audit.export"),
        ("vlas_inv", "audit.verify"),
    } <= refused
