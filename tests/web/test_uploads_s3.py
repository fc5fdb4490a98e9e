"""Web uploads into the S3 evidence store (SeaweedFS with object lock): the bytes stream
into a multipart upload that only completes after the last byte, with matching declared
hashes, and after the go-ahead; every other ending leaves no object version at all."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.config import Settings
from lccu.evidence.lab import Lab
from lccu.storage import open_store
from lccu.testing.netgate import TcpGate
from lccu.testing.pytest_services import evidence_versions
from tests.web.helpers import login, upload_file, web_keys

pytestmark = [pytest.mark.s3, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
MIB = 1024 * 1024
MAX = 64 * MIB


@pytest.fixture
def lab_settings(s3_settings: Settings, database_url: str) -> Settings:
    """The web unit on the test S3 server (a fresh object-lock bucket per test)."""
    return web_keys(dataclasses.replace(s3_settings, database_url=database_url))


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    """The app with room for multi-part uploads (2 MiB chunks, 6 MiB in flight)."""
    return make_app(max_upload_bytes=MAX, upload_chunk_bytes=2 * MIB)


@pytest.fixture
def case_id(make_lab: Callable[..., Lab]) -> str:
    return make_lab("vlas_inv").create_case("S3 upload").id


def test_multipart_upload_lands_locked_with_hashes(
    client: TestClient, case_id: str, unit: Settings
) -> None:
    """20 MiB in 1 MiB chunks (two S3 parts): one locked version, hashes equal hashlib's,
    the object reads back byte for byte, no local copy anywhere in LCCU_HOME."""
    data = random.Random(3).randbytes(20 * MIB + 11)
    csrf = login(client, "vlas_inv")
    _, done = upload_file(
        client,
        csrf,
        case_id,
        data,
        chunk=MIB,
        declared={"sha256": hashlib.sha256(data).hexdigest()},
    )
    assert done.status_code == 201, done.text
    item = done.json()
    assert item["storage_uri"].startswith(f"s3://{unit.s3_bucket}/cases/{case_id}/")
    assert item["lock_mode"] in ("GOVERNANCE", "COMPLIANCE") and item["storage_version_id"]
    assert item["md5"] == hashlib.md5(data).hexdigest()
    assert len(evidence_versions(unit)) == 1
    with open_store(unit).open_evidence(f"cases/{case_id}/{item['id']}/image.dd") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == item["sha256"]
    local = [p for p in Path(unit.home).rglob("*") if p.is_file() and p.stat().st_size >= MIB]
    assert local == []


@pytest.mark.parametrize("ending", ["mismatch", "cancel-after-last-byte"])
def test_upload_that_ends_badly_leaves_no_version(
    client: TestClient, case_id: str, unit: Settings, make_lab: Callable[..., Lab], ending: str
) -> None:
    """A mismatching declared hash (422) or a cancel after every byte was sent (the store
    had all the data but no go-ahead): no object version in the locked bucket, no item."""
    data = random.Random(4).randbytes(17 * MIB)
    csrf = login(client, "vlas_inv")
    declared = {"sha256": "0" * 64} if ending == "mismatch" else None
    upload_id, done = upload_file(
        client, csrf, case_id, data, chunk=2 * MIB, declared=declared, complete=ending == "mismatch"
    )
    if ending == "mismatch":
        assert done.status_code == 422, done.text  # type: ignore[attr-defined]
    else:
        assert (
            client.delete(
                f"/api/v1/uploads/{upload_id}", headers={"X-CSRF-Token": csrf}
            ).status_code
            == 204
        )
    assert evidence_versions(unit) == []
    assert make_lab("vlas_inv").list_evidence(case_id) == []


def _s3_behind_gate(app: object, unit: Settings) -> TcpGate:
    """The app's S3 server reached through an open gate the test can close (the shared
    server keeps running for the other tests)."""
    gate = TcpGate(str(unit.s3_endpoint))
    gate.open()
    state = app.state.web  # type: ignore[attr-defined]
    state.settings = dataclasses.replace(unit, s3_endpoint=f"127.0.0.1:{gate.port}")
    return gate


def test_s3_outage_mid_upload_is_reported_and_stores_nothing(
    app: object, client: TestClient, case_id: str, unit: Settings, make_lab: Callable[..., Lab]
) -> None:
    """The S3 server becomes unreachable after the first chunks: a chunk or the completion
    answers 503 naming the store, the upload then answers 410, and once S3 is back the
    bucket holds no version of it and no item was recorded."""
    gate = _s3_behind_gate(app, unit)
    data = random.Random(5).randbytes(40 * MIB)
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    upload_id = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={"filename": "cut.dd", "size": len(data), "description": "d"},
    ).json()["upload_id"]
    answers = []
    try:
        for offset in range(0, len(data), 2 * MIB):
            if offset == 4 * MIB:
                gate.close()
            sent = client.put(
                f"/api/v1/uploads/{upload_id}",
                params={"offset": offset},
                content=data[offset : offset + 2 * MIB],
                headers=headers,
            )
            answers.append(sent.status_code)
            if sent.status_code != 200:
                assert sent.status_code == 503, sent.text
                assert "unreachable" in sent.json()["detail"]
                break
        else:
            done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
            assert done.status_code == 503, done.text
        assert client.get(f"/api/v1/uploads/{upload_id}", headers=headers).status_code == 410
    finally:
        gate.open()
    assert make_lab("vlas_inv").list_evidence(case_id) == []
    assert evidence_versions(unit) == []


@pytest.mark.parametrize("declared_ok", [False, True])
def test_split_raw_upload_in_s3(
    client: TestClient,
    case_id: str,
    unit: Settings,
    make_lab: Callable[..., Lab],
    declared_ok: bool,
) -> None:
    """Three split raw segments (the first two over one S3 part) uploaded as one item: a
    wrong declared media hash leaves no version at all; a right one leaves one locked
    version per segment, the item's hashes the media's (issue 12)."""
    segments = [
        random.Random(6).randbytes(17 * MIB),
        random.Random(7).randbytes(17 * MIB),
        random.Random(8).randbytes(3 * MIB + 5),
    ]
    media = b"".join(segments)
    files = [{"name": f"usb.{i:03d}", "size": len(s)} for i, s in enumerate(segments, 1)]
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    declared = hashlib.sha256(media).hexdigest() if declared_ok else "0" * 64
    upload_id = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={
            "filename": "usb.001",
            "size": len(media),
            "description": "USB stick",
            "files": files,
            "sha256": declared,
        },
    ).json()["upload_id"]
    for offset in range(0, len(media), 2 * MIB):
        sent = client.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": offset},
            content=media[offset : offset + 2 * MIB],
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    if not declared_ok:
        assert done.status_code == 422, done.text
        assert evidence_versions(unit) == [] and make_lab("vlas_inv").list_evidence(case_id) == []
        return
    assert done.status_code == 201, done.text
    item = done.json()
    assert item["sha256"] == declared and item["size"] == len(media)
    assert [c["sha256"] for c in item["containers"]] == [
        hashlib.sha256(s).hexdigest() for s in segments
    ]
    assert len(evidence_versions(unit)) == 3


def test_s3_outage_is_said_in_dutch(
    app: object, client: TestClient, case_id: str, unit: Settings, make_lab: Callable[..., Lab]
) -> None:
    """Dutch chosen, the S3 server (behind a gate this test closes; the shared server keeps
    running) stops answering before an upload completes: the 503's ``message`` says in
    Dutch that the store named by its address cannot be reached and nothing was recorded,
    with none of the library's English; the ``detail`` keeps it for scripts."""
    gate = _s3_behind_gate(app, unit)
    data = random.Random(6).randbytes(3 * MIB)
    csrf = login(client, "vlas_inv")
    client.get("/cases", params={"lang": "nl"})
    try:
        upload_id, _ = upload_file(client, csrf, case_id, data, chunk=MIB, complete=False)
        gate.close()
        done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers={"X-CSRF-Token": csrf})
    finally:
        gate.open()
    assert done.status_code == 503, done.text
    body = done.json()
    assert "unreachable" in body["detail"]
    assert body["message"] == (
        f"De opslag (S3-server 127.0.0.1:{gate.port}) is niet bereikbaar, ook niet na 2 nieuwe "
        "pogingen; er is niets vastgelegd. Probeer het later opnieuw; blijft het zo, "
        "waarschuw dan de beheerder."
    ), body
    assert make_lab("vlas_inv").list_evidence(case_id) == []
