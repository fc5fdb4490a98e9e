"""Tags through the REST API (issue 20): add by path and SHA-256, list per case and item,
remove; bad input is 4xx, another zone 404 (as for ids that do not exist), everything
audited."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest
from tests.web.helpers import PlantedItem, login

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]


def test_tags_over_rest(
    client: TestClient,
    planted_item: PlantedItem,
    make_lab: Callable[..., Lab],
    new_client: Callable[[], TestClient],
    planted_disk: PlantedManifest,
) -> None:
    case_id, item_id, headers = planted_item.case_id, planted_item.item_id, planted_item.headers
    before = client.post(
        f"/api/v1/evidence/{item_id}/tags",
        headers=headers,
        json={"file": "/docs/report.txt", "label": "relevant"},
    )
    assert before.status_code == 404 and "no finished processing run" in before.text
    planted_item.process()

    planted = {f.path: f for f in planted_disk.files if f.path}
    added = client.post(
        f"/api/v1/evidence/{item_id}/tags",
        headers=headers,
        json={"file": "/docs/report.txt", "label": "relevant", "note": "the plan"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["sha256"] == planted["/docs/report.txt"].sha256
    by_hash = client.post(
        f"/api/v1/evidence/{item_id}/tags",
        headers=headers,
        json={"file": planted["/dir/picture.png"].sha256, "label": "to check"},
    )
    assert by_hash.status_code == 201 and by_hash.json()["path"] == "/dir/picture.png"
    for bad in (
        {"file": "/docs/report.txt", "label": "<b>"},
        {"file": "/docs/report.txt", "label": "x", "note": "a\x00b"},
        {"file": "/docs/report.txt", "label": "x", "volume": -1},
    ):
        answer = client.post(f"/api/v1/evidence/{item_id}/tags", headers=headers, json=bad)
        assert 400 <= answer.status_code < 500, (bad, answer.status_code)

    listed = client.get(f"/api/v1/cases/{case_id}/tags").json()
    assert [t["label"] for t in listed] == ["relevant", "to check"]
    assert client.get(f"/api/v1/evidence/{item_id}/tags").json() == listed
    removed = client.delete(
        f"/api/v1/tags/{listed[1]['id']}",
        headers=headers,
        params={"reason": "not relevant after all"},
    )
    assert removed.status_code == 200 and removed.json()["removed_by"] == "vlas_inv"
    assert [t["label"] for t in client.get(f"/api/v1/cases/{case_id}/tags").json()] == ["relevant"]

    other = new_client()
    other_csrf = login(other, "polder_inv")
    # another zone: 404, as for a case, item or tag that does not exist
    assert other.get(f"/api/v1/cases/{case_id}/tags").status_code == 404
    assert (
        other.post(
            f"/api/v1/evidence/{item_id}/tags",
            headers={"X-CSRF-Token": other_csrf},
            json={"file": "/docs/report.txt", "label": "x"},
        ).status_code
        == 404
    )
    assert (
        other.delete(
            f"/api/v1/tags/{listed[0]['id']}", headers={"X-CSRF-Token": other_csrf}
        ).status_code
        == 404
    )
    audit = {(e.username, e.operation, e.allowed) for e in make_lab("dpo").audit_log()}
    assert {("polder_inv", op, False) for op in ("tag.list", "tag.add", "tag.remove")} <= audit
    assert ("vlas_inv", "tag.remove", True) in audit

    # labels defined for the case (REST): then a tag takes one of them, and the file
    # page's form offers exactly those
    assert client.get(f"/api/v1/cases/{case_id}/tag-labels").json() == {"labels": []}
    made = client.post(
        f"/api/v1/cases/{case_id}/tag-labels", headers=headers, json={"label": "relevant"}
    )
    assert made.status_code == 201 and made.json() == {"labels": ["relevant"]}
    client.post(f"/api/v1/cases/{case_id}/tag-labels", headers=headers, json={"label": "privé"})
    assert client.get(f"/api/v1/cases/{case_id}/tag-labels").json() == {
        "labels": ["relevant", "privé"]
    }
    wrong = client.post(
        f"/api/v1/evidence/{item_id}/tags",
        headers=headers,
        json={"file": "/notes.txt", "label": "to check"},
    )
    assert wrong.status_code == 422 and "not one of the tag labels" in wrong.text
    unit_wide = client.post("/api/v1/tag-labels", headers=headers, json={"label": "x"})
    assert unit_wide.status_code == 403  # the unit's labels: the unit admin only
    assert (
        other.post(
            f"/api/v1/cases/{case_id}/tag-labels",
            headers={"X-CSRF-Token": other_csrf},
            json={"label": "x"},
        ).status_code
        == 404
    )
    notes = next(f for f in make_lab("vlas_inv").files(item_id) if f.path == "/notes.txt")
    form = client.get(f"/evidence/{item_id}/files/{notes.id}", params={"lang": "nl"}).text
    assert re.search(
        r'<select id="label" name="label" required><option value="relevant">relevant</option>'
        r'<option value="privé">privé</option></select>',
        form,
    ), form[form.find("tag-form") : form.find("tag-form") + 800]
