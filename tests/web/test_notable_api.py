"""Notable marks over REST (issue 18): an investigator proposes a file, another zone is
refused, the unit admin lists (no case, item or path) and approves; bad input is 4xx."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.web.auth import set_password
from tests.web.helpers import PASSWORD, PlantedItem, login

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]


def test_mark_and_approve_over_rest(
    client: TestClient,
    processed_item: PlantedItem,
    make_lab: Callable[..., Lab],
    new_client: Callable[[], TestClient],
) -> None:
    item_id, headers = processed_item.item_id, processed_item.headers
    made = client.post(
        f"/api/v1/evidence/{item_id}/notable",
        headers=headers,
        json={"file": "/docs/report.txt", "category": "fraud kit", "reason": "the plan"},
    )
    assert made.status_code == 201, made.text
    mark = made.json()
    assert mark["path"] == "/docs/report.txt" and mark["state"] == "proposed"
    for bad in (
        {"file": "/docs/report.txt", "category": "<b>", "reason": "x"},
        {"file": "/docs/report.txt", "category": "x", "reason": ""},
    ):
        answer = client.post(f"/api/v1/evidence/{item_id}/notable", headers=headers, json=bad)
        assert 400 <= answer.status_code < 500, (bad, answer.status_code)
    assert client.get("/api/v1/notable").status_code == 403
    assert (
        client.post(f"/api/v1/notable/{mark['id']}/approve", headers=headers, json={}).status_code
        == 403
    )

    other = new_client()
    other_headers = {"X-CSRF-Token": login(other, "polder_inv")}
    # another zone's item: 404, as for an item that does not exist
    assert other.get(f"/api/v1/evidence/{item_id}/notable").status_code == 404
    assert (
        other.post(
            f"/api/v1/evidence/{item_id}/notable",
            headers=other_headers,
            json={"file": "/docs/report.txt", "category": "x", "reason": "y"},
        ).status_code
        == 404
    )

    admin_lab = make_lab("admin")
    set_password(admin_lab.db, admin_lab.actor, "admin", PASSWORD)
    admin = new_client()
    admin_headers = {"X-CSRF-Token": login(admin, "admin")}
    listed = admin.get("/api/v1/notable").json()
    assert [m["id"] for m in listed] == [mark["id"]]
    assert not {"path", "case_id", "exhibit_number", "file"} & set(listed[0])
    approved = admin.post(
        f"/api/v1/notable/{mark['id']}/approve", headers=admin_headers, json={"set": "unit notable"}
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["set_version"]) == ("approved", 1)
    assert client.get(f"/api/v1/evidence/{item_id}/notable").json()[0]["state"] == "approved"
