"""Every kind of tampering with the custody log in the database is detected by verify."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lccu.evidence.lab import Lab
from lccu.testing.keys import sign_as
from tests.evidence.conftest import tamper


def test_untouched_log_verifies(busy_case: tuple[Lab, str]) -> None:
    """An untouched log of six events verifies, anchors included."""
    lab, case_id = busy_case
    result = lab.verify_custody(case_id)
    assert result.ok, result.problems
    assert result.events_checked == 6
    assert result.anchors_checked == 6
    assert result.head_hash == lab.get_case(case_id).head_hash


def test_database_refuses_update_and_delete(busy_case: tuple[Lab, str]) -> None:
    """The append-only triggers refuse a plain UPDATE or DELETE of a custody event."""
    lab, case_id = busy_case
    for statement in ("UPDATE custody_events SET reason = 'x' WHERE seq = 2",
                      "DELETE FROM custody_events WHERE seq = 2"):
        with pytest.raises(DBAPIError), lab.db.engine.begin() as conn:
            conn.execute(text(statement))
    assert lab.verify_custody(case_id).ok


def test_changed_field_detected(busy_case: tuple[Lab, str]) -> None:
    """Editing one field of event 3 in the database is reported at event 3."""
    lab, case_id = busy_case
    tamper(lab, "UPDATE custody_events SET location = 'somewhere else' "
                "WHERE case_id = :c AND seq = 3", c=case_id)
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert result.first_problem is not None and result.first_problem.seq == 3
    assert "changed" in result.first_problem.reason


def test_changed_hash_and_field_together_detected(busy_case: tuple[Lab, str]) -> None:
    """Recomputing the edited event's hash does not help: the signature and the next link
    break."""
    from lccu.evidence.chain import compute_event_hash
    from lccu.evidence.custody import load_events

    lab, case_id = busy_case
    with lab.db.session() as session:
        event = load_events(session, case_id)[1]
    event["reason"] = "rewritten"
    new_hash = compute_event_hash(event)
    tamper(lab, "UPDATE custody_events SET reason = 'rewritten', event_hash = :h "
                "WHERE case_id = :c AND seq = 2", h=new_hash, c=case_id)
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert result.first_problem is not None and result.first_problem.seq == 2
    assert any("signature" in p.reason for p in result.problems if p.seq == 2)
    assert any(p.seq == 3 and "previous-hash" in p.reason for p in result.problems)


def test_deleted_event_detected(busy_case: tuple[Lab, str]) -> None:
    """Deleting event 4 is reported at 4 (the anchor knew it) and as a gap before 5."""
    lab, case_id = busy_case
    tamper(lab, "DELETE FROM custody_events WHERE case_id = :c AND seq = 4", c=case_id)
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert result.first_problem is not None and result.first_problem.seq == 4
    assert "missing" in result.first_problem.reason
    assert any(p.seq == 5 and "missing" in p.reason for p in result.problems)


def test_inserted_event_detected(busy_case: tuple[Lab, str]) -> None:
    """Inserting a copied event between 2 and 3 (renumbering the rest) breaks the chain."""
    lab, case_id = busy_case
    cols = ("v, case_id, occurred_at, recorded_at, actor, actor_zone, actor_role, key_id, "
            "action, evidence_id, location, reason, observed_hashes, details, prev_hash, "
            "event_hash, signature")
    tamper(
        lab,
        "UPDATE custody_events SET seq = seq + 100 WHERE case_id = :c AND seq >= 3",
        "UPDATE custody_events SET seq = seq - 99 WHERE case_id = :c AND seq >= 103",
        f"INSERT INTO custody_events (seq, {cols}) SELECT 3, {cols} FROM custody_events "
        "WHERE case_id = :c AND seq = 2",
        c=case_id,
    )
    result = lab.verify_custody(case_id)
    assert result.events_checked == 7
    assert not result.ok
    assert result.first_problem is not None and result.first_problem.seq == 3


def test_swapped_events_detected(busy_case: tuple[Lab, str]) -> None:
    """Swapping the sequence numbers of events 3 and 4 is reported at event 3."""
    lab, case_id = busy_case
    tamper(
        lab,
        "UPDATE custody_events SET seq = 1000 WHERE case_id = :c AND seq = 3",
        "UPDATE custody_events SET seq = 3 WHERE case_id = :c AND seq = 4",
        "UPDATE custody_events SET seq = 4 WHERE case_id = :c AND seq = 1000",
        c=case_id,
    )
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert result.first_problem is not None and result.first_problem.seq == 3


def test_truncated_tail_detected_by_anchor(busy_case: tuple[Lab, str]) -> None:
    """Cutting the last two events and fixing the case head is caught by the anchor file."""
    lab, case_id = busy_case
    with lab.db.session() as session:
        from lccu.evidence.custody import load_events

        fourth = load_events(session, case_id)[3]
    tamper(
        lab,
        "DELETE FROM custody_events WHERE case_id = :c AND seq > 4",
        "UPDATE cases SET head_seq = 4, head_hash = :h WHERE id = :c",
        c=case_id, h=fourth["event_hash"],
    )
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert any("truncated" in p.reason for p in result.problems)
    assert result.first_problem is not None and result.first_problem.seq == 5


def test_truncated_tail_detected_by_noted_head(busy_case: tuple[Lab, str]) -> None:
    """Without the anchor file, the head hash noted in the proces-verbaal still catches a cut."""
    lab, case_id = busy_case
    noted = lab.get_case(case_id).head_hash
    tamper(lab, "DELETE FROM custody_events WHERE case_id = :c AND seq = 6", c=case_id)
    (lab.settings.anchor_dir / f"{case_id}.anchors").unlink()
    result = lab.verify_custody(case_id, expected_head=noted)
    assert not result.ok
    assert any("head hash you gave" in p.reason for p in result.problems)


def test_signature_by_another_users_key_detected(
    busy_case: tuple[Lab, str], make_lab: Callable[..., Lab]
) -> None:
    """An event re-signed by another user (key id swapped in) fails for its actor."""
    from lccu.evidence.custody import load_events

    lab, case_id = busy_case
    with lab.db.session() as session:
        event = load_events(session, case_id)[2]
        other_key_id = session.execute(
            text("SELECT key_id FROM users WHERE username = 'op'")).scalar_one()
    from lccu.evidence.chain import compute_event_hash

    event["key_id"] = other_key_id
    forged_hash = compute_event_hash(event)
    forged_sig = sign_as(lab.keys.directory, "op", bytes.fromhex(forged_hash))
    tamper(lab, "UPDATE custody_events SET key_id = :k, event_hash = :h, signature = :s "
                "WHERE case_id = :c AND seq = 3",
           k=other_key_id, h=forged_hash, s=forged_sig, c=case_id)
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert any(p.seq == 3 and "certified for 'op', not for 'vlas_inv'" in p.reason
               for p in result.problems), result.problems


def test_replaced_public_key_detected(busy_case: tuple[Lab, str]) -> None:
    """Swapping a user's public key in the database changes nothing the verifier trusts (the
    key registry signed by the unit key says which key was whose) and is itself reported."""
    lab, case_id = busy_case
    with lab.db.engine.connect() as conn:
        op_key = conn.execute(text("SELECT public_key FROM users WHERE username='op'")).scalar()
    tamper(lab, "UPDATE users SET public_key = :k WHERE username = 'vlas_inv'", k=op_key)
    result = lab.verify_custody(case_id)
    assert not result.ok
    assert any("users row of 'vlas_inv' holds key" in p.reason for p in result.problems), \
        result.problems
    assert not any(p.seq is not None for p in result.problems)  # every signature still holds
