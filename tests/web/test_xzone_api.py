"""Cross-zone hit/no-hit over REST (issue 18): the answer to PZ Polder carries no field of
PZ Vlas's case beyond the zone name, checked field by field on the response; probing,
other zones' items and other zones' requests are refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from tests.evidence.test_xzone import POLDER_ONLY, SHARED, VLAS_ONLY, offer_zones, sha
from tests.web.helpers import login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_hit_no_hit_request_grant_over_rest(
    client: TestClient,
    new_client: Callable[[], TestClient],
    make_lab: Callable[..., Lab],
    tmp_path: Path,
) -> None:
    zones = offer_zones(make_lab, tmp_path)
    headers = {"X-CSRF-Token": login(client, "polder_inv")}
    answer = client.post(
        "/api/v1/xzone/lookup", headers=headers, json={"case": zones.polder_case, "sha256": SHARED}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert sorted(body) == ["hit", "sha256", "zones"]
    assert body["sha256"] == SHARED and body["hit"] is True and body["zones"] == ["PZ Vlas"]
    for secret in (zones.vlas_case, zones.vlas_number, zones.vlas_item, "Tulip", "VLAS-EXH-7"):
        assert secret not in answer.text
    miss = client.post(
        "/api/v1/xzone/lookup",
        headers=headers,
        json={"case": zones.polder_case, "sha256": POLDER_ONLY},
    )
    assert miss.json() == {"sha256": POLDER_ONLY, "hit": False, "zones": []}
    for probe in (VLAS_ONLY, sha("chosen")):
        refused = client.post(
            "/api/v1/xzone/lookup",
            headers=headers,
            json={"case": zones.polder_case, "sha256": probe},
        )
        assert refused.status_code == 403, refused.text
    assert (
        client.post(
            "/api/v1/xzone/lookup",
            headers=headers,
            json={"case": zones.vlas_case, "sha256": VLAS_ONLY},
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/xzone/lookup",
            headers=headers,
            json={"case": zones.polder_case, "sha256": "x" * 64},
        ).status_code
        == 422
    )
    hits = client.get(f"/api/v1/evidence/{zones.polder_item}/xzone-hits").json()
    assert hits == [
        {"sha256": SHARED, "hit": True, "zones": ["PZ Vlas"]},
        {"sha256": POLDER_ONLY, "hit": False, "zones": []},
    ]
    assert client.get(f"/api/v1/evidence/{zones.vlas_item}/xzone-hits").status_code == 404

    made = client.post(
        "/api/v1/xzone/requests",
        headers=headers,
        json={
            "case": zones.polder_case,
            "sha256": SHARED,
            "zone": "PZ Vlas",
            "purpose": "same victim?",
        },
    )
    assert made.status_code == 201, made.text
    request_id = made.json()["id"]
    assert "case_number" not in made.json() and "contact" not in made.json()
    assert (
        client.post(
            f"/api/v1/xzone/requests/{request_id}/grant", headers=headers, json={}
        ).status_code
        == 404
    )

    vlas = new_client()
    vlas_headers = {"X-CSRF-Token": login(vlas, "vlas_inv")}
    incoming = vlas.get("/api/v1/xzone/requests").json()
    assert [(r["id"], r["holding_cases"]) for r in incoming] == [(request_id, [zones.vlas_number])]
    granted = vlas.post(
        f"/api/v1/xzone/requests/{request_id}/grant",
        headers=vlas_headers,
        json={"contact": "Insp. Peeters"},
    )
    assert granted.status_code == 200, granted.text
    seen = client.get(f"/api/v1/xzone/requests/{request_id}").json()
    assert {k: seen[k] for k in ("state", "case_number", "contact")} == {
        "state": "granted",
        "case_number": zones.vlas_number,
        "contact": "Insp. Peeters",
    }
    assert sorted(seen) == sorted(
        [
            "id",
            "sha256",
            "from_zone",
            "to_zone",
            "purpose",
            "requested_by",
            "requested_at",
            "state",
            "decided_by",
            "decided_at",
            "from_case",
            "case_number",
            "contact",
        ]
    )
    assert "Tulip" not in json.dumps(seen) and zones.vlas_case not in json.dumps(seen)
