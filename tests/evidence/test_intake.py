"""Intake records the item, hashes it once against hashlib, and refuses bad input cleanly."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lccu.errors import DeclaredHashMismatch, InvalidInput
from lccu.evidence.lab import Lab


def _declared(path: Path) -> dict[str, str]:
    data = path.read_bytes()
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_intake_matches_hashlib_and_records_event(
    make_lab: Callable[..., Lab], image_file: Path
) -> None:
    """The three digests equal hashlib's, the declared ones match, the intake event says so."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Intake")
    declared = _declared(image_file)
    item = lab.add_evidence(
        case.id,
        image_file,
        description="disk",
        declared=declared,
        seal_number="S-9",
        make="WD",
        model="Blue",
        serial="WX1",
    )
    assert (item.md5, item.sha1, item.sha256) == (
        declared["md5"],
        declared["sha1"],
        declared["sha256"],
    )
    assert item.size == image_file.stat().st_size
    assert item.state == "stored" and item.hashes_match and item.exhibit_number == "EXH-001"
    intake = lab.custody_log(case.id)[-1]
    assert intake["action"] == "intake" and intake["evidence_id"] == item.id
    assert intake["observed_hashes"] == declared
    assert intake["details"]["hashes_match"] is True
    assert intake["details"]["seal_number"] == "S-9"


def test_mismatch_is_refused_and_audited(make_lab: Callable[..., Lab], image_file: Path) -> None:
    """A wrong declared SHA-256 stores nothing and records no item or event; the refusal,
    with the declared and observed digests, is in the audit log."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Mismatch")
    declared = _declared(image_file)
    declared["sha256"] = "0" * 64
    before = _count_rows(lab)
    with pytest.raises(DeclaredHashMismatch, match="nothing was stored") as caught:
        lab.add_evidence(case.id, image_file, description="disk", declared=declared)
    assert caught.value.mismatched == ["sha256"]
    assert _count_rows(lab) == before and lab.list_evidence(case.id) == []
    store_root = lab.settings.evidence_dir
    assert not store_root.exists() or not any(p.is_file() for p in store_root.rglob("*"))
    refusal = [
        e
        for e in make_lab("dpo").audit_log()
        if e.operation == "evidence.refused" and not e.allowed
    ]
    assert len(refusal) == 1
    detail = json.loads(refusal[0].detail or "{}")
    assert detail["mismatched"] == ["sha256"] and detail["declared"]["sha256"] == "0" * 64
    assert detail["observed"]["sha256"] == _declared(image_file)["sha256"]
    assert lab.verify_custody(case.id).ok


def test_accepted_mismatch_is_recorded_not_hidden(
    make_lab: Callable[..., Lab], image_file: Path
) -> None:
    """With accept_mismatch the copy is taken in, marked hash-mismatch, the event names it."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Mismatch kept")
    declared = _declared(image_file)
    declared["sha256"] = "0" * 64
    item = lab.add_evidence(
        case.id, image_file, description="disk", declared=declared, accept_mismatch=True
    )
    assert item.state == "hash-mismatch" and item.hash_mismatches == ("sha256",)
    event = lab.custody_log(case.id)[-1]
    assert event["details"]["mismatched"] == ["sha256"]
    assert "MISMATCH" in event["reason"]
    assert lab.verify_custody(case.id).ok


def test_reverify_records_verified_event(make_lab: Callable[..., Lab], image_file: Path) -> None:
    """Re-hashing the stored copy matches intake and appends a `verified` event."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Verify")
    item = lab.add_evidence(case.id, image_file, description="disk")
    outcome = lab.verify_evidence(item.id)
    assert outcome["match"] is True
    assert outcome["observed"]["sha256"] == hashlib.sha256(image_file.read_bytes()).hexdigest()
    last = lab.custody_log(case.id)[-1]
    assert last["action"] == "verified" and last["details"]["match"] is True


def _count_rows(lab: Lab) -> tuple[int, int]:
    from sqlalchemy import text

    with lab.db.engine.connect() as conn:
        items = conn.execute(text("SELECT count(*) FROM evidence_items")).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM custody_events")).scalar_one()
    return int(items), int(events)


@pytest.mark.parametrize(
    "problem", ["empty", "directory", "missing", "bad-md5", "bad-sha256", "non-hex"]
)
def test_bad_input_stores_and_records_nothing(
    make_lab: Callable[..., Lab], tmp_path: Path, image_file: Path, problem: str
) -> None:
    """Zero-byte file, directory, missing path or a malformed declared hash: InvalidInput,
    no item, no event, nothing in the evidence store."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Bad input")
    path, declared = image_file, {}
    if problem == "empty":
        path = tmp_path / "empty.dd"
        path.write_bytes(b"")
    elif problem == "directory":
        path = tmp_path
    elif problem == "missing":
        path = tmp_path / "nope.dd"
    elif problem == "bad-md5":
        declared = {"md5": "abc"}
    elif problem == "bad-sha256":
        declared = {"sha256": "f" * 63}
    else:
        declared = {"sha1": "z" * 40}
    before = _count_rows(lab)
    with pytest.raises(InvalidInput):
        lab.add_evidence(case.id, path, description="x", declared=declared)
    assert _count_rows(lab) == before
    store_root = lab.settings.evidence_dir
    assert not store_root.exists() or not any(p.is_file() for p in store_root.rglob("*"))


def test_stored_evidence_is_read_only(make_lab: Callable[..., Lab], image_file: Path) -> None:
    """The local store keeps the evidence file read-only (mode 0444)."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("RO")
    item = lab.add_evidence(case.id, image_file, description="disk")
    assert item.storage_uri is not None
    stored = Path(item.storage_uri.removeprefix("file://"))
    assert stored.read_bytes() == image_file.read_bytes()
    assert stored.stat().st_mode & 0o222 == 0
    assert json.loads(json.dumps(item.as_dict()))["hashes_match"] is True
