"""The access gate through the web: another zone's run id in ``?run=``, and uploads whose
access or case state changed before ``complete``."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.tasks import submit
from lccu.testing.images import PlantedManifest
from lccu.testing.processing import drain_here
from tests.web.helpers import login, upload_file

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _refusals(make_lab: Callable[..., Lab], user: str, object_id: str) -> list[bool]:
    return [
        e.allowed
        for e in make_lab("dpo").audit_log()
        if e.username == user and e.object_id == object_id
    ]


def test_another_zones_run_in_query_is_refused(
    client: TestClient,
    new_client: Callable[[], TestClient],
    make_lab: Callable[..., Lab],
    planted_disk: PlantedManifest,
) -> None:
    """polder_inv asks for her own item's report with vlas_inv's run id: 404 on the page
    and the API, each attempt one refused audit entry, and no byte of vlas_inv's report."""
    vlas, polder = make_lab("vlas_inv"), make_lab("polder_inv")
    a_case = vlas.create_case("Vlas")
    a_item = vlas.add_evidence(a_case.id, planted_disk.image, description="A")
    b_case = polder.create_case("Polder")
    b_item = polder.add_evidence(b_case.id, planted_disk.image, description="B")
    a_run = submit(vlas, a_item.id, yara=False, carve="none", expand=False).run_id
    submit(polder, b_item.id, yara=False, carve="none", expand=False)
    drain_here(make_lab("op"))
    login(client, "polder_inv")
    page = client.get(f"/evidence/{b_item.id}/report", params={"run": a_run})
    api = client.get(f"/api/v1/evidence/{b_item.id}/report", params={"run": a_run})
    assert (page.status_code, api.status_code) == (404, 404), (page.text, api.text)
    assert a_item.id not in page.text + api.text
    assert _refusals(make_lab, "polder_inv", a_run) == [False, False]
    own = client.get(f"/api/v1/evidence/{b_item.id}/report")
    assert own.status_code == 200 and own.json()["image"]["sha256"] == b_item.sha256
    # PZ Vlas's operator (who runs the unit's workers) gets no other zone's report or runs
    operator = new_client()
    login(operator, "op")
    for path in (
        f"/api/v1/evidence/{b_item.id}/report",
        f"/evidence/{b_item.id}/report",
        f"/evidence/{b_item.id}/processing",
    ):
        assert operator.get(path).status_code == 404, path  # as if there were no such item


@pytest.mark.parametrize("change", ["revoke", "close"])
def test_upload_completed_after_access_changed_is_refused(
    client: TestClient, make_lab: Callable[..., Lab], change: str
) -> None:
    """An upload to a shared case: the share revoked (or the case closed) after the last
    chunk, ``complete`` is refused (404 / 422) and no item lands in the case."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Shared for uploads")
    vlas.share_case(case.id, "PZ Polder", purpose="Polder uploads the images")
    csrf = login(client, "polder_inv")
    upload_id, _ = upload_file(client, csrf, case.id, os.urandom(5000), complete=False)
    if change == "revoke":
        vlas.revoke_share(case.id, "PZ Polder", reason="no longer needed")
    else:
        vlas.close_case(case.id, reason="closed mid-upload")
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers={"X-CSRF-Token": csrf})
    # the share revoked: the case is no longer the zone's to see (404, as if not there)
    assert done.status_code == (404 if change == "revoke" else 422), done.text
    assert vlas.list_evidence(case.id) == []
    refused = [
        e
        for e in make_lab("dpo").audit_log()
        if e.username == "polder_inv" and e.operation == "evidence.add"
    ]
    assert [e.allowed for e in refused] == [True, False]  # at the start, at completion
