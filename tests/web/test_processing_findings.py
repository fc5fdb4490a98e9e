"""The processing page names what a run could not analyse: an encrypted volume makes the
run "done with warnings" there too, with the volume named."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.encrypted import EncryptedDisk
from tests.web.helpers import login
from tests.web.test_processing import wait_done


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_page_names_encrypted_volumes(client: TestClient, app: FastAPI,
                                      make_lab: Callable[..., Lab],
                                      encrypted_disk: EncryptedDisk) -> None:  # fmt: skip
    lab = make_lab("vlas_inv")
    case = lab.create_case("Encrypted disk")
    evidence_id = lab.add_evidence(case.id, encrypted_disk.image, description="disk").id
    csrf = login(client, "vlas_inv")
    answer = client.post(
        f"/api/v1/evidence/{evidence_id}/processing",
        json={"priority": "normal"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 202, answer.text
    view = wait_done(client, evidence_id, timeout=120)
    assert app.state.web.processor.wait(30)
    [run] = view["runs"]
    assert run["state"] == "done" and run["outcome"] == "done with warnings", run
    page = client.get(f"/evidence/{evidence_id}/processing?lang=en")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'data-outcome="done with warnings"' in text
    assert "warning: volume 3: BitLocker-encrypted, not analysed" in text
    assert "warning: volume 4: LUKS2-encrypted, not analysed" in text
    assert "warning: volume 5: looks encrypted" in text
    dutch = client.get(f"/evidence/{evidence_id}/processing?lang=nl")
    assert "klaar, met waarschuwingen" in dutch.text
