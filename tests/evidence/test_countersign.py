"""Countersignatures: the receiver and the witness of a hand-over sign its hash themselves.

The event stays as it was (its hash never changes); each countersignature is a row beside
it that ``verify`` checks against the event, the party it names and that party's registered
key. A party who is a user and has not signed yet is *pending*, which does not fail verify.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lccu.errors import AccessDenied, InvalidInput
from lccu.evidence.chain import PendingSignature
from lccu.evidence.db import schema_state
from lccu.evidence.export import verify_export
from lccu.evidence.lab import Lab
from lccu.testing.keys import PASSPHRASE, sign_as
from tests.evidence.conftest import tamper

#: the rules are engine-independent; the happy path and the tampering run on both engines
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class HandOver:
    """Case of PZ Vlas shared with PZ Polder; event 4: vlas_inv hands the item to polder_an,
    witnessed by polder_inv."""

    vlas: Lab
    polder: Lab
    witness: Lab
    case_id: str
    item_id: str


@pytest.fixture
def hand_over(make_lab: Callable[..., Lab], image_file: Path) -> HandOver:
    vlas, polder, witness = make_lab("vlas_inv"), make_lab("polder_an"), make_lab("polder_inv")
    case = vlas.create_case("Skimming ring")
    vlas.share_case(case.id, "PZ Polder", purpose="imaging by the LCCU")
    item = vlas.add_evidence(case.id, image_file, description="flash chip", seal_number="S-1",
                             location="PZ Vlas evidence room")
    head = vlas.transfer(case.id, item.id, received_by="polder_an", witness="polder_inv",
                         to_location="LCCU locker 3", seal_before="S-1", seal_intact=True)
    assert head["seq"] == 4
    return HandOver(vlas, polder, witness, case.id, item.id)


def test_receiver_and_witness_countersign(hand_over: HandOver,
                                          make_lab: Callable[..., Lab]) -> None:
    """Pending before, verified after; the event and the head do not change; audited."""
    h = hand_over
    head = h.vlas.get_case(h.case_id).head_hash
    before = h.vlas.verify_custody(h.case_id)
    assert before.ok
    assert before.pending == [PendingSignature(4, "receiver", "polder_an"),
                              PendingSignature(4, "witness", "polder_inv")]
    assert "2 countersignature(s) pending" in before.summary()
    assert h.polder.countersign_status(h.case_id)["awaiting"] == [{"seq": 4,
                                                                     "role": "receiver"}]
    signed = h.polder.countersign(h.case_id, 4)  # the role is inferred: receiver
    assert (signed["signer"], signed["role"], signed["seq"]) == ("polder_an", "receiver", 4)
    h.witness.countersign(h.case_id, 4, role="witness")
    result = h.vlas.verify_custody(h.case_id)
    assert result.ok, result.problems
    assert result.pending == [] and result.countersignatures_checked == 2
    assert "pending" not in result.summary()
    assert h.vlas.get_case(h.case_id).head_hash == head
    assert h.vlas.custody_log(h.case_id)[3]["event_hash"] == signed["event_hash"]
    status = h.vlas.countersign_status(h.case_id)
    assert [(c["signer"], c["role"]) for c in status["countersignatures"]] == [
        ("polder_an", "receiver"), ("polder_inv", "witness")]
    assert h.polder.countersign_status(h.case_id)["awaiting"] == []
    audit = [e for e in make_lab("dpo").audit_log() if e.operation == "custody.countersigned"]
    assert [(e.username, e.allowed) for e in audit] == [("polder_an", True),
                                                        ("polder_inv", True)]
    assert '"role":"witness"' in (audit[1].detail or "").replace(" ", "")


@SQLITE_ONLY
def test_refusals(hand_over: HandOver, make_lab: Callable[..., Lab]) -> None:
    """Not a hand-over, not named, own event, twice, unknown role or event, wrong key,
    no access: each a one-line refusal, nothing stored."""
    h = hand_over
    cases = [
        (lambda: h.polder.countersign(h.case_id, 1), "not a hand-over"),
        (lambda: h.witness.countersign(h.case_id, 4, role="receiver"),
         "names polder_an as receiver, not polder_inv"),
        (lambda: make_lab("op").countersign(h.case_id, 4), "does not name op"),
        (lambda: h.vlas.countersign(h.case_id, 4), "you recorded event 4"),
        (lambda: h.polder.countersign(h.case_id, 4, role="judge"), "unknown countersigning"),
        (lambda: h.polder.countersign(h.case_id, 99), "no custody event 99"),
    ]
    for attempt, words in cases:
        with pytest.raises(InvalidInput, match=words) as caught:
            attempt()
        assert "\n" not in str(caught.value)
    with pytest.raises(AccessDenied):
        make_lab("dpo").countersign(h.case_id, 4)
    h.polder.countersign(h.case_id, 4, role="receiver")
    with pytest.raises(InvalidInput, match="already countersigned as receiver by polder_an"):
        h.polder.countersign(h.case_id, 4)
    # polder_inv's key file replaced by another key: not the registered one
    key_file = h.witness.keys.directory / "polder_inv.ed25519.key"
    key_file.unlink()
    h.witness.keys.create("polder_inv", PASSPHRASE)
    with pytest.raises(InvalidInput, match="is not polder_inv's registered key"):
        h.witness.countersign(h.case_id, 4, role="witness")
    result = h.vlas.verify_custody(h.case_id)
    assert result.ok and result.countersignatures_checked == 1
    assert result.pending == [PendingSignature(4, "witness", "polder_inv")]


def test_tampered_countersignature_reported_at_its_event(hand_over: HandOver) -> None:
    """The table is append-only; with the triggers dropped, an edited signature, a signature
    by someone not named, and one moved to another event are each named by sequence number."""
    h = hand_over
    h.polder.countersign(h.case_id, 4)
    with pytest.raises(DBAPIError), h.vlas.db.engine.begin() as conn:
        conn.execute(text("UPDATE custody_countersignatures SET signed_at = 'x'"))
    good = h.vlas.custody_log(h.case_id)[3]["event_hash"]
    forged = sign_as(h.vlas.keys.directory, "polder_an", bytes.fromhex("00" * 32))
    tamper(h.vlas, "UPDATE custody_countersignatures SET signature = :s WHERE case_id = :c",
           s=forged, c=h.case_id)
    result = h.vlas.verify_custody(h.case_id)
    assert not result.ok and result.first_problem is not None
    assert result.first_problem.seq == 4
    assert "not a valid signature of this event's hash by 'polder_an'" in str(result.first_problem)

    # a witness signature by a user the event does not name (valid over the hash)
    key_id = h.vlas.users()[[u.username for u in h.vlas.users()].index("op")].key_id
    tamper(h.vlas, "INSERT INTO custody_countersignatures (case_id, seq, event_hash, signer, "
                   "role, key_id, signature, signed_at) VALUES (:c, 4, :h, 'op', 'witness', "
                   ":k, :s, '2026-01-01T00:00:00.000000Z')",
           c=h.case_id, h=good, k=key_id,
           s=sign_as(h.vlas.keys.directory, "op", bytes.fromhex(good)))
    reasons = [str(p) for p in h.vlas.verify_custody(h.case_id).problems]
    assert "event 4: countersignature by op as witness, but the event names polder_inv as " \
           "witness" in reasons


@SQLITE_ONLY
def test_countersignature_moved_to_another_event(hand_over: HandOver) -> None:
    """polder_an's receiver signature of event 4, moved to event 6 (which also names
    polder_an as receiver), fails there, with or without its hash changed along."""
    h = hand_over
    h.polder.transfer(h.case_id, h.item_id, received_by="vlas_inv", to_location="desk")
    h.vlas.transfer(h.case_id, h.item_id, received_by="polder_an", to_location="bench")
    h.polder.countersign(h.case_id, 4)
    assert h.vlas.verify_custody(h.case_id).ok
    tamper(h.vlas, "UPDATE custody_countersignatures SET seq = 6 WHERE case_id = :c",
           c=h.case_id)
    result = h.vlas.verify_custody(h.case_id)
    assert not result.ok and {p.seq for p in result.problems} == {6}
    assert any("moved from another event" in p.reason for p in result.problems)
    assert PendingSignature(4, "receiver", "polder_an") in result.pending
    sixth = h.vlas.custody_log(h.case_id)[5]["event_hash"]
    tamper(h.vlas, "UPDATE custody_countersignatures SET event_hash = :h WHERE case_id = :c",
           h=sixth, c=h.case_id)
    result = h.vlas.verify_custody(h.case_id)
    assert [str(p) for p in result.problems] == [
        "event 6: countersignature by polder_an as receiver is not a valid signature of this "
        "event's hash by 'polder_an'"]


@SQLITE_ONLY
def test_party_who_is_not_a_user_is_reported_not_failed(hand_over: HandOver) -> None:
    """A witness named by plain name cannot sign: listed as unsigned by that party, ok."""
    h = hand_over
    h.polder.transfer(h.case_id, h.item_id, received_by="vlas_inv", witness="Jan Peeters",
                      to_location="PZ Vlas evidence room")
    result = h.vlas.verify_custody(h.case_id)
    assert result.ok
    assert PendingSignature(5, "witness", "Jan Peeters", is_user=False) in result.pending
    assert "not an lccu user" in str(result.pending[-1])
    with pytest.raises(InvalidInput, match="names Jan Peeters as witness"):
        h.vlas.countersign(h.case_id, 5, role="witness")


@SQLITE_ONLY
def test_export_carries_countersignatures(hand_over: HandOver, tmp_path: Path) -> None:
    """The export file has the countersignature lines and the parties' keys; verifying the
    file gives the same verdict as the database, and an edited one is named."""
    h = hand_over
    h.polder.countersign(h.case_id, 4)
    path = tmp_path / "custody.jsonl"
    h.vlas.export_custody(h.case_id, path)
    from_file = verify_export(path)
    from_db = h.vlas.verify_custody(h.case_id)
    assert from_file.ok and from_db.ok
    assert from_file.pending == from_db.pending == [PendingSignature(4, "witness",
                                                                     "polder_inv")]
    assert from_file.countersignatures_checked == 1
    text_ = path.read_text()
    assert '"type":"countersignature"' in text_
    edited = text_.replace('"role":"receiver"', '"role":"witness"')
    bad = tmp_path / "bad.jsonl"
    bad.write_text(edited)
    result = verify_export(bad)
    assert not result.ok and result.first_problem is not None
    assert result.first_problem.seq == 4


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_migration_on_postgresql(make_lab: Callable[..., Lab]) -> None:
    """Migration 0005 applied on PostgreSQL: the table exists at head and is append-only."""
    lab = make_lab("vlas_inv")
    with lab.db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            == schema_state(lab.db.engine).head
        assert conn.execute(text("SELECT count(*) FROM custody_countersignatures")).scalar() == 0
        trigger = conn.execute(text(
            "SELECT count(*) FROM information_schema.triggers "
            "WHERE event_object_table = 'custody_countersignatures' "
            "AND trigger_schema = current_schema()")).scalar()
    assert trigger == 2  # BEFORE UPDATE, BEFORE DELETE
