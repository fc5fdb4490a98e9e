"""Chunked uploads: only a complete upload becomes evidence, never silently a bad one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lccu.config import Settings
from lccu.evidence.lab import Lab
from tests.web.helpers import MAX_UPLOAD, login, upload_file

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DATA = bytes(range(256)) * 20  # 5120 bytes


def scratch_files(settings: Settings) -> list[Path]:
    root = Path(settings.home) / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def case_id(make_lab: Callable[..., Lab]) -> str:
    return make_lab("vlas_inv").create_case("Upload target").id


def test_complete_upload_becomes_evidence(client: TestClient, case_id: str,
                                          make_lab: Callable[..., Lab],
                                          unit: Settings) -> None:
    """A fully sent upload with matching declared hashes is stored with the right hashes,
    an intake custody event, and the scratch copy is gone."""
    csrf = login(client, "vlas_inv")
    declared = {"sha256": hashlib.sha256(DATA).hexdigest(), "md5": hashlib.md5(DATA).hexdigest()}
    _, done = upload_file(client, csrf, case_id, DATA, declared=declared)
    assert done.status_code == 201, done.text
    item = done.json()
    assert item["state"] == "stored" and item["sha256"] == declared["sha256"]
    assert item["sha1"] == hashlib.sha1(DATA).hexdigest()
    assert [i.id for i in make_lab("vlas_inv").list_evidence(case_id)] == [item["id"]]
    events = make_lab("vlas_inv").custody_log(case_id)
    assert events[-1]["action"] == "intake" and events[-1]["details"]["source_name"] == "image.dd"
    assert scratch_files(unit) == []
    page = client.get(f"/cases/{case_id}")
    assert item["sha256"] in page.text and "EXH-001" in page.text


def test_interrupted_upload_records_nothing(client: TestClient, case_id: str,
                                            make_lab: Callable[..., Lab]) -> None:
    """Completing an upload that got only some chunks is refused (409); no item exists."""
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    start = client.post(f"/api/v1/cases/{case_id}/uploads", headers=headers,
                        json={"filename": "a.dd", "size": len(DATA), "description": "d"})
    upload_id = start.json()["upload_id"]
    client.put(f"/api/v1/uploads/{upload_id}", params={"offset": 0}, content=DATA[:2000],
               headers=headers)
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    assert done.status_code == 409
    assert make_lab("vlas_inv").list_evidence(case_id) == []
    assert client.get(f"/api/v1/uploads/{upload_id}").json()["offset"] == 2000


def test_resume_from_expected_offset(client: TestClient, case_id: str) -> None:
    """A chunk at the wrong offset gets 409 with the expected one; resuming there completes."""
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    upload_id = client.post(f"/api/v1/cases/{case_id}/uploads", headers=headers, json={
        "filename": "a.dd", "size": len(DATA), "description": "d"}).json()["upload_id"]
    client.put(f"/api/v1/uploads/{upload_id}", params={"offset": 0}, content=DATA[:3000],
               headers=headers)
    wrong = client.put(f"/api/v1/uploads/{upload_id}", params={"offset": 1000},
                       content=DATA[1000:], headers=headers)
    assert wrong.status_code == 409 and wrong.json()["expected_offset"] == 3000
    again = client.put(f"/api/v1/uploads/{upload_id}", params={"offset": 3000},
                       content=DATA[3000:], headers=headers)
    assert again.json()["offset"] == len(DATA)
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    assert done.json()["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_oversized_upload_is_refused(client: TestClient, case_id: str,
                                     make_lab: Callable[..., Lab], unit: Settings) -> None:
    """Declaring more than the maximum is refused (413); sending more than declared discards
    the upload; neither records anything."""
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    too_big = client.post(f"/api/v1/cases/{case_id}/uploads", headers=headers, json={
        "filename": "big.dd", "size": MAX_UPLOAD + 1, "description": "d"})
    assert too_big.status_code == 413
    upload_id = client.post(f"/api/v1/cases/{case_id}/uploads", headers=headers, json={
        "filename": "a.dd", "size": 100, "description": "d"}).json()["upload_id"]
    over = client.put(f"/api/v1/uploads/{upload_id}", params={"offset": 0}, content=DATA,
                      headers=headers)
    assert over.status_code == 413
    assert client.post(f"/api/v1/uploads/{upload_id}/complete",
                       headers=headers).status_code == 404
    assert make_lab("vlas_inv").list_evidence(case_id) == []
    assert scratch_files(unit) == []


def test_hash_mismatch_is_recorded_loudly(client: TestClient, case_id: str,
                                          make_lab: Callable[..., Lab]) -> None:
    """A wrong declared hash is recorded as state hash-mismatch and shown in red on the page."""
    csrf = login(client, "vlas_inv")
    _, done = upload_file(client, csrf, case_id, DATA, declared={"sha256": "0" * 64})
    item = done.json()
    assert item["state"] == "hash-mismatch" and item["hash_mismatches"] == ["sha256"]
    events = make_lab("vlas_inv").custody_log(case_id)
    assert "MISMATCH" in events[-1]["reason"]
    page = client.get(f"/cases/{case_id}").text
    assert 'class="bad"' in page and "HASH KOMT NIET OVEREEN" in page


def test_upload_file_name_traversal_is_harmless(client: TestClient, case_id: str,
                                                unit: Settings) -> None:
    """A file name full of ../ is reduced to a plain name inside the upload folder."""
    csrf = login(client, "vlas_inv")
    upload_id, _ = upload_file(client, csrf, case_id, DATA,
                               filename="../../../../etc/passwd", complete=False)
    files = scratch_files(unit)
    root = (Path(unit.home) / "uploads").resolve()
    assert files and all(root in p.resolve().parents for p in files)
    status = client.get(f"/api/v1/uploads/{upload_id}").json()
    assert status["filename"] == "passwd"
    done = client.post(f"/api/v1/uploads/{upload_id}/complete",
                       headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201
    assert not (root.parent / "etc").exists()
    for bad_id in ("..", "..%2F..%2Fkeys", "0" * 32):
        assert client.get(f"/api/v1/uploads/{bad_id}").status_code == 404


def test_uploads_are_private_to_their_user(client: TestClient, case_id: str,
                                           new_client: Callable[[], TestClient]) -> None:
    """Another user cannot see, extend or complete someone else's upload."""
    csrf = login(client, "vlas_inv")
    upload_id, _ = upload_file(client, csrf, case_id, DATA[:100], complete=False)
    other = new_client()
    other_csrf = login(other, "polder_inv")
    headers = {"X-CSRF-Token": other_csrf}
    assert other.get(f"/api/v1/uploads/{upload_id}").status_code == 404
    assert other.post(f"/api/v1/uploads/{upload_id}/complete",
                      headers=headers).status_code == 404


def test_foreign_case_upload_is_denied(client: TestClient,
                                       make_lab: Callable[..., Lab]) -> None:
    """Starting an upload on another zone's case is refused (403) before any byte is taken."""
    case = make_lab("polder_inv").create_case("Polder")
    csrf = login(client, "vlas_inv")
    start = client.post(f"/api/v1/cases/{case.id}/uploads", headers={"X-CSRF-Token": csrf},
                        json={"filename": "a", "size": 10, "description": "d"})
    assert start.status_code == 403
