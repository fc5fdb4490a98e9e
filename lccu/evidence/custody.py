"""Appending signed events to a case's custody log, and reading them back for verification.

Before an event about an item is appended, the item's earlier events are read under the case
row's lock and the custody rules of :mod:`lccu.evidence.invariants` are checked: an event that
would break them is refused with :class:`InvalidInput` and nothing is appended.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lccu.errors import InvalidInput
from lccu.evidence.access import Actor
from lccu.evidence.canonical import GENESIS_HASH, canonical_json, format_time, utc_now
from lccu.evidence.caselock import lock_case
from lccu.evidence.chain import ACTIONS, FORMAT_VERSION, SignerKey, compute_event_hash
from lccu.evidence.invariants import MOVEMENT_ACTIONS, Violation, new_event_reasons
from lccu.evidence.keys import KeyStore
from lccu.evidence.models import (
    Case,
    CustodyCountersignature,
    CustodyEvent,
    KeyRegistryEntry,
    User,
)
from lccu.evidence.registry import registry_entry_hash


def event_to_dict(event: CustodyEvent) -> dict[str, Any]:
    """The exchange form of an event: what is hashed, plus the hash and the signature."""
    return {
        "v": event.v,
        "case_id": event.case_id,
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "actor": event.actor,
        "actor_zone": event.actor_zone,
        "actor_role": event.actor_role,
        "key_id": event.key_id,
        "action": event.action,
        "evidence_id": event.evidence_id,
        "location": event.location,
        "reason": event.reason,
        "observed_hashes": json.loads(event.observed_hashes),
        "details": json.loads(event.details),
        "prev_hash": event.prev_hash,
        "event_hash": event.event_hash,
        "signature": event.signature,
    }


def append_event(
    session: Session,
    case: Case,
    actor: Actor,
    key_id: str,
    keys: KeyStore,
    action: str,
    *,
    evidence_id: str | None = None,
    location: str | None = None,
    reason: str | None = None,
    observed_hashes: Mapping[str, str] | None = None,
    details: Mapping[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> CustodyEvent:
    """Hash, sign and add the next event of ``case`` (flushed, not committed)."""
    if action not in ACTIONS:
        raise InvalidInput(f"unknown custody action {action!r}; use one of {', '.join(ACTIONS)}")
    locked = lock_case(session, case.id)
    last = session.execute(
        select(CustodyEvent.seq, CustodyEvent.event_hash)
        .where(CustodyEvent.case_id == case.id)
        .order_by(CustodyEvent.seq.desc())
        .limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    _refuse_rule_breaks(session, case, seq, actor.username, action, evidence_id, location,
                        details)
    now = utc_now()
    record: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "case_id": case.id,
        "seq": seq,
        "occurred_at": format_time(occurred_at or now),
        "recorded_at": format_time(now),
        "actor": actor.username,
        "actor_zone": actor.zone,
        "actor_role": actor.role,
        "key_id": key_id,
        "action": action,
        "evidence_id": evidence_id,
        "location": location,
        "reason": reason,
        "observed_hashes": dict(observed_hashes or {}),
        "details": dict(details or {}),
        "prev_hash": last.event_hash if last else GENESIS_HASH,
    }
    try:
        canonical_json(record)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"custody event details must be plain JSON values: {exc}") from exc
    event_hash = compute_event_hash(record)
    event = CustodyEvent(
        **{**record,
           "observed_hashes": canonical_json(record["observed_hashes"]).decode(),
           "details": canonical_json(record["details"]).decode()},
        event_hash=event_hash,
        signature=keys.sign(actor.username, bytes.fromhex(event_hash)),
    )
    session.add(event)
    locked.head_seq = record["seq"]
    locked.head_hash = event_hash
    session.flush()
    return event


def _refuse_rule_breaks(session: Session, case: Case, seq: int, actor: str, action: str,
                        evidence_id: str | None, location: str | None,
                        details: Mapping[str, Any] | None) -> None:
    """Raise :class:`InvalidInput` if the event would break a custody rule (called with the
    case row locked, so two hand-overs of one item cannot both pass)."""
    fields = dict(details or {})
    candidate = {"seq": seq, "actor": actor, "action": action, "evidence_id": evidence_id,
                 "location": location, "details": fields}
    history: list[dict[str, Any]] = []
    if evidence_id is not None:
        history = [event_to_dict(row) for row in session.scalars(
            select(CustodyEvent).where(CustodyEvent.case_id == case.id,
                                       CustodyEvent.evidence_id == evidence_id)
            .order_by(CustodyEvent.seq))]
    found = new_event_reasons(history, candidate)
    if action in MOVEMENT_ACTIONS:
        named = {str(fields[name]) for name in ("released_by", "received_by")
                 if fields.get(name) is not None}
        known = set(session.scalars(select(User.username).where(User.username.in_(named))))
        found += [Violation(seq, evidence_id, "record",
                            f"no user {name!r}: released_by and received_by are lccu usernames",
                            key="custody_rule_no_user", params={"user": name})
                  for name in sorted(named - known)]
    reasons = [v.reason for v in found]
    if reasons:
        # each reason with its key and facts, so the web says them in the page's language
        said = [{"key": v.key, "params": v.params, "text": v.reason} for v in found]
        raise InvalidInput(f"event not recorded, it would break the chain of custody: "
                           f"{'; '.join(reasons)}", key="custody_chain_broken",
                           params={"reasons": said})


def load_events(session: Session, case_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CustodyEvent).where(CustodyEvent.case_id == case_id).order_by(CustodyEvent.seq)
    )
    return [event_to_dict(row) for row in rows]


def signer_keys(session: Session, usernames: set[str] | None = None) -> dict[str, SignerKey]:
    query = select(User.username, User.public_key)
    if usernames is not None:
        query = query.where(User.username.in_(usernames))
    return {name: SignerKey(name, key) for name, key in session.execute(query)}


def countersignature_to_dict(row: CustodyCountersignature) -> dict[str, Any]:
    """The exchange form of a countersignature (database, export file, API)."""
    return {"case_id": row.case_id, "seq": row.seq, "event_hash": row.event_hash,
            "signer": row.signer, "role": row.role, "key_id": row.key_id,
            "signature": row.signature, "signed_at": row.signed_at}


def load_countersignatures(session: Session, case_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CustodyCountersignature).where(CustodyCountersignature.case_id == case_id)
        .order_by(CustodyCountersignature.seq, CustodyCountersignature.id))
    return [countersignature_to_dict(row) for row in rows]


def registry_to_dict(row: KeyRegistryEntry) -> dict[str, Any]:
    """The exchange form of a key registry entry (database, export file)."""
    return {"seq": row.seq, "recorded_at": row.recorded_at, "action": row.action,
            "username": row.username, "public_key": row.public_key, "key_id": row.key_id,
            "valid_from": row.valid_from, "reason": row.reason, "operator": row.operator,
            "unit_key_id": row.unit_key_id, "prev_hash": row.prev_hash,
            "entry_hash": row.entry_hash, "signature": row.signature}


def load_registry(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(KeyRegistryEntry).order_by(KeyRegistryEntry.seq))
    return [registry_to_dict(row) for row in rows]


def append_registry(session: Session, sign: Callable[[bytes], str], unit_key_id: str, *,
                    action: str, username: str, key_id: str, operator: str,
                    public_key: str | None = None, valid_from: str | None = None,
                    reason: str | None = None) -> dict[str, Any]:
    """Add one registry entry signed by ``sign`` (the unit key), flushed, not committed."""
    last = session.execute(select(KeyRegistryEntry.seq, KeyRegistryEntry.entry_hash)
                           .order_by(KeyRegistryEntry.seq.desc()).limit(1)).first()
    entry: dict[str, Any] = {
        "seq": (last.seq + 1) if last else 1, "recorded_at": format_time(utc_now()),
        "action": action, "username": username, "public_key": public_key, "key_id": key_id,
        "valid_from": valid_from, "reason": reason, "operator": operator,
        "unit_key_id": unit_key_id, "prev_hash": last.entry_hash if last else GENESIS_HASH}
    entry["entry_hash"] = registry_entry_hash(entry)
    entry["signature"] = sign(bytes.fromhex(entry["entry_hash"]))
    session.add(KeyRegistryEntry(**entry))
    session.flush()
    return entry
