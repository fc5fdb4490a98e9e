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
from tests.web.test_processing import process_and_wait


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_page_names_encrypted_volumes(client: TestClient, app: FastAPI,
                                      make_lab: Callable[..., Lab],
                                      encrypted_disk: EncryptedDisk) -> None:  # fmt: skip
    lab = make_lab("vlas_inv")
    case = lab.create_case("Encrypted disk")
    evidence_id = lab.add_evidence(case.id, encrypted_disk.image, description="disk").id
    view = process_and_wait(client, app, evidence_id, timeout=120)
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
