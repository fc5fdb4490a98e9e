"""Countersigning hand-overs by the other parties they name: kept apart from recording
events because it signs with the countersigner's own key beside an existing event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lccu.errors import InvalidInput
from lccu.evidence.caselock import lock_case
from lccu.evidence.chain import COUNTERSIGN_ROLES, named_party
from lccu.evidence.custody import (
    countersignature_to_dict,
    event_to_dict,
    load_countersignatures,
    load_events,
)
from lccu.evidence.invariants import MOVEMENT_ACTIONS
from lccu.evidence.keys import key_id_of, public_key_hex
from lccu.evidence.lab_base import LabBase, _now
from lccu.evidence.models import CustodyCountersignature, CustodyEvent


class LabCountersign(LabBase):
    """Countersignatures on hand-over events."""

    # -- countersignatures ---------------------------------------------------------------

    def countersign(self, case_ref: str, seq: int, *, role: str | None = None) -> dict[str, Any]:
        """Sign hand-over event ``seq`` of a case as a party it names other than its actor:
        ``role`` ``"receiver"``, ``"witness"`` or ``"releaser"`` (None: the one role in
        which the event names you). The signature is Ed25519 with your own key over the 32
        raw bytes of the event's hash, stored beside the event (whose hash never changes).

        Refused with :class:`InvalidInput` for an event that is not a hand-over, one that
        does not name you in that role, one you recorded (and signed) yourself, a second
        countersignature in the same role, and a key file that is not your registered key.
        Access as for recording an event in the case; audited as ``custody.countersigned``."""
        if role is not None and role not in COUNTERSIGN_ROLES:
            raise InvalidInput(f"unknown countersigning role {role!r}; use one of "
                               f"{', '.join(COUNTERSIGN_ROLES)}", key="countersign_role",
                               params={"role": role})
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq < 2**31:
            raise InvalidInput(f"{seq!r} is not an event sequence number",
                               key="countersign_seq", params={"seq": seq})
        me = self.actor.username
        self._unlock_own_key("custody.countersign")  # before any session: may prompt
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "custody.countersign", write=True)
            registered = self._signing_key_id(session)
            lock_case(session, case.id)
            row = session.scalar(select(CustodyEvent).where(CustodyEvent.case_id == case.id,
                                                            CustodyEvent.seq == seq))
            if row is None:
                raise InvalidInput(f"case {case.number} has no custody event {seq}",
                                   key="custody_event_missing",
                                   params={"case": case.number, "seq": seq})
            event = event_to_dict(row)
            if event["action"] not in MOVEMENT_ACTIONS:
                raise InvalidInput(f"event {seq} is a '{event['action']}', not a hand-over "
                                   "(transfer, check-out, check-in): only hand-overs are "
                                   "countersigned", key="countersign_not_handover",
                                   params={"seq": seq, "custody_action": event["action"]})
            if event["actor"] == me:
                raise InvalidInput(f"you recorded event {seq} and signed it already; a "
                                   "countersignature is for the other parties",
                                   key="countersign_own_event", params={"seq": seq})
            mine = [r for r in COUNTERSIGN_ROLES if named_party(event, r) == me]
            if role is None:
                if not mine:
                    raise InvalidInput(f"event {seq} does not name {me} as receiver, witness "
                                       "or releaser: only they countersign it",
                                       key="countersign_not_named",
                                       params={"seq": seq, "user": me})
                role = mine[0]
            elif role not in mine:
                raise InvalidInput(f"event {seq} names {named_party(event, role) or 'nobody'} "
                                   f"as {role}, not {me}: only they countersign it",
                                   key="countersign_other_party",
                                   params={"seq": seq, "party": named_party(event, role) or "-",
                                           "role": role, "user": me})
            earlier = session.scalar(select(CustodyCountersignature).where(
                CustodyCountersignature.case_id == case.id, CustodyCountersignature.seq == seq,
                CustodyCountersignature.role == role))
            if earlier is not None:
                raise InvalidInput(f"event {seq} was already countersigned as {role} by "
                                   f"{earlier.signer} at {earlier.signed_at}",
                                   key="countersign_done", params={
                                       "seq": seq, "role": role, "signer": earlier.signer,
                                       "at": earlier.signed_at})
            self.keys.forget_unless(me, registered)  # rotated since it was unlocked
            key = self.keys.load(me)
            key_id = key_id_of(public_key_hex(key.public_key()))
            if key_id != registered:
                raise InvalidInput(f"the signing key for {me} in {self.keys.directory} "
                                   f"({key_id[:16]}...) is not {me}'s registered key "
                                   f"({registered[:16]}...): countersign with your current key",
                                   key="countersign_wrong_key", params={"user": me})
            signed = CustodyCountersignature(
                case_id=case.id, seq=seq, event_hash=row.event_hash, signer=me, role=role,
                key_id=key_id, signature=key.sign(bytes.fromhex(row.event_hash)).hex(),
                signed_at=_now())
            session.add(signed)
            try:
                session.flush()
            except IntegrityError as exc:
                raise InvalidInput(f"event {seq} was countersigned as {role} at the same "
                                   "moment by another request", key="countersign_race",
                                   params={"seq": seq, "role": role}) from exc
            record = countersignature_to_dict(signed)
        self._allow("custody.countersigned", case=case, object_type="custody_event",
                    object_id=f"{record['case_id']}:{seq}",
                    detail={"seq": seq, "role": role, "event_hash": record["event_hash"],
                            "key_id": key_id})
        return record

    def countersign_status(self, case_ref: str) -> dict[str, Any]:
        """The custody log (``events``, as :meth:`custody_log` gives it) with its
        countersignatures, and the hand-overs that name the acting user and still wait for
        their countersignature (``awaiting``: ``{"seq", "role"}``); one audited read."""
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "custody.read")
            events = load_events(session, case.id)
            signatures = load_countersignatures(session, case.id)
        done = {(c["seq"], c["role"]) for c in signatures}
        me = self.actor.username
        awaiting = [{"seq": e["seq"], "role": role} for e in events for role in COUNTERSIGN_ROLES
                    if e["actor"] != me and named_party(e, role) == me
                    and (e["seq"], role) not in done]
        return {"events": events, "countersignatures": signatures, "awaiting": awaiting}
