"""Recording custody events (hand-overs, seals, notes), reading the log and verifying it:
the custody part of :class:`~lccu.evidence.lab.Lab`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from lccu.errors import InvalidInput
from lccu.evidence.chain import Anchor, Problem, VerifyResult, verify_events
from lccu.evidence.custody import load_countersignatures, load_events
from lccu.evidence.keys import key_id_of
from lccu.evidence.lab_base import LabBase
from lccu.evidence.lab_lookup import _recorded_event
from lccu.evidence.models import User


class LabCustody(LabBase):
    """The signed custody log of a case."""

    # -- custody ------------------------------------------------------------------------------

    def record_event(self, case_ref: str, action: str, *, evidence: str | None = None,
                     location: str | None = None, reason: str | None = None,
                     observed_hashes: Mapping[str, str] | None = None,
                     details: Mapping[str, Any] | None = None,
                     occurred_at: datetime | None = None,
                     processing: bool = False,
                     once: bool = False) -> dict[str, Any]:
        """Append one custody event (a transfer, a check, a note ...) and return the new head.

        An event that would break a custody rule (see :mod:`lccu.evidence.invariants`: a
        hand-over by someone who is not the custodian, a place or seal that contradicts the
        item's earlier events, handling after disposal) is refused with
        :class:`InvalidInput` and nothing is appended. On a hand-over (``transferred``,
        ``checked_out``, ``checked_in``) ``details`` may carry ``released_by`` (default: the
        acting user), ``received_by``, ``witness``, ``from_location``, ``to_location``
        (default: ``location``), ``seal_before``, ``seal_after`` and ``seal_intact``;
        :meth:`transfer` spells them out as parameters.

        ``processing=True`` (workers, operators only) allows only ``processed`` events.
        ``once=True`` makes the append idempotent: if the case already has an event with
        this action, item and ``reason``, nothing is appended and that event is returned.
        The check and the append happen under the case row's lock in one transaction, so
        two workers finishing the same stage record it once."""
        if processing and action != "processed":
            raise InvalidInput("the processing path records only 'processed' events")
        if once and not reason:
            raise InvalidInput("once=True needs a reason that identifies the event")
        from lccu.evidence.invariants import MOVEMENT_ACTIONS, complete_new_event

        location, filled = complete_new_event(action, self.actor.username, location, details)
        with self.db.session() as session:
            parties = tuple(str(filled[k]) for k in ("received_by",)
                            if action in MOVEMENT_ACTIONS and filled.get(k))
            case = self._case_for(session, case_ref, f"custody.{action}", write=True,
                                  processing=processing, parties=parties)
            item_id = None
            if evidence is not None:
                found = self.gate.find_item(session, evidence, case=case)
                if found is None:  # another case's item is "no such item" here too
                    raise self.gate.missing(f"custody.{action}", "evidence", evidence,
                                            f"evidence item in case {case.number}")
                item = found
                item_id = item.id
                if action in ("returned", "destroyed"):
                    item.state = action
            if once:
                existing = _recorded_event(session, case, action, item_id, reason)
                if existing is not None:
                    return {"case_id": case.id, "seq": existing.seq,
                            "event_hash": existing.event_hash, "existing": True}
            head = self._append(session, case, action, evidence_id=item_id, location=location,
                                reason=reason, observed_hashes=observed_hashes,
                                details=filled, occurred_at=occurred_at)
        self._anchor(head)
        return head

    def transfer(self, case_ref: str, evidence: str, *, received_by: str | None = None,
                 released_by: str | None = None, witness: str | None = None,
                 from_location: str | None = None, to_location: str | None = None,
                 seal_before: str | None = None, seal_after: str | None = None,
                 seal_intact: bool | None = None, reason: str | None = None,
                 occurred_at: datetime | None = None,
                 action: str = "transferred") -> dict[str, Any]:
        """Record a hand-over of an item: custody passes from ``released_by`` (default: you,
        who must be the current custodian) to ``received_by`` (left out: the releaser keeps
        custody and only the place changes). ``action`` is ``transferred``, ``checked_out``
        or ``checked_in``. Refused (:class:`InvalidInput`) if it contradicts the item's
        custodian, place or seal as the earlier events record them."""
        from lccu.evidence.invariants import MOVEMENT_ACTIONS

        if action not in MOVEMENT_ACTIONS:
            raise InvalidInput(f"a hand-over is one of {', '.join(sorted(MOVEMENT_ACTIONS))}, "
                               f"not {action!r}")
        given = {"released_by": released_by, "received_by": received_by, "witness": witness,
                 "from_location": from_location, "to_location": to_location,
                 "seal_before": seal_before, "seal_after": seal_after,
                 "seal_intact": seal_intact}
        return self.record_event(case_ref, action, evidence=evidence, reason=reason,
                                 occurred_at=occurred_at,
                                 details={k: v for k, v in given.items() if v is not None})

    def check_out(self, case_ref: str, evidence: str, **fields: Any) -> dict[str, Any]:
        """:meth:`transfer` out of the evidence store (e.g. to an examiner)."""
        return self.transfer(case_ref, evidence, action="checked_out", **fields)

    def check_in(self, case_ref: str, evidence: str, **fields: Any) -> dict[str, Any]:
        """:meth:`transfer` back into the evidence store."""
        return self.transfer(case_ref, evidence, action="checked_in", **fields)

    def break_seal(self, case_ref: str, evidence: str, *, seal: str, reason: str,
                   occurred_at: datetime | None = None) -> dict[str, Any]:
        """Record that the item's current seal ``seal`` is broken (the item is then unsealed
        until :meth:`reseal`)."""
        return self.record_event(case_ref, "seal_broken", evidence=evidence, reason=reason,
                                 occurred_at=occurred_at,
                                 details={"seal_before": seal, "seal_intact": False})

    def reseal(self, case_ref: str, evidence: str, *, seal: str, reason: str | None = None,
               occurred_at: datetime | None = None) -> dict[str, Any]:
        """Record the new seal ``seal`` put on an item whose seal was broken."""
        return self.record_event(case_ref, "resealed", evidence=evidence, reason=reason,
                                 occurred_at=occurred_at, details={"seal_after": seal})

    def _unanchored(self, case_id: str, events: list[dict[str, Any]], anchors: list[Anchor],
                    *, server: bool) -> list[Problem]:
        """Absence is a finding: every event is anchored when it is appended (or, if that
        process stopped first, late by the next append), so a case with events but no anchors
        lost them, and an event before the last without its anchor was put in the database
        some other way. The last one may also be a crash's: the message says both."""
        where = "in S3 (object lock)" if server else f"in {self.anchors.directory}"
        if not events:
            return []
        if not anchors:
            what = ("no anchor objects" if server else
                    f"anchor file {self.anchors.directory / (case_id + '.anchors')} is missing"
                    if not self.anchors.exists(case_id) else "no valid anchor line")
            return [Problem(None, f"the case has {len(events)} events but {what} {where}: "
                                  "its anchors were deleted, or the log was made outside "
                                  "lccu")]
        anchored = {a.seq for a in anchors}
        missing = [e["seq"] for e in events if e["seq"] not in anchored]
        last = events[-1]["seq"]
        return [Problem(seq, f"event {seq} has no anchor {where}: the process that appended "
                             "it stopped before anchoring it (the next append to the case "
                             "anchors it late if its chain link and signature verify), or it "
                             "was inserted into the database" if seq == last else
                        f"event {seq} has no anchor {where}: it was not appended by "
                        "lccu (inserted in the database?)") for seq in missing]

    @staticmethod
    def _late_notes(events: list[dict[str, Any]], anchors: list[Anchor]) -> list[str]:
        """Events whose only anchors were written late (the appending process stopped
        first): a note, not a failure; the late anchor's signature was checked like any."""
        seqs = {e["seq"] for e in events}
        notes: list[str] = []
        for seq in sorted({a.seq for a in anchors if a.late} & seqs):
            own = [a for a in anchors if a.seq == seq]
            if all(a.late for a in own):
                first = min(own, key=lambda a: a.recorded_at or "")
                notes.append(f"event {seq} anchored late by {first.anchored_by} at "
                             f"{first.recorded_at} (the process that appended it stopped "
                             "before anchoring)")
        return notes

    def custody_log(self, case_ref: str) -> list[dict[str, Any]]:
        """The case's custody events, oldest first, as plain data (the read is audited)."""
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "custody.read")
            return load_events(session, case.id)

    def verify_custody(self, case_ref: str, *, expected_head: str | None = None,
                       prefix: bool = False, unit_key: str | None = None) -> VerifyResult:
        """Recompute every hash and signature, compare with the anchors outside the DB and
        check the custody rules (``result.violations``; ``ok`` is false if there are any).
        ``expected_head`` (noted in the PV) must be the log's last event unless ``prefix``
        (then the events after it are listed in ``result.after_head``)."""
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "custody.verify")
            events = load_events(session, case.id)
            signatures = load_countersignatures(session, case.id)
            keys, registry_problems = self._key_ring(session, unit_key)
            case_id, head_seq, head_hash = case.id, case.head_seq, case.head_hash
            actors = {e["actor"] for e in events} | {c["signer"] for c in signatures}
            for user in session.scalars(select(User).where(User.username.in_(actors))):
                current = keys.current(user.username)
                if current is not None and current.key_id != key_id_of(user.public_key):
                    registry_problems.append(
                        f"users row of {user.username!r} holds key "
                        f"{key_id_of(user.public_key)[:16]}..., but the key registry "
                        f"certifies {current.key_id[:16]}... (changed in the database)")
        anchors, complaints = self.anchors.read(case_id, keys)
        remote = self.anchors.read_remote(case_id, keys, self.settings)
        if remote is not None:
            anchors, complaints = anchors + remote[0], complaints + remote[1]
        result = verify_events(events, keys, case_id=case_id, anchors=anchors,
                               expected_head=expected_head, countersignatures=signatures,
                               prefix=prefix)
        for complaint in [*registry_problems, *complaints]:
            result.problems.append(Problem(None, complaint))
        counted = anchors if remote is None else remote[0]
        result.problems += self._unanchored(case_id, events, counted, server=remote is not None)
        result.notes += self._late_notes(events, counted)
        result.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
        if (head_seq, head_hash) != (result.head_seq, result.head_hash) and events:
            result.problems.append(Problem(
                result.head_seq, f"case record says head #{head_seq} {head_hash[:16]}..., the "
                                 f"log ends at #{result.head_seq}"))
        return result
