"""Anchors an insider cannot simply delete: an event without its anchor, a missing anchor
file, a cut audit tail, and (server mode) anchors under S3 object lock in COMPLIANCE mode."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from lccu.config import Settings
from lccu.evidence.custody import load_events
from lccu.evidence.lab import Lab
from lccu.testing.pytest_services import S3Endpoint, on_s3
from tests.evidence.conftest import tamper
from tests.evidence.custody_unit import forged_event, lccu_verify, standalone_verify

INSERT = (
    "INSERT INTO custody_events (v, case_id, seq, occurred_at, recorded_at, actor, "
    "actor_zone, actor_role, key_id, action, evidence_id, location, reason, "
    "observed_hashes, details, prev_hash, event_hash, signature) VALUES (:v, :case_id, "
    ":seq, :occurred_at, :recorded_at, :actor, :actor_zone, :actor_role, :key_id, "
    ":action, :evidence_id, :location, :reason, :observed_hashes, :details, :prev_hash, "
    ":event_hash, :signature)"
)


def insert_event(lab: Lab, event: dict[str, object]) -> None:
    """What an insider with SQL does: ``event`` straight into custody_events, with the
    case row's head moved to it."""
    row = {
        k: (
            json.dumps(v, sort_keys=True, separators=(",", ":"))
            if k in ("details", "observed_hashes")
            else v
        )
        for k, v in event.items()
    }
    tamper(lab, INSERT, **row)
    tamper(
        lab,
        "UPDATE cases SET head_seq = :s, head_hash = :h WHERE id = :c",
        s=event["seq"],
        h=event["event_hash"],
        c=event["case_id"],
    )


def insert_signed_event(lab: Lab, case_id: str, actor: str) -> dict[str, object]:
    """What an insider with SQL and the lab folder does: a real user's key signs an event
    appended straight into custody_events, with the case row's head moved to it."""
    with lab.db.session() as session:
        previous = load_events(session, case_id)[-1]
    event = forged_event(
        previous, actor, previous["key_id"], lambda digest: lab.keys.sign(actor, digest)
    )
    insert_event(lab, event)
    return event


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_event_inserted_in_database_without_anchor(
    busy_case: tuple[Lab, str], tmp_path: Path
) -> None:
    """An event signed with the real key of its actor, inserted in the database: `custody
    verify` names it; the next export carries no anchor for it, which both verifiers name."""
    lab, case_id = busy_case
    event = insert_signed_event(lab, case_id, "vlas_inv")
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert any(p.seq == event["seq"] and "has no anchor" in p.reason for p in result.problems), (
        result.problems
    )
    path = tmp_path / "after-insert.jsonl"
    lab.export_custody(case_id, path)
    unit = ("--unit-key", lab.unit_key())
    code, out = lccu_verify(path, *unit)
    assert code == 1 and f"event {event['seq']} has no anchor line" in out, out
    code, out = standalone_verify(path, *unit)
    assert code == 1 and f"event {event['seq']}: no anchor line" in out, out


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_last_event_deleted_with_anchor_file(busy_case: tuple[Lab, str]) -> None:
    """Deleting the last event, fixing the case row and deleting the anchor file: a missing
    anchor file is itself a failure (was: verified)."""
    lab, case_id = busy_case
    with lab.db.session() as session:
        events = load_events(session, case_id)
    tamper(
        lab,
        "DELETE FROM custody_events WHERE case_id = :c AND seq = :s",
        c=case_id,
        s=events[-1]["seq"],
    )
    tamper(
        lab,
        "UPDATE cases SET head_seq = :s, head_hash = :h WHERE id = :c",
        s=events[-2]["seq"],
        h=events[-2]["event_hash"],
        c=case_id,
    )
    (lab.settings.anchor_dir / f"{case_id}.anchors").unlink()
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert any("anchor file" in p.reason and "is missing" in p.reason for p in result.problems), (
        result.problems
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cut_audit_tail_detected(make_lab: Callable[..., Lab]) -> None:
    """The last 300 audit entries (refusals among them) deleted after dropping the trigger:
    `audit --verify` reports the cut against the audit anchors (was: "verified")."""
    from lccu.errors import AccessDenied

    lab, polder, dpo = make_lab("vlas_inv"), make_lab("polder_inv"), make_lab("dpo")
    case = lab.create_case("Audited")
    for _ in range(160):
        lab.get_case(case.id)
        with pytest.raises(AccessDenied):
            polder.get_case(case.id)
    assert dpo.verify_audit() == []
    with lab.db.engine.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
    tamper(lab, "DELETE FROM audit_log WHERE seq > :s", s=last - 300)
    problems = dpo.verify_audit()
    assert any("cut from its tail" in p for p in problems), problems


@pytest.fixture
def server_settings(lab_settings: Settings, s3_endpoint: S3Endpoint) -> Settings:
    return on_s3(lab_settings, s3_endpoint, "lccu-anchor")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_server_mode_anchors_under_compliance_lock(
    server_settings: Settings, make_lab: Callable[..., Lab]
) -> None:
    """In server mode each event's anchor is an S3 object under COMPLIANCE retention that
    cannot be deleted or shortened; with the local anchor file gone and the last event
    deleted from the database, `custody verify` still reports the cut."""
    from datetime import UTC, datetime, timedelta

    from minio.retention import GOVERNANCE, Retention

    from lccu.storage.s3 import ANCHOR_PREFIX, S3Store

    lab = make_lab("vlas_inv")
    lab.settings = server_settings
    case = lab.create_case("Server anchors")
    lab.record_event(case.id, "note", reason="first")
    lab.record_event(case.id, "note", reason="second")
    assert lab.verify_custody(case.id).ok
    store = S3Store(server_settings)
    objects = list(
        store.client.list_objects(
            store.bucket,
            prefix=f"{ANCHOR_PREFIX}case/{case.id}/",
            recursive=True,
            include_version=True,
        )
    )
    assert len(objects) == 3
    first = objects[0]
    retention = store.client.get_object_retention(
        store.bucket, first.object_name, version_id=first.version_id
    )
    assert retention.mode == "COMPLIANCE"
    with pytest.raises(Exception):  # noqa: B017  (the server refuses; its error type varies)
        store.client.remove_object(store.bucket, first.object_name, version_id=first.version_id)
    with pytest.raises(Exception):  # noqa: B017
        store.client.set_object_retention(
            store.bucket,
            first.object_name,
            Retention(GOVERNANCE, datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)),
            version_id=first.version_id,
        )
    assert (
        len(
            list(
                store.client.list_objects(
                    store.bucket, prefix=first.object_name, include_version=True
                )
            )
        )
        == 1
    )
    # the insider cuts the last event and the local anchor file
    tamper(lab, "DELETE FROM custody_events WHERE case_id = :c AND seq = 3", c=case.id)
    with lab.db.session() as session:
        second = load_events(session, case.id)[-1]
    tamper(
        lab,
        "UPDATE cases SET head_seq = 2, head_hash = :h WHERE id = :c",
        h=second["event_hash"],
        c=case.id,
    )
    (server_settings.anchor_dir / f"{case.id}.anchors").unlink()
    result = lab.verify_custody(case.id)
    assert not result.ok
    assert any("truncated" in p.reason and "S3 object" in p.reason for p in result.problems), (
        result.problems
    )
    # the audit log's head is anchored in S3 too: its cut tail is found without the file
    dpo = make_lab("dpo")
    dpo.settings = server_settings
    with lab.db.engine.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
    tamper(lab, "DELETE FROM audit_log WHERE seq > :s", s=last - 5)
    (server_settings.anchor_dir / "audit.anchors").unlink()
    assert any("cut from its tail" in p and "S3 object" in p for p in dpo.verify_audit())
