"""Chunked uploads stream into the store: only a complete, matching upload becomes evidence."""

from __future__ import annotations

import hashlib
import random
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
    """Files anywhere in LCCU_HOME outside the evidence store, keys, anchors and the DB:
    an upload must not leave a local copy of the bytes anywhere."""
    home = Path(settings.home)
    kept = [
        Path(settings.evidence_dir),
        Path(settings.key_dir),
        Path(settings.anchor_dir),
        home / "web",
    ]
    return [
        p
        for p in home.rglob("*")
        if p.is_file()
        and not p.name.startswith("lccu.db")
        and not any(k == p or k in p.parents for k in kept)
    ]


def evidence_files(settings: Settings) -> list[Path]:
    root = Path(settings.evidence_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def case_id(make_lab: Callable[..., Lab]) -> str:
    return make_lab("vlas_inv").create_case("Upload target").id


def test_complete_upload_becomes_evidence(
    client: TestClient, case_id: str, make_lab: Callable[..., Lab], unit: Settings
) -> None:
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


def test_interrupted_upload_records_nothing(
    client: TestClient, case_id: str, make_lab: Callable[..., Lab]
) -> None:
    """Completing an upload that got only some chunks is refused (409); no item exists."""
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    start = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={"filename": "a.dd", "size": len(DATA), "description": "d"},
    )
    upload_id = start.json()["upload_id"]
    client.put(
        f"/api/v1/uploads/{upload_id}", params={"offset": 0}, content=DATA[:2000], headers=headers
    )
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    assert done.status_code == 409
    assert make_lab("vlas_inv").list_evidence(case_id) == []
    assert client.get(f"/api/v1/uploads/{upload_id}").json()["offset"] == 2000


def test_resume_from_expected_offset(client: TestClient, case_id: str) -> None:
    """A chunk at the wrong offset gets 409 with the expected one; resuming there completes."""
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    upload_id = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={"filename": "a.dd", "size": len(DATA), "description": "d"},
    ).json()["upload_id"]
    client.put(
        f"/api/v1/uploads/{upload_id}", params={"offset": 0}, content=DATA[:3000], headers=headers
    )
    wrong = client.put(
        f"/api/v1/uploads/{upload_id}",
        params={"offset": 1000},
        content=DATA[1000:],
        headers=headers,
    )
    assert wrong.status_code == 409 and wrong.json()["expected_offset"] == 3000
    again = client.put(
        f"/api/v1/uploads/{upload_id}",
        params={"offset": 3000},
        content=DATA[3000:],
        headers=headers,
    )
    assert again.json()["offset"] == len(DATA)
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    assert done.json()["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_oversized_upload_is_refused(
    client: TestClient, case_id: str, make_lab: Callable[..., Lab], unit: Settings
) -> None:
    """Declaring more than the maximum is refused (413); sending more than declared discards
    the upload; neither records anything."""
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    too_big = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={"filename": "big.dd", "size": MAX_UPLOAD + 1, "description": "d"},
    )
    assert too_big.status_code == 413
    upload_id = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={"filename": "a.dd", "size": 100, "description": "d"},
    ).json()["upload_id"]
    over = client.put(
        f"/api/v1/uploads/{upload_id}", params={"offset": 0}, content=DATA, headers=headers
    )
    assert over.status_code == 413
    gone = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    assert gone.status_code == 410 and "more bytes than it declared" in gone.json()["detail"]
    assert make_lab("vlas_inv").list_evidence(case_id) == []
    assert scratch_files(unit) == [] and evidence_files(unit) == []


def test_hash_mismatch_never_becomes_evidence(
    client: TestClient, case_id: str, make_lab: Callable[..., Lab], unit: Settings
) -> None:
    """A wrong declared hash: completing answers 422 naming both digests, no item, no
    custody event, no stored bytes; the refusal is in the audit log; the upload has ended."""
    csrf = login(client, "vlas_inv")
    events_before = len(make_lab("vlas_inv").custody_log(case_id))
    upload_id, done = upload_file(client, csrf, case_id, DATA, declared={"sha256": "0" * 64})
    assert done.status_code == 422, done.text
    detail = done.json()["detail"]
    assert "0" * 64 in detail and hashlib.sha256(DATA).hexdigest() in detail
    assert "nothing was stored" in detail
    assert make_lab("vlas_inv").list_evidence(case_id) == []
    assert len(make_lab("vlas_inv").custody_log(case_id)) == events_before
    assert evidence_files(unit) == [] and scratch_files(unit) == []
    refused = [
        e
        for e in make_lab("dpo").audit_log()
        if e.operation == "evidence.refused" and not e.allowed
    ]
    assert len(refused) == 1 and "declared_hash_mismatch" in (refused[0].detail or "")
    again = client.get(f"/api/v1/uploads/{upload_id}")
    assert again.status_code == 410 and "was not taken in" in again.json()["detail"]


def test_upload_file_name_traversal_is_harmless(
    client: TestClient, case_id: str, unit: Settings
) -> None:
    """A file name full of ../ is reduced to a plain name; the bytes land only inside the
    evidence store, under the case and item."""
    csrf = login(client, "vlas_inv")
    upload_id, _ = upload_file(
        client, csrf, case_id, DATA, filename="../../../../etc/passwd", complete=False
    )
    status = client.get(f"/api/v1/uploads/{upload_id}").json()
    assert status["filename"] == "passwd"
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201
    item = done.json()
    root = Path(unit.evidence_dir).resolve()
    assert [p.resolve() for p in evidence_files(unit)] == [
        root / "cases" / case_id / item["id"] / "passwd"
    ]
    assert not (Path(unit.home) / "etc").exists() and scratch_files(unit) == []
    for bad_id in ("..", "..%2F..%2Fkeys", "0" * 32):
        assert client.get(f"/api/v1/uploads/{bad_id}").status_code == 404


def test_cancelled_upload_leaves_nothing(
    client: TestClient, case_id: str, make_lab: Callable[..., Lab], unit: Settings
) -> None:
    """DELETE half-way: the store abandons its upload; later chunks get 410; nothing stored."""
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    upload_id, _ = upload_file(client, csrf, case_id, DATA[:3000], complete=False)
    assert client.delete(f"/api/v1/uploads/{upload_id}", headers=headers).status_code == 204
    late = client.put(
        f"/api/v1/uploads/{upload_id}", params={"offset": 3000}, content=b"x", headers=headers
    )
    assert late.status_code == 410 and "cancelled" in late.json()["detail"]
    assert make_lab("vlas_inv").list_evidence(case_id) == []
    assert evidence_files(unit) == [] and scratch_files(unit) == []


def test_large_upload_streams_with_bounded_buffer(
    client: TestClient, case_id: str, app: object, unit: Settings
) -> None:
    """Far more bytes than the in-memory buffer (2 chunks of 128 bytes here) pass through
    in order: the stored item has hashlib's digests and size."""
    state = app.state.web  # type: ignore[attr-defined]
    assert state.uploads.buffer_bytes == 2 * 128
    data = random.Random(7).randbytes(200_000)
    csrf = login(client, "vlas_inv")
    _, done = upload_file(
        client, csrf, case_id, data, chunk=4096, declared={"sha1": hashlib.sha1(data).hexdigest()}
    )
    assert done.status_code == 201, done.text
    item = done.json()
    assert item["size"] == len(data) and item["sha256"] == hashlib.sha256(data).hexdigest()
    assert item["md5"] == hashlib.md5(data).hexdigest()


def test_uploads_are_private_to_their_user(
    client: TestClient, case_id: str, new_client: Callable[[], TestClient]
) -> None:
    """Another user cannot see, extend or complete someone else's upload."""
    csrf = login(client, "vlas_inv")
    upload_id, _ = upload_file(client, csrf, case_id, DATA[:100], complete=False)
    other = new_client()
    other_csrf = login(other, "polder_inv")
    headers = {"X-CSRF-Token": other_csrf}
    assert other.get(f"/api/v1/uploads/{upload_id}").status_code == 404
    assert other.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers).status_code == 404


def test_foreign_case_upload_is_denied(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """Starting an upload on another zone's case is refused (404, as for a case that does not
    exist) before any byte is taken."""
    case = make_lab("polder_inv").create_case("Polder")
    csrf = login(client, "vlas_inv")
    start = client.post(
        f"/api/v1/cases/{case.id}/uploads",
        headers={"X-CSRF-Token": csrf},
        json={"filename": "a", "size": 10, "description": "d"},
    )
    assert start.status_code == 404 and "PZ Polder" not in start.text


def test_single_file_e01_upload_is_its_media(
    client: TestClient, case_id: str, make_lab: Callable[..., Lab], unit: Settings
) -> None:
    """An E01 uploaded as one file is the disk inside it: the item's MD5 is the media MD5
    dfvfs's ground truth gives (196066ad..., also stored in the E01), not the container's
    (ca06e4a5...), and the container file is kept with its own; no scratch copy (issue 12)."""
    from lccu.testing.corpus import corpus_file

    csrf = login(client, "vlas_inv")
    data = corpus_file("dfvfs", "ext2.E01").read_bytes()
    _, done = upload_file(
        client,
        csrf,
        case_id,
        data,
        chunk=4096,
        filename="disk.E01",
        declared={"md5": "196066add11fb71c4c49cf1bb50d6d24"},
    )
    assert done.status_code == 201, done.text
    item = done.json()
    assert (item["md5"], item["size"], item["container_format"]) == (
        "196066add11fb71c4c49cf1bb50d6d24",
        4194304,
        "ewf",
    )
    assert [(c["name"], c["md5"]) for c in item["containers"]] == [
        ("disk.E01", "ca06e4a542462aac3e395132c3744933")
    ]
    assert item["media_check"]["stored_hashes"]["match"] == "match"
    assert len(evidence_files(unit)) == 1 and scratch_files(unit) == []


def test_split_raw_upload_is_one_item(
    client: TestClient, case_id: str, make_lab: Callable[..., Lab], unit: Settings
) -> None:
    """The segments of a split raw image sent one after the other with their `files` list:
    one item whose hashes are the media's (declared, checked), each segment stored with
    its own; a wrong declared hash or a missing segment stores nothing (issue 12)."""
    segments = [("usb.001", DATA), ("usb.002", DATA), ("usb.003", DATA[:1234])]
    media = b"".join(data for _name, data in segments)
    files = [{"name": name, "size": len(data)} for name, data in segments]
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}

    def send(parts: list[dict[str, object]], declared: str) -> object:
        start = client.post(
            f"/api/v1/cases/{case_id}/uploads",
            headers=headers,
            json={
                "filename": "usb.001",
                "size": sum(int(str(p["size"])) for p in parts),
                "description": "USB stick",
                "files": parts,
                "sha256": declared,
            },
        )
        if start.status_code != 201:
            return start
        upload_id = start.json()["upload_id"]
        for offset in range(0, len(media), 4096):
            sent = client.put(
                f"/api/v1/uploads/{upload_id}",
                params={"offset": offset},
                content=media[offset : offset + 4096],
                headers=headers,
            )
            assert sent.status_code == 200, sent.text
        return client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)

    gap = send([files[0], files[2]], hashlib.sha256(media).hexdigest())
    assert gap.status_code == 422 and "usb.002" in gap.text
    wrong = send(files, "0" * 64)
    assert wrong.status_code == 422 and "nothing was stored" in wrong.text
    assert evidence_files(unit) == [] and make_lab("vlas_inv").list_evidence(case_id) == []
    done = send(files, hashlib.sha256(media).hexdigest())
    assert done.status_code == 201, done.text
    item = done.json()
    assert (item["size"], item["sha256"]) == (len(media), hashlib.sha256(media).hexdigest())
    assert item["container_format"] == "split"
    assert [(c["name"], c["sha256"]) for c in item["containers"]] == [
        (name, hashlib.sha256(data).hexdigest()) for name, data in segments
    ]
    assert len(evidence_files(unit)) == 3 and scratch_files(unit) == []
    page = client.get(f"/cases/{case_id}")
    assert "split" in page.text and item["sha256"] in page.text
