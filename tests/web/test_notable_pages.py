"""Notable marks and hash sets on the web (issue 18): the hash set register for the unit
admin and operators; the unit admin's page of marks; every other role refused on every new
route, each refusal audited once, as refused."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.web.auth import set_password
from tests.web.helpers import PASSWORD, PlantedItem, login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def audit_entries(make_lab: Callable[..., Lab]) -> list[tuple[str, str, bool]]:
    """Every entry but the DPO's own reads of the log (the helper's)."""
    return [
        (e.username, e.operation, e.allowed)
        for e in make_lab("dpo").audit_log()
        if e.operation != "audit.read"
    ]


def admin_client(
    make_lab: Callable[..., Lab], new_client: Callable[[], TestClient]
) -> tuple[TestClient, str]:
    admin = make_lab("admin")
    set_password(admin.db, admin.actor, "admin", PASSWORD)
    browser = new_client()
    return browser, login(browser, "admin")


def test_hash_set_register_for_admin_and_operators(
    make_lab: Callable[..., Lab], new_client: Callable[[], TestClient], tmp_path: Path
) -> None:
    """Two versions of a set imported by the admin show with name, version, kind, rows,
    who imported them and which is active, in Dutch; an investigator and the DPO get 403,
    audited once each as ``hashset.list`` refused."""
    sums = tmp_path / "fraude.md5"
    lines = [f"{hashlib.md5(w.encode()).hexdigest()}  {w}.txt" for w in ("a", "b")]
    sums.write_text("\n".join([*lines, "not a hash line"]) + "\n")
    admin_lab = make_lab("admin")
    admin_lab.hashset_import("fraudekits", sums, kind="notable", fmt="md5sum")
    sums.write_text(lines[0] + "\n")
    admin_lab.hashset_import("fraudekits", sums, kind="notable", fmt="md5sum")
    admin, _csrf = admin_client(make_lab, new_client)
    for user, browser in (("admin", admin), ("op", new_client())):
        if user == "op":
            login(browser, "op")
        page = browser.get("/hashsets", params={"lang": "nl"})
        assert page.status_code == 200, page.text
        assert 'href="/hashsets"' in page.text  # in the menu
        rows = re.findall(
            r'<tr data-set="fraudekits" data-version="(\d)"><td>fraudekits</td><td>\d</td>'
            r"<td>([^<]+)</td>\s*<td>(\d+)(.*?)</tr>",
            page.text,
            re.S,
        )
        assert [(v, kind, entries) for v, kind, entries, _rest in rows] == [
            ("1", "opvallend", "2"),
            ("2", "opvallend", "1"),
        ]
        assert "1 onleesbare regels" in rows[0][3] and "admin" in rows[0][3]
        assert "actief" in rows[1][3] and "oudere versie" in rows[0][3]
    for user in ("vlas_inv", "dpo"):
        browser = new_client()
        login(browser, user)
        before = audit_entries(make_lab)
        assert browser.get("/hashsets").status_code == 403
        assert audit_entries(make_lab)[len(before) :] == [(user, "hashset.list", False)]
        assert 'href="/hashsets"' not in browser.get("/cases/new").text


def test_marks_page_refuses_all_but_the_unit_admin(
    make_lab: Callable[..., Lab], new_client: Callable[[], TestClient]
) -> None:
    """The admin's home is the page of marks, none yet (in Dutch); an investigator, an operator and
    the DPO get 403 on the page and on approve and reject (with a valid CSRF token), each
    audited once as refused; a post without the token is refused before anything."""
    admin, admin_csrf = admin_client(make_lab, new_client)
    page = admin.get("/cases", params={"lang": "nl"})  # the admin's home: no case list
    assert page.status_code == 200 and str(page.url).endswith("/notable")
    assert "Geen voorstellen te beslissen." in page.text
    assert 'href="/notable"' in page.text
    mark = "0" * 8 + "-0000-4000-8000-" + "0" * 12
    for user in ("vlas_inv", "polder_inv", "op", "dpo"):
        browser = new_client()
        csrf = login(browser, user)
        assert 'href="/notable"' not in browser.get("/cases/new").text
        for method, url, data in (
            ("GET", "/notable", None),
            ("POST", f"/notable/{mark}/approve", {"set_name": "unit notable", "csrf": csrf}),
            ("POST", f"/notable/{mark}/reject", {"reason": "no", "csrf": csrf}),
        ):
            before = audit_entries(make_lab)
            if method == "GET":
                answer = browser.get(url)
            else:
                answer = browser.post(url, data=data or {}, follow_redirects=False)
            assert answer.status_code == 403, (user, url, answer.text)
            added = audit_entries(make_lab)[len(before) :]
            assert [(u, ok) for u, _op, ok in added] == [(user, False)], (user, url, added)
    before = audit_entries(make_lab)
    no_token = admin.post(f"/notable/{mark}/reject", data={"reason": "x"}, follow_redirects=False)
    assert no_token.status_code == 403 and audit_entries(make_lab) == before
    missing = admin.post(
        f"/notable/{mark}/reject", data={"reason": "x", "csrf": admin_csrf}, follow_redirects=False
    )
    assert missing.status_code == 404


def _state_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-mark="[0-9a-f-]{36}" data-state="(\w+)">', page)


@pytest.mark.slow
def test_mark_from_the_file_page_and_decide(
    processed_item: PlantedItem,
    make_lab: Callable[..., Lab],
    new_client: Callable[[], TestClient],
) -> None:
    """vlas_inv proposes two files from their pages and sees each as proposed; PZ Polder
    (another zone, then with a read-only share) and Vlas's operator are refused once each;
    the admin's page lists both without case, item or path, rejects one with a reason and
    approves the other; the file pages then show "afgewezen" with the reason and
    "goedgekeurd" with the set and version, the rejected mark stays on the admin's page,
    and the register shows the set's one version with one row."""
    item, client = processed_item.item_id, processed_item.client
    csrf = processed_item.headers["X-CSRF-Token"]
    files = {f.path: f for f in make_lab("vlas_inv").files(item)}
    report, notes = files["/docs/report.txt"], files["/notes.txt"]
    first = client.get(f"/evidence/{item}/files/{report.id}", params={"lang": "nl"}).text
    assert "niet voorgesteld als opvallend" in first and 'id="mark-form"' in first

    def form(path: str, volume: int | None, token: str) -> dict[str, str]:
        return {
            "path": path,
            "volume": str(volume),
            "category": "fraudekit",
            "reason": "sjabloon van de brieven",
            "csrf": token,
        }

    for f in (report, notes):
        made = client.post(
            f"/evidence/{item}/files/{f.id}/notable",
            follow_redirects=False,
            data=form(f.path, f.volume, csrf),
        )
        assert made.status_code == 303, made.text
        assert made.headers["location"] == f"/evidence/{item}/files/{f.id}#notable"
    page = client.get(f"/evidence/{item}/files/{report.id}").text
    assert _state_rows(page) == ["proposed"] and "voorgesteld" in page

    polder = new_client()
    polder_csrf = login(polder, "polder_inv")
    op = new_client()
    op_csrf = login(op, "op")

    def refused_once(browser: TestClient, user: str, token: str, status: int = 403) -> None:
        before = audit_entries(make_lab)
        answer = browser.post(
            f"/evidence/{item}/files/{report.id}/notable",
            data=form(report.path, report.volume, token),
            follow_redirects=False,
        )
        assert answer.status_code == status, (user, answer.text)
        assert audit_entries(make_lab)[len(before) :] == [(user, "notable.mark", False)]

    refused_once(polder, "polder_inv", polder_csrf, 404)  # not shared: as if not there
    refused_once(op, "op", op_csrf)
    make_lab("vlas_inv").share_case(
        processed_item.case_id, "PZ Polder", purpose="samen", permission="read"
    )
    assert polder.get(f"/evidence/{item}/files/{report.id}").status_code == 200
    refused_once(polder, "polder_inv", polder_csrf)  # read-only: may look, not propose

    admin, admin_csrf = admin_client(make_lab, new_client)
    listing = admin.get("/notable", params={"lang": "nl"}).text
    pending = re.findall(r'<tr data-mark="([0-9a-f-]{36})"><td>fraudekit</td>', listing)
    assert len(pending) == 2 and "sjabloon van de brieven" in listing
    for secret in ("/docs/report.txt", "/notes.txt", processed_item.case_id, item):
        assert secret not in listing, secret
    marks = {m.path: m.id for m in make_lab("vlas_inv").notable_marks(item)}
    rejected = admin.post(
        f"/notable/{marks['/notes.txt']}/reject",
        follow_redirects=False,
        data={"reason": "bestand van het systeem", "csrf": admin_csrf},
    )
    assert rejected.status_code == 303, rejected.text
    approved = admin.post(
        f"/notable/{marks['/docs/report.txt']}/approve",
        data={"set_name": "unit notable", "csrf": admin_csrf},
        follow_redirects=False,
    )
    assert approved.status_code == 303, approved.text

    shown = client.get(f"/evidence/{item}/files/{notes.id}", params={"lang": "nl"}).text
    assert _state_rows(shown) == ["rejected"] and "afgewezen" in shown
    assert "bestand van het systeem" in shown
    shown = client.get(f"/evidence/{item}/files/{report.id}").text
    assert _state_rows(shown) == ["approved"] and "unit notable v1" in shown
    decided = admin.get("/notable").text
    assert sorted(_state_rows(decided)) == ["approved", "rejected"]
    assert "bestand van het systeem" in decided and "Geen voorstellen te beslissen." in decided
    register = admin.get("/hashsets").text
    assert re.search(
        r'data-set="unit notable" data-version="1">.*?<td>opvallend</td>\s*'
        r"<td>1<",
        register,
        re.S,
    )
