"""Cross-zone hit/no-hit on the web (issue 18): PZ Polder's investigator opens the item's
page, sees hit or no-hit and the zone's name only (the HTML holds nothing of PZ Vlas's
case), requests a disclosure; PZ Vlas's investigator grants one request and refuses
another on the requests page. Another zone, an operator, the DPO and a zone not enabled
are refused on every new route, each refusal audited once, as refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.web.auth import set_password
from tests.evidence.test_xzone import POLDER_ONLY, SHARED, Zones, offer_zones
from tests.web.helpers import PASSWORD, login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
#: what PZ Polder must never see of PZ Vlas's case (ids, number, title, exhibit, run, user)
SECRETS = ("Tulip", "VLAS-EXH-7", "run-vlas")


def _secrets(zones: Zones) -> tuple[str, ...]:
    return (zones.vlas_case, zones.vlas_number, zones.vlas_item, *SECRETS)


def _request_ids(page: str) -> list[str]:
    return re.findall(r'<tr id="request-([0-9a-f-]{36})"', page)


def test_hit_request_grant_and_refuse_on_pages(
    client: TestClient,
    new_client: Callable[[], TestClient],
    make_lab: Callable[..., Lab],
    tmp_path: Path,
) -> None:
    """The hit page shows hit/no-hit and "PZ Vlas", in Dutch, and no field of Vlas's case;
    a request made there reaches Vlas's page, where a grant discloses the case number and
    contact to Polder and a refusal discloses nothing (not even its reason)."""
    zones = offer_zones(make_lab, tmp_path)
    csrf = login(client, "polder_inv")
    page = client.get(f"/evidence/{zones.polder_item}/xzone", params={"lang": "nl"})
    assert page.status_code == 200, page.text
    rows = re.findall(r'<tr id="sha-([0-9a-f]{64})" data-hit="(yes|no)">', page.text)
    assert rows == [(SHARED, "yes"), (POLDER_ONLY, "no")]
    assert "treffer:" in page.text and "geen treffer" in page.text and "PZ Vlas" in page.text
    for secret in _secrets(zones):
        assert secret not in page.text, secret

    form = {"sha256": SHARED, "zone": "PZ Vlas", "purpose": "zelfde slachtoffer?"}
    assert (
        client.post(
            f"/evidence/{zones.polder_item}/xzone/request", data=form, follow_redirects=False
        ).status_code
        == 403
    )  # no CSRF token
    for _ in range(2):
        made = client.post(
            f"/evidence/{zones.polder_item}/xzone/request",
            data={**form, "csrf": csrf},
            follow_redirects=False,
        )
        assert made.status_code == 303, made.text
        assert made.headers["location"].startswith("/xzone/requests#request-")
    sent = client.get("/xzone/requests", params={"lang": "nl"}).text
    first, second = sorted(_request_ids(sent))
    for secret in _secrets(zones):
        assert secret not in sent, secret

    vlas = new_client()
    vlas_csrf = login(vlas, "vlas_inv")
    received = vlas.get("/xzone/requests", params={"lang": "nl"}).text
    assert sorted(_request_ids(received)) == [first, second]
    assert f'<option value="{zones.vlas_number}">' in received and "Inwilligen" in received
    granted = vlas.post(
        f"/xzone/requests/{first}/grant",
        follow_redirects=False,
        data={"case": zones.vlas_number, "contact": "Insp. Peeters", "csrf": vlas_csrf},
    )
    assert granted.status_code == 303, granted.text
    refused = vlas.post(
        f"/xzone/requests/{second}/refuse",
        follow_redirects=False,
        data={"reason": "lopend geheim onderzoek", "csrf": vlas_csrf},
    )
    assert refused.status_code == 303, refused.text

    seen = client.get("/xzone/requests", params={"lang": "nl"}).text
    row = {rid: seen[seen.index(f'id="request-{rid}"') :] for rid in (first, second)}
    row = {rid: text[: text.index("</tr>")] for rid, text in row.items()}
    assert zones.vlas_number in row[first] and "Insp. Peeters" in row[first]
    assert "ingewilligd" in row[first] and "geweigerd" in row[second]
    assert zones.vlas_number not in row[second]
    assert "lopend geheim onderzoek" not in seen and "Tulip" not in seen


def _audit(make_lab: Callable[..., Lab]) -> list[tuple[str, str, bool]]:
    """Every entry but the DPO's own reads of the log (this helper's)."""
    return [
        (e.username, e.operation, e.allowed)
        for e in make_lab("dpo").audit_log()
        if e.operation != "audit.read"
    ]


def test_every_xzone_route_refuses_others_once(
    client: TestClient,
    new_client: Callable[[], TestClient],
    make_lab: Callable[..., Lab],
    tmp_path: Path,
) -> None:
    """Vlas's investigator and operator (another zone), Vlas's operator on its own zone's
    item, the DPO and the unit admin get 403 or 404 on each cross-zone route, and each
    attempt adds exactly one audit entry, a refusal; Polder after its zone is disabled too."""
    zones = offer_zones(make_lab, tmp_path)
    csrf = login(client, "polder_inv")
    made = client.post(
        f"/evidence/{zones.polder_item}/xzone/request",
        follow_redirects=False,
        data={"sha256": SHARED, "zone": "PZ Vlas", "purpose": "p", "csrf": csrf},
    )
    assert made.status_code == 303, made.text
    request_id = made.headers["location"].rsplit("request-", 1)[1]
    admin_lab = make_lab("admin")
    set_password(admin_lab.db, admin_lab.actor, "admin", PASSWORD)

    browsers: dict[str, tuple[TestClient, str]] = {}
    for user in ("vlas_inv", "op", "dpo", "admin"):
        browser = new_client()
        browsers[user] = (browser, login(browser, user))

    def refused_once(
        user: str,
        method: str,
        url: str,
        data: dict[str, str] | None = None,
    ) -> None:
        browser, token = browsers[user]
        before = _audit(make_lab)
        if method == "GET":
            answer = browser.get(url)
        else:
            answer = browser.post(url, data={**(data or {}), "csrf": token}, follow_redirects=False)
        assert answer.status_code in (403, 404), (user, url, answer.status_code, answer.text)
        added = _audit(make_lab)[len(before) :]
        assert [(u, allowed) for u, _op, allowed in added] == [(user, False)], (user, url, added)
        for secret in _secrets(zones):
            assert secret not in answer.text or user == "vlas_inv", (user, url, secret)

    for user in ("vlas_inv", "op", "dpo", "admin"):
        refused_once(user, "GET", f"/evidence/{zones.polder_item}/xzone")
        refused_once(
            user,
            "POST",
            f"/evidence/{zones.polder_item}/xzone/request",
            {"sha256": SHARED, "zone": "PZ Vlas", "purpose": "p"},
        )
    refused_once("op", "GET", f"/evidence/{zones.vlas_item}/xzone")  # its own zone's item
    for user in ("op", "dpo", "admin"):
        refused_once(user, "GET", "/xzone/requests")
        refused_once(
            user, "POST", f"/xzone/requests/{request_id}/grant", {"case": zones.vlas_number}
        )
        refused_once(user, "POST", f"/xzone/requests/{request_id}/refuse", {"reason": "r"})
    # the requester cannot decide its own request (it is not to its zone)
    browsers["polder_inv"] = (client, csrf)
    refused_once("polder_inv", "POST", f"/xzone/requests/{request_id}/grant", {})
    # a zone not enabled neither asks nor is asked
    admin_lab.xzone_disable("PZ Polder", reason="DPO advice withdrawn")
    refused_once("polder_inv", "GET", f"/evidence/{zones.polder_item}/xzone")
