"""Disk images in containers uploaded through the web API (issue 12): an E01 in several
segments, VMDK, VHD (fixed: known by its footer only; dynamic), VHDX and QCOW2, made in
the test run by ``ewfacquire`` and ``qemu-img``, each become ONE item whose hashes are
the disk's (hashlib over the raw disk the containers were made from), with every file
stored with its own hashes; a missing, swapped or foreign segment and a wrong declared
hash are refused naming the problem, and leave nothing in the store (no evidence, no
staging copy); access is checked again at commit. Embedded (local store) and on S3
(SeaweedFS with object lock)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.config import Settings
from lccu.evidence.lab import Lab
from lccu.storage import open_store
from lccu.testing.formats import BuiltContainers, build_containers
from tests.web.helpers import login, send_upload, web_keys

MIB = 1024 * 1024
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MEDIA_FORMAT = {
    "ewf": "ewf",
    "ewf-deflate": "ewf",
    "vmdk-sparse": "vmdk",
    "vmdk-split-flat": "vmdk",
    "vhd-fixed": "vhd",
    "vhd-dynamic": "vhd",
    "vhdx": "vhdx",
    "qcow2": "qcow2",
}


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> BuiltContainers:
    """A 5 MiB disk of random bytes (incompressible: the E01 comes in 3 segments) in every
    container format, made by ewfacquire, qemu-img and split."""
    folder = tmp_path_factory.mktemp("upload-media")
    raw = folder / "disk.raw"
    raw.write_bytes(random.Random(12).randbytes(5 * MIB))
    return build_containers(raw, folder / "containers", segments=3)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lab_settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """The unit embedded (local evidence store) or on the test S3 server."""
    if request.param == "s3":
        s3: Settings = request.getfixturevalue("s3_settings")
        return web_keys(dataclasses.replace(s3, database_url=database_url))
    from lccu.config import load_settings

    env = {"LCCU_HOME": str(tmp_path / "home"), "LCCU_DATABASE_URL": database_url}
    return web_keys(load_settings(env))


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(max_upload_bytes=64 * MIB, upload_chunk_bytes=MIB)


@pytest.fixture
def case_id(make_lab: Callable[..., Lab]) -> str:
    return make_lab("vlas_inv").create_case("Container uploads").id


def hashes(data: bytes) -> dict[str, str]:
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def stored_objects(settings: Settings) -> list[str]:
    """Everything the store holds for items, evidence and derived alike (staging copies
    would be there): local files, or every S3 object version (anchors aside)."""
    if not settings.s3_endpoint:
        root = Path(settings.evidence_dir)
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    client = open_store(settings).client  # type: ignore[attr-defined]
    found = []
    for bucket in {settings.s3_bucket, settings.s3_derived_bucket or settings.s3_bucket}:
        found += [
            f"{o.object_name}@{o.version_id}"
            for o in client.list_objects(bucket, include_version=True, recursive=True)
            if not o.object_name.startswith("anchors/")
        ]
    return sorted(found)


def send(
    client: TestClient,
    csrf: str,
    case_id: str,
    files: list[tuple[str, bytes]],
    declared: dict[str, str] | None = None,
    *,
    complete: bool = True,
) -> Any:
    """:func:`send_upload` from the page's session (its CSRF token)."""
    headers = {"X-CSRF-Token": csrf}
    return send_upload(client, headers, case_id, files, declared, complete=complete)


def files_of(built: BuiltContainers, fmt: str) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in built.formats[fmt]]


@pytest.mark.parametrize("fmt", list(MEDIA_FORMAT))
def test_container_upload_is_one_item_with_the_media_hashes(
    client: TestClient,
    case_id: str,
    unit: Settings,
    make_lab: Callable[..., Lab],
    small_disk: BuiltContainers,
    fmt: str,
) -> None:
    """Every file of the container uploaded with the raw disk's declared hashes: one item
    whose size and hashes are the disk's, each file stored with hashlib's hashes of it, the
    E01's stored hash checked, and no staging copy left (only the evidence files)."""
    files = files_of(small_disk, fmt)
    if fmt == "ewf":
        assert len(files) >= 3  # a real multi-segment E01
    raw = small_disk.raw.read_bytes()
    csrf = login(client, "vlas_inv")
    done = send(client, csrf, case_id, files, hashes(raw))
    assert done.status_code == 201, done.text
    item = done.json()
    assert (item["size"], item["md5"], item["sha1"], item["sha256"]) == (
        len(raw),
        *hashes(raw).values(),
    )
    assert item["state"] == "stored" and item["container_format"] == MEDIA_FORMAT[fmt]
    assert [(c["name"], c["sha256"], c["size"]) for c in item["containers"]] == [
        (name, hashlib.sha256(body).hexdigest(), len(body)) for name, body in files
    ]
    intake = make_lab("vlas_inv").custody_log(case_id)[-1]
    assert intake["action"] == "intake" and intake["observed_hashes"] == hashes(raw)
    assert intake["details"]["stored_hashes"]["match"] == (
        "match" if fmt.startswith("ewf") else "none"
    )
    kept = stored_objects(unit)
    assert len(kept) == len(files) and all("staging" not in k for k in kept)
    outcome = make_lab("vlas_inv").verify_evidence(item["id"])
    assert outcome["match"] and outcome["observed"] == hashes(raw)


def test_container_upload_refusals_store_nothing(
    client: TestClient,
    case_id: str,
    unit: Settings,
    make_lab: Callable[..., Lab],
    small_disk: BuiltContainers,
) -> None:
    """E01 segments: one left out (in the middle: refused at the start; the last one:
    refused at completion by the 'next' section), two swapped in content (the headers'
    segment numbers), given out of order by name, a foreign file among them, and a wrong
    declared media hash: each 422 naming the file or the hash, and nothing stored."""
    e01 = files_of(small_disk, "ewf")
    raw = small_disk.raw.read_bytes()
    names = [name for name, _body in e01]
    csrf = login(client, "vlas_inv")
    cases = {
        "gap": ([e01[0], *e01[2:]], names[1]),
        "last missing": (e01[:-1], names[-1]),
        "swapped content": (
            [e01[0], (names[1], e01[2][1]), (names[2], e01[1][1])],
            "segment 3 of its image",
        ),
        "out of order": ([e01[0], e01[2], e01[1]], "out of order"),
        "wrong hash": (e01, "nothing was stored"),
    }
    for why, (files, named) in cases.items():
        declared = {"sha256": "0" * 64} if why == "wrong hash" else hashes(raw)
        answer = send(client, csrf, case_id, files, declared)
        assert answer.status_code == 422, (why, answer.text)
        assert named in answer.json()["detail"], (why, answer.text)
        assert stored_objects(unit) == [], why
    vmdk = files_of(small_disk, "vmdk-split-flat")
    foreign = send(client, csrf, case_id, [*vmdk, ("disk.E01", e01[0][1])], hashes(raw))
    assert foreign.status_code == 422 and "disk.E01" in foreign.json()["detail"], foreign.text
    assert stored_objects(unit) == [] and make_lab("vlas_inv").list_evidence(case_id) == []


@pytest.mark.parametrize("change", ["revoke", "close"])
def test_container_upload_rechecks_access_at_commit(
    client: TestClient,
    make_lab: Callable[..., Lab],
    unit: Settings,
    small_disk: BuiltContainers,
    change: str,
) -> None:
    """An E01 uploaded to a shared case whose share is revoked (or the case closed) after
    the last chunk: completion is refused (404 / 422), audited as refused, no item, no
    object left (neither evidence nor staging copy)."""
    vlas = make_lab("vlas_inv")
    case = vlas.create_case("Shared for uploads")
    vlas.share_case(case.id, "PZ Polder", purpose="Polder uploads the images")
    csrf = login(client, "polder_inv")
    raw = small_disk.raw.read_bytes()
    upload_id = send(
        client, csrf, case.id, files_of(small_disk, "ewf"), hashes(raw), complete=False
    )
    if change == "revoke":
        vlas.revoke_share(case.id, "PZ Polder", reason="no longer needed")
    else:
        vlas.close_case(case.id, reason="closed mid-upload")
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers={"X-CSRF-Token": csrf})
    # revoked: the case is no longer the zone's to see (404, as if it were not there)
    assert done.status_code == (404 if change == "revoke" else 422), done.text
    assert vlas.list_evidence(case.id) == [] and stored_objects(unit) == []
    refused = [
        e.allowed
        for e in make_lab("dpo").audit_log()
        if e.username == "polder_inv" and e.operation == "evidence.add"
    ]
    assert refused[0] is True and refused[-1] is False


@pytest.mark.parametrize("lab_settings", [pytest.param("s3", marks=pytest.mark.s3)], indirect=True)
def test_commit_failing_half_way_names_what_it_left(
    client: TestClient,
    case_id: str,
    unit: Settings,
    make_lab: Callable[..., Lab],
    small_disk: BuiltContainers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deliberate failure mid-intake on real S3: every E01 segment checked and staged as
    evidence, then (just before the commits) the second segment's multipart upload is
    aborted on the server. The first segment is then committed and locked and cannot be
    taken back: the answer names it, the audit log has the refused intake listing it, the
    case's custody has a `note` event naming its key and version, and it is the only
    object left (no item, no staging copy, no version of the other segments)."""
    from lccu.evidence.intake import PendingIntake

    e01 = files_of(small_disk, "ewf")
    raw = small_disk.raw.read_bytes()
    client_s3 = open_store(unit).client  # type: ignore[attr-defined]
    original = PendingIntake.recheck

    def recheck_then_lose_segment_2(self: PendingIntake) -> None:
        original(self)
        uploads = client_s3._list_multipart_uploads(  # the server's own list
            unit.s3_bucket, prefix=f"cases/{case_id}/"
        ).uploads
        second = [u for u in uploads if u.object_name.endswith("/" + e01[1][0])]
        assert len(second) == 1, [u.object_name for u in uploads]
        client_s3._abort_multipart_upload(
            unit.s3_bucket, second[0].object_name, second[0].upload_id
        )

    monkeypatch.setattr(PendingIntake, "recheck", recheck_then_lose_segment_2)
    csrf = login(client, "vlas_inv")
    client.get("/cases", params={"lang": "nl"})  # the page's message in Dutch
    done = send(client, csrf, case_id, e01, hashes(raw))
    assert done.status_code == 503, done.text
    kept = stored_objects(unit)
    assert len(kept) == 1 and kept[0].split("@")[0].endswith("/" + e01[0][0])
    key, version = kept[0].split("@")
    detail = done.json()["detail"]
    assert key in detail and version in detail and "retained" in detail
    message = done.json()["message"]  # the cause and the retained object, in Dutch
    assert "De opslag (S3-server" in message and "weigerde de bewerking" in message, message
    assert f"De opname van {e01[0][0]} is geweigerd, maar 1 van de bestanden" in message
    assert f"{key} (version {version})" in message and "retained" not in message
    assert make_lab("vlas_inv").list_evidence(case_id) == []
    note = make_lab("vlas_inv").custody_log(case_id)[-1]
    assert note["action"] == "note" and note["evidence_id"] is None
    assert [
        (o["key"], o["storage_version_id"], o["sha256"])
        for o in note["details"]["retained_objects"]
    ] == [(key, version, hashlib.sha256(e01[0][1]).hexdigest())]
    refused = [
        e for e in make_lab("dpo").audit_log() if e.operation == "evidence.add" and not e.allowed
    ]
    assert refused and key in str(refused[-1].detail)


def _footer_checksum(footer: bytearray) -> None:
    """Recompute a VHD footer's checksum (one's complement of the byte sum, field zeroed)."""
    footer[64:68] = b"\0\0\0\0"
    footer[64:68] = (~sum(footer) & 0xFFFFFFFF).to_bytes(4, "big")


def test_fixed_vhd_upload_is_the_disk_as_on_the_cli(
    client: TestClient,
    case_id: str,
    unit: Settings,
    make_lab: Callable[..., Lab],
    small_disk: BuiltContainers,
) -> None:
    """A fixed VHD (qemu-img) sent as one file is the same item as `lccu evidence add`
    makes of it: the disk's size and hashes (hashlib over the raw disk), format vhd, the
    file kept with its own hashes; declaring the VHD file's hash instead is refused naming
    the confusion; a footer whose disk size is not the bytes before it is refused; each
    refusal leaves no object."""
    [(name, body)] = files_of(small_disk, "vhd-fixed")
    raw = small_disk.raw.read_bytes()
    assert body[: len(raw)] == raw and body[-512:][:8] == b"conectix"
    csrf = login(client, "vlas_inv")
    wrong = send(client, csrf, case_id, [(name, body)], {"sha256": hashes(body)["sha256"]})
    assert wrong.status_code == 422 and "container file" in wrong.json()["detail"], wrong.text
    footer = bytearray(body[-512:])
    for field in (40, 48):  # original and current size: 1 MiB less than the data
        footer[field : field + 8] = (len(raw) - MIB).to_bytes(8, "big")
    _footer_checksum(footer)
    other = send(client, csrf, case_id, [(name, body[:-512] + bytes(footer))])
    assert other.status_code == 422 and "lccu evidence add" in other.json()["detail"], other.text
    assert stored_objects(unit) == []
    done = send(client, csrf, case_id, [(name, body)], hashes(raw))
    assert done.status_code == 201, done.text
    web = done.json()
    cli = make_lab("vlas_inv").add_evidence(
        case_id, small_disk.formats["vhd-fixed"][0], description="the same VHD on the CLI"
    )
    assert (
        (web["size"], web["md5"], web["sha1"], web["sha256"], web["container_format"])
        == (cli.size, cli.md5, cli.sha1, cli.sha256, cli.container_format)
        == (len(raw), *hashes(raw).values(), "vhd")
    )
    assert [(c["name"], c["sha256"], c["size"]) for c in web["containers"]] == [
        (name, hashlib.sha256(body).hexdigest(), len(body))
    ]
    assert make_lab("vlas_inv").verify_evidence(web["id"])["match"]


def test_completion_in_the_background_is_polled(
    client: TestClient,
    case_id: str,
    unit: Settings,
    new_client: Callable[[], TestClient],
    small_disk: BuiltContainers,
) -> None:
    """`complete?wait=false` answers 202 at once and `.../result` answers 202 until the
    E01 is read and committed, then the item with the disk's hashes; a wrong declared
    hash ends in the 422 the waiting `complete` gives, storing nothing; another user's
    poll is 404."""
    e01 = files_of(small_disk, "ewf")
    raw = small_disk.raw.read_bytes()
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}

    def finish(declared: dict[str, str]) -> Any:
        upload_id = send(client, csrf, case_id, e01, declared, complete=False)
        started = client.post(
            f"/api/v1/uploads/{upload_id}/complete", params={"wait": "false"}, headers=headers
        )
        assert started.status_code == 202, started.text
        assert started.json()["result"] == f"/api/v1/uploads/{upload_id}/result"
        other = new_client()
        login(other, "polder_inv")
        assert other.get(f"/api/v1/uploads/{upload_id}/result").status_code == 404
        for _poll in range(600):
            answer = client.get(f"/api/v1/uploads/{upload_id}/result")
            if answer.status_code != 202:
                return answer
            time.sleep(0.1)
        raise AssertionError("still completing after 60 s")

    wrong = finish({"sha256": "0" * 64})
    assert wrong.status_code == 422 and "nothing was stored" in wrong.json()["detail"]
    assert stored_objects(unit) == []
    done = finish(hashes(raw))
    assert done.status_code == 200, done.text
    item = done.json()
    assert (item["size"], item["sha256"], item["container_format"]) == (
        len(raw),
        hashes(raw)["sha256"],
        "ewf",
    )


def test_fixed_vhd_with_an_unreadable_footer_is_the_file_as_received(
    client: TestClient,
    case_id: str,
    make_lab: Callable[..., Lab],
    small_disk: BuiltContainers,
    tmp_path: Path,
) -> None:
    """A file ending in a `conectix` footer that libvhdi cannot read (it says dynamic, with
    no header where it points): taken in as the file it is, marked unreadable, exactly as
    `lccu evidence add` takes the same file in (format `file`, the file's hashes)."""
    [(name, body)] = files_of(small_disk, "vhd-fixed")
    footer = bytearray(body[-512:])
    footer[60:64] = (3).to_bytes(4, "big")  # disk type: dynamic
    footer[16:24] = bytes(8)  # its header "at offset 0", which is disk data
    _footer_checksum(footer)
    bad = body[:-512] + bytes(footer)
    csrf = login(client, "vlas_inv")
    done = send(client, csrf, case_id, [(name, bad)])
    assert done.status_code == 201, done.text
    web = done.json()
    assert (web["container_format"], web["sha256"], web["size"]) == (
        "file",
        hashlib.sha256(bad).hexdigest(),
        len(bad),
    )
    assert "not a readable VHD" in web["media_check"]["container_unreadable"]
    path = tmp_path / name
    path.write_bytes(bad)
    cli = make_lab("vlas_inv").add_evidence(case_id, path, description="same file on the CLI")
    assert (cli.container_format, cli.sha256, cli.size, cli.state) == (
        "file",
        web["sha256"],
        web["size"],
        web["state"],
    )


def test_multi_file_upload_resumes_in_the_file_it_stopped_in(
    client: TestClient, case_id: str, unit: Settings, small_disk: BuiltContainers
) -> None:
    """An E01 in 3 segments sent as one upload, cut off in the middle of the second
    segment (a chunk lost, then one sent at the wrong offset): the upload's status says,
    per file, how much of it arrived (the first whole, the second in part, the third not
    at all); the client resumes inside the second file, never sending the first again,
    and completing gives one item with the disk's hashes."""
    e01 = files_of(small_disk, "ewf")
    assert len(e01) >= 3
    raw = small_disk.raw.read_bytes()
    data = b"".join(body for _name, body in e01)
    first = len(e01[0][1])
    cut = first + len(e01[1][1]) // 2  # in the middle of the second file
    csrf = login(client, "vlas_inv")
    headers = {"X-CSRF-Token": csrf}
    started = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={
            "filename": e01[0][0],
            "size": len(data),
            "description": "seized disk",
            "files": [{"name": n, "size": len(b)} for n, b in e01],
            **hashes(raw),
        },
    )
    assert started.status_code == 201, started.text
    upload_id = started.json()["upload_id"]
    offsets = [*range(0, cut, MIB), cut]
    for start, end in itertools.pairwise(offsets):
        assert (
            client.put(
                f"/api/v1/uploads/{upload_id}",
                params={"offset": start},
                content=data[start:end],
                headers=headers,
            ).status_code
            == 200
        )
    # the next chunk was lost on the way; the one after it arrives at the wrong offset
    ahead = cut + MIB
    wrong = client.put(f"/api/v1/uploads/{upload_id}", params={"offset": ahead},
                       content=data[ahead : ahead + MIB], headers=headers)  # fmt: skip
    assert wrong.status_code == 409 and wrong.json()["expected_offset"] == cut, wrong.text
    status = client.get(f"/api/v1/uploads/{upload_id}").json()
    assert status["offset"] == cut
    starts = [sum(len(b) for _n, b in e01[:i]) for i in range(len(e01))]
    assert status["files"] == [
        {"name": name, "size": len(body), "start": start,
         "received": max(0, min(len(body), cut - start))}
        for (name, body), start in zip(e01, starts, strict=True)
    ]  # fmt: skip
    assert [f["received"] for f in status["files"]][:3] == [first, cut - first, 0]
    resume = status["files"][1]["start"] + status["files"][1]["received"]
    for offset in range(resume, len(data), MIB):
        sent = client.put(f"/api/v1/uploads/{upload_id}", params={"offset": offset},
                          content=data[offset : offset + MIB], headers=headers)  # fmt: skip
        assert sent.status_code == 200, sent.text
    done = client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
    assert done.status_code == 201, done.text
    item = done.json()
    assert (item["size"], item["sha256"], item["container_format"]) == (
        len(raw), hashes(raw)["sha256"], "ewf")  # fmt: skip
    assert [c["name"] for c in item["containers"]] == [name for name, _body in e01]
