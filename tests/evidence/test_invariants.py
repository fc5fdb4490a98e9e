"""The custody rules beyond hash-chaining: custodian, place, seal and disposal.

A log can be perfectly chained and signed and still tell an impossible story. These tests
show that lccu refuses to write such a story, and that ``verify`` (database and export file)
names the event where a story written around lccu -- re-hashed and re-signed with the users'
own keys, so that the chain itself is intact -- stops holding together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lccu.errors import InvalidInput
from lccu.evidence.canonical import GENESIS_HASH, canonical_json, format_time, utc_now
from lccu.evidence.chain import HASHED_FIELDS, compute_event_hash
from lccu.evidence.export import verify_export
from lccu.evidence.invariants import check_invariants, derive_items
from lccu.evidence.lab import Lab
from lccu.testing.keys import forger_keys, sign_as
from tests.evidence.conftest import tamper


@dataclass
class Handled:
    """A case of PZ Vlas shared with PZ Polder; one item sealed S-1, handed to polder_an."""

    vlas: Lab
    polder: Lab
    case_id: str
    item_id: str


@pytest.fixture
def handled(make_lab: Callable[..., Lab], image_file: Path) -> Handled:
    """Events: 1 case opened, 2 shared, 3 intake by vlas_inv (evidence room, seal S-1),
    4 transfer vlas_inv -> polder_an into LCCU locker 3, seal S-1 intact."""
    vlas = make_lab("vlas_inv")
    polder = make_lab("polder_an")
    case = vlas.create_case("Skimming ring", reference="PV 2026/0100")
    vlas.share_case(case.id, "PZ Polder", purpose="imaging by the LCCU")
    item = vlas.add_evidence(case.id, image_file, description="skimmer flash chip",
                             seal_number="S-1", location="PZ Vlas evidence room")
    head = vlas.transfer(case.id, item.id, received_by="polder_an", witness="op",
                         to_location="LCCU locker 3", seal_before="S-1", seal_after="S-1",
                         seal_intact=True, reason="to the LCCU for imaging")
    assert head["seq"] == 4
    return Handled(vlas, polder, case.id, item.id)


def _full_history(h: Handled) -> None:
    """Events 5-12: check-out, seal break, imaging, reseal, check-in, transfer back (written
    by the receiver), return to the owner, a note after the return."""
    c, i = h.case_id, h.item_id
    assert h.polder.check_out(c, i, to_location="LCCU lab bench 2", seal_before="S-1",
                              seal_intact=True, reason="imaging")["seq"] == 5
    assert h.polder.break_seal(c, i, seal="S-1", reason="bag opened to image")["seq"] == 6
    h.polder.record_event(c, "processed", evidence=i, details={"stage": "imaging"})
    assert h.polder.reseal(c, i, seal="S-2", reason="imaged, bag resealed")["seq"] == 8
    h.polder.check_in(c, i, to_location="LCCU locker 3", seal_before="S-2", seal_after="S-2",
                      seal_intact=True)
    h.vlas.transfer(c, i, released_by="polder_an", received_by="vlas_inv",
                    from_location="LCCU locker 3", to_location="PZ Vlas evidence room",
                    seal_before="S-2", seal_intact=True, reason="back from the LCCU")
    h.vlas.record_event(c, "returned", evidence=i, location="owner's address",
                        reason="returned to the owner", details={"released_by": "vlas_inv",
                                                                 "seal_before": "S-2"})
    assert h.vlas.record_event(c, "note", evidence=i, reason="owner signed the receipt")[
        "seq"] == 12


def test_correct_history_verifies(handled: Handled) -> None:
    """Intake, transfer A->B, check-out/in, seal break + reseal, transfer back and return:
    no integrity problem, no rule violation; custodian, place and seal derived step by step."""
    _full_history(handled)
    result = handled.vlas.verify_custody(handled.case_id)
    assert result.ok, (result.problems, result.violations)
    assert result.violations == [] and result.events_checked == 12
    log = handled.vlas.custody_log(handled.case_id)
    assert log[3]["details"]["released_by"] == "vlas_inv"  # filled in: the actor released it
    assert log[3]["location"] == "LCCU locker 3"  # the destination, also in `location`
    steps = {4: ("polder_an", "LCCU locker 3", "S-1"),
             5: ("polder_an", "LCCU lab bench 2", "S-1"),  # check-out: custody unchanged
             6: ("polder_an", "LCCU lab bench 2", None),  # seal broken: unsealed
             8: ("polder_an", "LCCU lab bench 2", "S-2"),
             9: ("polder_an", "LCCU locker 3", "S-2"),
             10: ("vlas_inv", "PZ Vlas evidence room", "S-2"),
             12: ("vlas_inv", "owner's address", "S-2")}
    for seq, (custodian, place, seal) in steps.items():
        state = derive_items(log[:seq])[handled.item_id]
        assert (state.custodian, state.location, state.seal) == (custodian, place, seal), seq
    final = derive_items(log)[handled.item_id]
    assert (final.disposed, final.disposed_at, final.label) == ("returned", 11, "exhibit EXH-001")


def test_plain_transfer_without_receiver_still_records(handled: Handled) -> None:
    """The older call (record_event 'transferred' with a location only) still works: the
    custodian moves the item and keeps custody."""
    handled.polder.record_event(handled.case_id, "transferred", evidence=handled.item_id,
                                location="LCCU locker 5", reason="moved")
    log = handled.polder.custody_log(handled.case_id)
    state = derive_items(log)[handled.item_id]
    assert (state.custodian, state.location) == ("polder_an", "LCCU locker 5")
    assert log[-1]["details"] == {"released_by": "polder_an", "to_location": "LCCU locker 5"}
    assert handled.polder.verify_custody(handled.case_id).ok


# -- refused at record time -------------------------------------------------------------------

Attempt = Callable[[Handled], Any]

REFUSALS: dict[str, tuple[Attempt, str]] = {
    "releaser-not-custodian": (
        lambda h: h.vlas.transfer(h.case_id, h.item_id, received_by="polder_inv"),
        "released by vlas_inv, but its custodian at that moment was polder_an (since event 4)"),
    "named-releaser-not-custodian": (
        lambda h: h.polder.transfer(h.case_id, h.item_id, released_by="vlas_inv",
                                    received_by="polder_inv"),
        "released by vlas_inv, but its custodian at that moment was polder_an"),
    "hand-over-to-oneself": (
        lambda h: h.polder.transfer(h.case_id, h.item_id, received_by="polder_an"),
        "cannot hand an item over to themselves"),
    "unknown-receiver": (
        lambda h: h.polder.transfer(h.case_id, h.item_id, received_by="nobody"),
        "no user 'nobody'"),
    "witness-is-a-party": (
        lambda h: h.polder.transfer(h.case_id, h.item_id, received_by="vlas_inv",
                                    witness="vlas_inv"),
        "the witness vlas_inv is a party"),
    "transfer-without-item": (
        lambda h: h.polder.record_event(h.case_id, "transferred",
                                        details={"received_by": "vlas_inv"}),
        "a transfer concerns one evidence item"),
    "receiver-on-a-note": (
        lambda h: h.polder.record_event(h.case_id, "note", evidence=h.item_id,
                                        details={"received_by": "vlas_inv"}),
        "not to a 'note' event"),
    "wrong-from-location": (
        lambda h: h.polder.check_out(h.case_id, h.item_id, from_location="LCCU locker 9",
                                     to_location="lab"),
        "left from 'LCCU locker 9', but it was at 'LCCU locker 3' (since event 4)"),
    "second-place": (
        lambda h: h.polder.record_event(h.case_id, "processed", evidence=h.item_id,
                                        location="analyst's home"),
        "recorded at 'analyst's home', but it was at 'LCCU locker 3' (since event 4)"),
    "seal-before-differs": (
        lambda h: h.polder.check_out(h.case_id, h.item_id, seal_before="S-9"),
        "recorded as S-9 before this event, but the seal after the previous event was S-1"),
    "seal-changed-unbroken": (
        lambda h: h.polder.check_out(h.case_id, h.item_id, seal_before="S-1",
                                     seal_after="S-2"),
        "went from seal S-1 to seal S-2 during this 'checked_out' event"),
    "reseal-over-intact-seal": (
        lambda h: h.polder.reseal(h.case_id, h.item_id, seal="S-2"),
        "resealed with S-2 while seal S-1 (since event 3) was intact"),
    "break-of-another-seal": (
        lambda h: h.polder.break_seal(h.case_id, h.item_id, seal="S-7", reason="open"),
        "recorded as S-7 before this event"),
    "seal-intact-not-boolean": (
        lambda h: h.polder.record_event(h.case_id, "checked_out", evidence=h.item_id,
                                        details={"seal_intact": "yes"}),
        "seal_intact must be true or false"),
}


@pytest.mark.parametrize("attempt", list(REFUSALS), ids=list(REFUSALS))
def test_rule_breaking_event_refused(handled: Handled, attempt: str) -> None:
    """Each event that would break a rule raises InvalidInput naming it; nothing appended."""
    call, expected = REFUSALS[attempt]
    before = handled.vlas.get_case(handled.case_id)
    with pytest.raises(InvalidInput) as refused:
        call(handled)
    assert "would break the chain of custody" in str(refused.value)
    assert expected in str(refused.value)
    after = handled.vlas.get_case(handled.case_id)
    assert (after.head_seq, after.head_hash) == (before.head_seq, before.head_hash) == (
        4, before.head_hash)
    assert len(handled.vlas.custody_log(handled.case_id)) == 4


def test_nothing_but_views_after_disposal(handled: Handled) -> None:
    """After `destroyed`, processing is refused (and the item keeps its state); notes and
    exports are still recorded."""
    c, i = handled.case_id, handled.item_id
    handled.polder.record_event(c, "destroyed", evidence=i, reason="court order 12/2026")
    with pytest.raises(InvalidInput, match="after it was destroyed at event 5"):
        handled.polder.record_event(c, "processed", evidence=i, details={"stage": "x"})
    with pytest.raises(InvalidInput, match="after it was destroyed"):
        handled.polder.transfer(c, i, received_by="vlas_inv")
    assert handled.polder.get_evidence(i).state == "destroyed"
    handled.polder.record_event(c, "note", evidence=i, reason="destruction certificate filed")
    assert handled.polder.verify_custody(c).ok


# -- histories written around lccu ------------------------------------------------------------


def _rewrite_log(lab: Lab, case_id: str, events: list[dict[str, Any]]) -> None:
    """Put ``events`` in place of the case's log as someone with database rights and the
    users' keys could: triggers dropped, every event re-chained, re-hashed and re-signed by
    its own actor, the case head and the anchor file made to match. The chain is intact."""
    rows: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    for seq, event in enumerate(events, 1):
        record = {name: event.get(name) for name in HASHED_FIELDS}
        record.update(seq=seq, prev_hash=prev)
        record["event_hash"] = prev = compute_event_hash(record)
        record["signature"] = sign_as(lab.keys.directory, str(record["actor"]),
                                      bytes.fromhex(prev))
        rows.append(record)
    tamper(lab, "DELETE FROM custody_events WHERE case_id = :c", c=case_id)
    columns = [*HASHED_FIELDS, "event_hash", "signature"]
    insert = text(f"INSERT INTO custody_events ({', '.join(columns)}) "
                  f"VALUES ({', '.join(':' + c for c in columns)})")
    with lab.db.engine.begin() as conn:
        for row in rows:
            conn.execute(insert, {**row,
                                  "observed_hashes": canonical_json(row["observed_hashes"])
                                  .decode(), "details": canonical_json(row["details"]).decode()})
        conn.execute(text("UPDATE cases SET head_seq = :s, head_hash = :h WHERE id = :c"),
                     {"s": len(rows), "h": prev, "c": case_id})
    (lab.settings.anchor_dir / f"{case_id}.anchors").unlink()
    for row in rows:
        lab.anchors.record(case_id, row["seq"], row["event_hash"], row["actor"],
                           forger_keys(lab.keys.directory))


def _forged(lab: Lab, h: Handled, actor: str, action: str, *, location: str | None = None,
            details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new event about the item, as ``actor`` would sign it."""
    user = next(u for u in lab.users() if u.username == actor)
    now = format_time(utc_now())
    return {"v": 1, "case_id": h.case_id, "occurred_at": now, "recorded_at": now,
            "actor": actor, "actor_zone": user.zone, "actor_role": user.role,
            "key_id": user.key_id, "action": action, "evidence_id": h.item_id,
            "location": location, "reason": "written around lccu", "observed_hashes": {},
            "details": details or {}}


FORGERIES: dict[str, tuple[Callable[[Lab, Handled], dict[str, Any]], str, str]] = {
    "custodian": (
        lambda lab, h: _forged(lab, h, "vlas_inv", "transferred", location="PZ Vlas garage",
                               details={"released_by": "vlas_inv",
                                        "received_by": "polder_inv"}),
        "custodian",
        "was released by vlas_inv, but its custodian at that moment was polder_an "
        "(since event 4)"),
    "two-places": (
        lambda lab, h: _forged(lab, h, "polder_an", "processed", location="analyst's home"),
        "location",
        "recorded at 'analyst's home', but it was at 'LCCU locker 3' (since event 4) and no "
        "transfer, check-out or check-in moved it"),
    "left-from-elsewhere": (
        lambda lab, h: _forged(lab, h, "polder_an", "checked_out",
                               details={"from_location": "PZ Vlas garage",
                                        "to_location": "lab"}),
        "location", "left from 'PZ Vlas garage', but it was at 'LCCU locker 3'"),
    "seal-before": (
        lambda lab, h: _forged(lab, h, "polder_an", "checked_out",
                               details={"seal_before": "S-5", "seal_intact": True}),
        "seal",
        "recorded as S-5 before this event, but the seal after the previous event was S-1 "
        "(since event 3) and no seal break was recorded"),
    "seal-swapped": (
        lambda lab, h: _forged(lab, h, "polder_an", "checked_in",
                               details={"seal_before": "S-1", "seal_after": "S-6"}),
        "seal", "went from seal S-1 to seal S-6 during this 'checked_in' event"),
}


@pytest.mark.parametrize("forgery", list(FORGERIES), ids=list(FORGERIES))
def test_forged_event_reported_with_its_sequence_number(handled: Handled, forgery: str) -> None:
    """An event appended around lccu, chained and signed correctly, passes every integrity
    check but is reported as a custody rule violation at event 5."""
    make, rule, expected = FORGERIES[forgery]
    lab = handled.vlas
    events = lab.custody_log(handled.case_id)
    _rewrite_log(lab, handled.case_id, [*events, make(lab, handled)])
    result = lab.verify_custody(handled.case_id)
    assert result.problems == [], result.problems  # the chain itself is intact
    assert result.events_checked == 5 and result.anchors_checked == 5
    assert not result.ok
    assert [(v.seq, v.rule, v.evidence_id) for v in result.violations] == [
        (5, rule, handled.item_id)]
    assert expected in result.violations[0].reason
    assert "exhibit EXH-001" in result.violations[0].reason
    assert "FAILED the custody rules" in result.summary() and "event 5" in result.summary()


def test_handling_after_disposal_reported(handled: Handled) -> None:
    """A `processed` event slipped in after the item was returned is reported at its number
    (a note after it is not)."""
    lab = handled.vlas
    events = lab.custody_log(handled.case_id)
    returned = _forged(lab, handled, "polder_an", "returned",
                       details={"released_by": "polder_an"})
    after = _forged(lab, handled, "polder_an", "processed", details={"stage": "carving"})
    note = _forged(lab, handled, "polder_an", "note")
    _rewrite_log(lab, handled.case_id, [*events, returned, after, note])
    result = lab.verify_custody(handled.case_id)
    assert result.problems == []
    assert [(v.seq, v.rule) for v in result.violations] == [(6, "disposal")]
    assert "'processed' on exhibit EXH-001 after it was returned at event 5" in (
        result.violations[0].reason)


def test_removed_seal_break_reported_at_the_reseal(handled: Handled) -> None:
    """Deleting the seal-break event from the middle of the log and rebuilding the chain
    leaves a valid chain; the reseal that now follows an intact seal is reported."""
    _full_history(handled)
    lab = handled.vlas
    events = lab.custody_log(handled.case_id)
    assert events[5]["action"] == "seal_broken"
    _rewrite_log(lab, handled.case_id, events[:5] + events[6:])
    result = lab.verify_custody(handled.case_id)
    assert result.problems == [] and result.events_checked == 11
    assert [(v.seq, v.rule) for v in result.violations] == [(7, "seal")]
    assert "resealed with S-2 while seal S-1 (since event 3) was intact" in (
        result.violations[0].reason)


def test_violation_reported_through_an_export_file(handled: Handled, tmp_path: Path) -> None:
    """The export of a forged history verifies as a chain but fails the custody rules, in
    lccu's export verifier and in `lccu custody verify --file` (exit 1, rule printed)."""
    lab = handled.vlas
    make, _, expected = FORGERIES["custodian"]
    _rewrite_log(lab, handled.case_id, [*lab.custody_log(handled.case_id), make(lab, handled)])
    path = tmp_path / "custody.jsonl"
    exported = lab.export_custody(handled.case_id, path, recipient="defence")
    assert [v.seq for v in exported.violations] == [5]
    result = verify_export(path, expected_head=lab.get_case(handled.case_id).head_hash)
    assert result.problems == [] and result.events_checked == 6
    assert [(v.seq, v.rule) for v in result.violations] == [(5, "custodian")]
    assert expected in result.violations[0].reason
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env["LCCU_HOME"] = str(tmp_path / "cli-home")
    cli = [sys.executable, "-m", "lccu.cli.main", "custody", "verify", "--file", str(path)]
    shown = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 1, shown.stderr
    assert "custody rules:" in shown.stderr and "event 5: exhibit EXH-001" in shown.stderr
    as_json = subprocess.run([*cli, "--json"], env=env, capture_output=True, text=True,
                             timeout=120)
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["problems"] == []
    assert [(v["seq"], v["rule"]) for v in report["violations"]] == [(5, "custodian")]


def test_check_invariants_reads_malformed_details() -> None:
    """The pure check reads what a tampered file may hold: a non-object ``details``, a
    transfer of an item never taken in, wrong field types."""
    events = [
        {"seq": 1, "action": "transferred", "actor": "a", "evidence_id": "x" * 36,
         "details": "not an object"},
        {"seq": 2, "action": "checked_out", "actor": "a", "evidence_id": "x" * 36,
         "details": {"seal_after": 7}},
    ]
    found = check_invariants(events)
    assert [(v.seq, v.rule) for v in found] == [(1, "custodian"), (2, "record")]
    assert "no intake of the item comes before it" in found[0].reason
    assert "item xxxxxxxx" in found[0].reason
