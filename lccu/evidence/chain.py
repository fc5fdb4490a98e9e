"""The custody hash chain: how an event is hashed and signed, and how a chain is verified.

An event's hash is SHA-256 over the canonical JSON of every field except the hash and the
signature; the fields include the previous event's hash and the per-case sequence number, so
a changed field, a deleted, inserted or reordered event all break the chain at the first
affected event. The actor signs the 32 raw bytes of that hash with Ed25519; the fingerprint
of the actor's key (``key_id``) is inside the hashed fields, so a signature made with any
other key fails. A cut tail leaves a valid but shorter chain: it is caught by comparing the
chain with a head *anchor* kept outside the database (see :mod:`lccu.evidence.anchors`) or
with a head hash noted on paper.

This module is pure (no database, no files) so that exactly the same code verifies the
database and an export file handed to a court. Beyond integrity, :func:`verify_events` also
checks the custody rules of :mod:`lccu.evidence.invariants` (custodian, place, seal,
disposal) and reports their violations separately from the integrity problems.

Hand-overs are also signed by their other parties: a *countersignature* is the receiver's,
witness's (or, when someone else recorded the event, the releaser's) Ed25519 signature over
the same 32 raw bytes of the event hash, kept beside the event so that the event and its hash
never change. :func:`check_countersignatures` checks each one and lists the parties who are
users but have not signed yet (*pending*: a status, not a failure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lccu.evidence.canonical import GENESIS_HASH, canonical_json, parse_time, sha256_hex
from lccu.evidence.invariants import (
    AFTER_DISPOSAL_ALLOWED,
    DISPOSAL_ACTIONS,
    MOVEMENT_ACTIONS,
    Violation,
    check_invariants,
)
from lccu.evidence.keys import key_id_of, verify_signature
from lccu.evidence.registry import KeyRing
from lccu.evidence.terms import ACTIONS, COUNTERSIGN_ROLES

FORMAT_VERSION = 1

__all__ = ["ACTIONS", "AFTER_DISPOSAL_ALLOWED", "COUNTERSIGN_ROLES", "DISPOSAL_ACTIONS",
           "Anchor", "PendingSignature", "Problem", "SignerKey", "VerifyResult", "Violation",
           "check_countersignatures", "check_link", "compute_event_hash", "named_party",
           "verify_events"]

HASHED_FIELDS = (
    "v",
    "case_id",
    "seq",
    "occurred_at",
    "recorded_at",
    "actor",
    "actor_zone",
    "actor_role",
    "key_id",
    "action",
    "evidence_id",
    "location",
    "reason",
    "observed_hashes",
    "details",
    "prev_hash",
)


def event_payload(event: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an event that its hash covers."""
    return {name: event.get(name) for name in HASHED_FIELDS}


def compute_event_hash(event: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_json(event_payload(event)))


@dataclass(frozen=True)
class SignerKey:
    """A user's public key as the verifier knows it."""

    username: str
    public_key: str

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)


@dataclass(frozen=True)
class Anchor:
    """A head (sequence number and hash) recorded outside the database. ``late``: written
    not by the process that appended the event (it stopped first) but by the next append to
    the case, ``anchored_by`` whom, at ``recorded_at``, after checking the event's chain link
    and signature (see :func:`check_link`)."""

    seq: int
    head_hash: str
    source: str
    late: bool = False
    anchored_by: str | None = None
    recorded_at: str | None = None
    #: the actor the anchor line names (for a late anchor: the event's, not the signer)
    actor: str | None = None


@dataclass(frozen=True)
class Problem:
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "chain"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class PendingSignature:
    """A party named in a hand-over who has not countersigned it. ``is_user`` false: the
    party is no lccu user (a witness's plain name, say) and cannot sign; reported, never a
    failure."""

    seq: int
    role: str
    party: str
    is_user: bool = True

    def __str__(self) -> str:
        if self.is_user:
            return f"event {self.seq}: countersignature of {self.party} as {self.role} pending"
        return (f"event {self.seq}: not signed by the {self.role} {self.party!r}, who is not "
                "an lccu user and cannot countersign")


@dataclass(frozen=True)
class AfterHead:
    """An event recorded after the head noted outside the system."""

    seq: int | None
    action: str
    actor: str
    recorded_at: str

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor} at {self.recorded_at}"


@dataclass
class VerifyResult:
    """Outcome of a verification; ``ok`` only when no problem at all was found.

    ``problems`` are breaks of integrity (hashes, links, signatures, anchors);
    ``violations`` are breaks of the custody rules by an intact log (a hand-over by someone
    who did not hold the item, an item in two places, a seal that changed unbroken, handling
    after disposal)."""

    case_id: str | None
    events_checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[Problem] = field(default_factory=list)
    anchors_checked: int = 0
    violations: list[Violation] = field(default_factory=list)
    countersignatures_checked: int = 0
    #: hand-over parties who have not countersigned (does not make ``ok`` false)
    pending: list[PendingSignature] = field(default_factory=list)
    #: the sequence number of the head noted outside the system, when one was given
    noted_head_seq: int | None = None
    #: events after that noted head (a problem unless verified with ``prefix``)
    after_head: list[AfterHead] = field(default_factory=list)
    #: fingerprint of the unit key the key registry was checked against
    unit_key_id: str | None = None
    #: True when that unit key came from the export file itself, not from the verifier
    unit_key_from_file: bool = False
    #: remarks that are not failures (an event anchored late after its process stopped)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.violations

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def first_violation(self) -> Violation | None:
        return self.violations[0] if self.violations else None

    def as_dict(self) -> dict[str, Any]:
        """The result for JSON (CLI ``--json`` and the REST API)."""
        first = self.first_problem
        return {"ok": self.ok, "case_id": self.case_id, "events": self.events_checked,
                "events_checked": self.events_checked, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "anchors_checked": self.anchors_checked,
                "first_problem": str(first) if first else None,
                "problems": [{"seq": p.seq, "reason": p.reason} for p in self.problems],
                "violations": [{"seq": v.seq, "evidence_id": v.evidence_id, "rule": v.rule,
                                "reason": v.reason} for v in self.violations],
                "countersignatures_checked": self.countersignatures_checked,
                "pending": [{"seq": p.seq, "role": p.role, "party": p.party,
                             "is_user": p.is_user} for p in self.pending],
                "noted_head_seq": self.noted_head_seq,
                "after_head": [{"seq": a.seq, "action": a.action, "actor": a.actor,
                                "recorded_at": a.recorded_at} for a in self.after_head],
                "unit_key_id": self.unit_key_id, "unit_key_from_file": self.unit_key_from_file,
                "notes": list(self.notes)}

    def summary(self) -> str:
        if self.ok:
            waiting = sum(1 for p in self.pending if p.is_user)
            return (
                f"custody log verified: {self.events_checked} events, head #{self.head_seq} "
                f"{self.head_hash}"
            ) + (f"; {waiting} countersignature(s) pending" if waiting else "") + (
                f"; extends the noted head #{self.noted_head_seq} by {len(self.after_head)} "
                "event(s)" if self.after_head else "") + (
                f"; {len(self.notes)} note(s)" if self.notes else "")
        rules = (f"{len(self.violations)} custody rule violation(s), the first at "
                 f"{self.first_violation}")
        if self.problems:
            text = (f"custody log FAILED verification at {self.first_problem} "
                    f"({len(self.problems)} problem(s))")
            return text + (f"; {rules}" if self.violations else "")
        return (f"custody log intact ({self.events_checked} events, head #{self.head_seq}) "
                f"but FAILED the custody rules: {rules}")


def named_party(event: Mapping[str, Any], role: str) -> str | None:
    """Who ``event`` names in ``role``, or None when it is not a hand-over or names nobody
    (the releaser of a hand-over is its actor unless ``released_by`` says otherwise)."""
    if event.get("action") not in MOVEMENT_ACTIONS or role not in COUNTERSIGN_ROLES:
        return None
    raw = event.get("details")
    details: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    value = details.get(COUNTERSIGN_ROLES[role])
    if value is None and role == "releaser":
        value = event.get("actor")
    return value.strip() if isinstance(value, str) and value.strip() else None


def check_countersignatures(
    events: Sequence[Mapping[str, Any]],
    countersignatures: Sequence[Mapping[str, Any]],
    keys: Mapping[str, SignerKey] | KeyRing,
) -> tuple[list[Problem], list[PendingSignature]]:
    """Every countersignature must be by the party the event names in that role, with a
    key certified for that party when it signed, over that very event's hash; a party of a
    hand-over other than its actor who has not countersigned is *pending*."""
    keys = keys if isinstance(keys, KeyRing) else KeyRing.trusting(keys)
    by_seq = {e.get("seq"): e for e in events if isinstance(e.get("seq"), int)}
    problems: list[Problem] = []
    signed: set[tuple[int, str]] = set()
    for cs in countersignatures:
        raw_seq = cs.get("seq")
        seq = raw_seq if isinstance(raw_seq, int) else None
        signer, role = str(cs.get("signer")), str(cs.get("role"))
        who = f"countersignature by {signer} as {role}"
        event = by_seq.get(seq)
        if event is None:
            problems.append(Problem(seq, f"{who} for an event that is not in the log"))
            continue
        if seq is not None and (seq, role) in signed:
            problems.append(Problem(seq, f"{who}: a second countersignature in that role"))
        if seq is not None:
            signed.add((seq, role))
        if role not in COUNTERSIGN_ROLES:
            problems.append(Problem(seq, f"{who}: unknown countersigning role"))
            continue
        named = named_party(event, role)
        if event.get("action") not in MOVEMENT_ACTIONS:
            problems.append(Problem(seq, f"{who}, but event {seq} is a "
                                         f"'{event.get('action')}', not a hand-over"))
        elif named != signer:
            problems.append(Problem(seq, f"{who}, but the event names "
                                         f"{named or 'nobody'} as {role}"))
        elif signer == event.get("actor"):
            problems.append(Problem(seq, f"{who}, who is the event's own actor"))
        event_hash = str(event.get("event_hash"))
        if cs.get("event_hash") != event_hash:
            problems.append(Problem(seq, f"{who} covers hash {str(cs.get('event_hash'))[:16]}"
                                         f"..., not this event's {event_hash[:16]}... "
                                         "(moved from another event?)"))
        public, why = keys.check(signer, cs.get("key_id"), cs.get("signed_at",
                                                                  event.get("recorded_at")))
        if public is None:
            problems.append(Problem(seq, f"{who}: {why}"))
        elif not _hex_signature_ok(public, cs.get("signature"), event_hash):
            problems.append(Problem(seq, f"{who} is not a valid signature of this event's "
                                         f"hash by {signer!r}"))
    pending: list[PendingSignature] = []
    for event in events:
        seq = event.get("seq")
        if not isinstance(seq, int) or event.get("action") not in MOVEMENT_ACTIONS:
            continue
        for role in COUNTERSIGN_ROLES:
            party = named_party(event, role)
            if party is None or party == event.get("actor") or (seq, role) in signed:
                continue
            pending.append(PendingSignature(seq, role, party, is_user=keys.knows(party)))
    return problems, pending


def _hex_signature_ok(public_hex: str, signature: Any, event_hash: str) -> bool:
    try:
        message = bytes.fromhex(event_hash)
    except ValueError:
        return False
    return verify_signature(public_hex, str(signature or ""), message)


def _check_event(
    event: Mapping[str, Any],
    expected_seq: int,
    prev_hash: str,
    keys: KeyRing,
    case_id: str | None,
) -> list[str]:
    reasons: list[str] = []
    seq = event.get("seq")
    if event.get("v") != FORMAT_VERSION:
        reasons.append(f"unknown event format version {event.get('v')!r}")
    if case_id is not None and event.get("case_id") != case_id:
        reasons.append(f"belongs to case {event.get('case_id')!r}, not {case_id!r}")
    if seq != expected_seq:
        if isinstance(seq, int) and seq > expected_seq:
            reasons.append(
                f"sequence number jumps from {expected_seq - 1} to {seq}: "
                f"{seq - expected_seq} event(s) missing (deleted?)"
            )
        else:
            reasons.append(f"sequence number {seq!r} where {expected_seq} was expected "
                           "(inserted or reordered event?)")
    if event.get("prev_hash") != prev_hash:
        reasons.append("previous-hash link does not match the preceding event "
                       "(event deleted, inserted or reordered before this one)")
    recomputed = compute_event_hash(event)
    if recomputed != event.get("event_hash"):
        reasons.append("content does not match its hash (a field was changed)")
    public, why = keys.check(str(event.get("actor")), event.get("key_id"),
                             event.get("recorded_at"))
    if public is None:
        reasons.append(str(why))
    elif not verify_signature(public, str(event.get("signature") or ""),
                              bytes.fromhex(recomputed)):
        reasons.append(f"signature is not a valid signature by {event.get('actor')!r}")
    if event.get("action") not in ACTIONS:
        reasons.append(f"unknown action {event.get('action')!r}")
    return reasons


def check_link(event: Mapping[str, Any], prev_hash: str, keys: KeyRing,
               case_id: str) -> list[str]:
    """Why ``event`` does not extend a chain whose previous event (``seq - 1``) has hash
    ``prev_hash`` (empty: it does): the same hash, link, sequence and signature checks as
    :func:`verify_events`, for one event. Used before anchoring an event late."""
    seq = event.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        return [f"sequence number {seq!r} is not a number"]
    return _check_event(event, seq, prev_hash, keys, case_id)


def _check_noted_head(result: VerifyResult, events: Sequence[Mapping[str, Any]],
                      noted: str, prefix: bool) -> None:
    """The noted head is the end of the log (or, with ``prefix``, a point the log passes)."""
    position = next((i for i, e in enumerate(events) if e.get("event_hash") == noted), None)
    if position is None:
        result.problems.append(Problem(
            None, f"the head hash you gave ({noted[:16]}...) is not in this log "
                  "(truncated or rewritten)"))
        return
    result.noted_head_seq = events[position].get("seq") if isinstance(
        events[position].get("seq"), int) else None
    result.after_head = [AfterHead(e.get("seq") if isinstance(e.get("seq"), int) else None,
                                   str(e.get("action")), str(e.get("actor")),
                                   str(e.get("recorded_at")))
                         for e in events[position + 1:]]
    if result.after_head and not prefix:
        listed = "; ".join(str(a) for a in result.after_head[:20])
        more = f" and {len(result.after_head) - 20} more" if len(result.after_head) > 20 else ""
        result.problems.append(Problem(
            None, f"the log goes on past the head you gave (#{result.noted_head_seq}): "
                  f"{len(result.after_head)} event(s) follow it: {listed}{more} (verify with "
                  "--prefix if this log is meant to extend the noted one)"))


def verify_events(
    events: Sequence[Mapping[str, Any]],
    keys: Mapping[str, SignerKey] | KeyRing,
    *,
    case_id: str | None = None,
    anchors: Sequence[Anchor] = (),
    expected_head: str | None = None,
    countersignatures: Sequence[Mapping[str, Any]] = (),
    prefix: bool = False,
) -> VerifyResult:
    """Verify a case's events in stored order; report every problem, the first one first.
    ``countersignatures`` are checked against the events (see
    :func:`check_countersignatures`); hand-over parties who have not signed are listed in
    ``result.pending``.

    ``expected_head`` is a head noted outside the system (the proces-verbaal): the log must
    end there. Events after it are listed in ``result.after_head``; they are a problem
    unless ``prefix`` says the caller checks that the log *extends* what was noted.

    ``keys`` is the :class:`~lccu.evidence.registry.KeyRing` of keys the unit certified
    (a signature counts only with a key certified for its signer at the signing time, not
    revoked or replaced before it), or plain ``username -> SignerKey`` pairs trusted as
    they are."""
    keys = keys if isinstance(keys, KeyRing) else KeyRing.trusting(keys)
    result = VerifyResult(case_id=case_id)
    prev_hash = GENESIS_HASH
    prev_recorded = None
    hashes_by_seq: dict[int, str] = {}
    prev_seq = 0
    for event in events:
        expected = prev_seq + 1
        seq = event.get("seq") if isinstance(event.get("seq"), int) else None
        for reason in _check_event(event, expected, prev_hash, keys, case_id):
            result.problems.append(Problem(seq, reason))
        try:
            recorded = parse_time(str(event.get("recorded_at")))
        except ValueError:
            result.problems.append(Problem(seq, "recorded_at is not an RFC 3339 time"))
            recorded = None
        if recorded and prev_recorded and recorded < prev_recorded:
            result.problems.append(Problem(seq, "recorded time goes back before the previous "
                                                "event's"))
        prev_recorded = recorded or prev_recorded
        prev_hash = str(event.get("event_hash"))
        prev_seq = seq if seq is not None else expected
        if seq is not None:
            hashes_by_seq.setdefault(seq, prev_hash)
        result.events_checked += 1
    if events:
        last = events[-1]
        result.head_seq = int(last.get("seq") or 0)
        result.head_hash = str(last.get("event_hash"))
    for anchor in anchors:
        result.anchors_checked += 1
        if anchor.seq > result.head_seq:
            result.problems.append(Problem(
                result.head_seq + 1,
                f"the log ends at event {result.head_seq} but {anchor.source} records a head "
                f"at event {anchor.seq}: events after {result.head_seq} were removed "
                "(truncated tail)",
            ))
        elif anchor.seq not in hashes_by_seq:
            result.problems.append(Problem(
                anchor.seq, f"event {anchor.seq} is missing, but {anchor.source} recorded it "
                            "(deleted)"))
        elif hashes_by_seq.get(anchor.seq) != anchor.head_hash:
            result.problems.append(Problem(
                anchor.seq,
                f"hash differs from the head recorded in {anchor.source} "
                "(history rewritten)",
            ))
    if expected_head is not None:
        _check_noted_head(result, events, expected_head.lower(), prefix)
    signature_problems, result.pending = check_countersignatures(events, countersignatures,
                                                                 keys)
    result.problems += signature_problems
    result.countersignatures_checked = len(countersignatures)
    result.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    result.violations = check_invariants(events)
    return result
