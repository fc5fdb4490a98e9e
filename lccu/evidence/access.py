"""Who may see and do what, and the audit log that records every attempt.

Each police zone is its own data controller (Law Enforcement Directive, Belgian Act of 30
July 2018): a case is visible to its owning zone and to zones it is shared with while that
grant is valid; a data protection officer (role ``dpo``) reads the audit log of all zones but
not case contents. Every read and write of a case or item, allowed or refused, is an audit
entry; entries are hash-chained so a deleted line shows, and they are written in their own
transaction so a refusal is logged even though the refused operation raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lccu.errors import AccessDenied
from lccu.evidence.canonical import GENESIS_HASH, canonical_json, format_time, sha256_hex, utc_now
from lccu.evidence.db import Database
from lccu.evidence.models import AuditEntry, Case, CaseShare

if TYPE_CHECKING:
    from lccu.evidence.anchors import AuditAnchors

WRITER_ROLES = frozenset({"investigator", "analyst", "operator"})
CASE_CREATOR_ROLES = frozenset({"investigator", "analyst"})


@dataclass(frozen=True)
class Actor:
    """The user a library call runs as (or the bootstrap identity before any user exists)."""

    username: str
    zone: str | None
    zone_id: int | None
    role: str | None
    user_id: int | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    why: str
    via_share: CaseShare | None = None
    #: a refusal's message key and parameters for the web (``LccuError.key``)
    key: str | None = None
    params: Mapping[str, object] | None = None


def active_share(case: Case, zone_id: int | None, now: str) -> CaseShare | None:
    for share in case.shares:
        if share.zone_id != zone_id or share.revoked_at is not None:
            continue
        if share.valid_until is not None and share.valid_until <= now:
            continue
        return share
    return None


def case_access(actor: Actor, case: Case, *, write: bool = False,
                processing: bool = False) -> Decision:
    """May ``actor`` read (or, with ``write``, add to) ``case`` right now?

    ``processing`` is the workers' path: the unit's processing servers serve every zone, so
    an operator may read evidence bytes and record processing of any case for that purpose
    (audited as such), though not browse or list other zones' cases.
    """
    if processing and actor.role == "operator":
        return Decision(True, "unit processing by an operator")
    if actor.role == "dpo":
        return Decision(False, "a data protection officer reads the audit log, not case "
                               "contents", key="access_denied_dpo")
    if actor.role == "admin":
        return Decision(False, "a unit admin administers zones and users, not case contents",
                        key="access_denied_admin")
    if write and actor.role not in WRITER_ROLES:
        return Decision(False, f"role {actor.role!r} may not change cases",
                        key="access_denied_role", params={"user_role": actor.role})
    if actor.zone_id == case.zone_id:
        return Decision(True, "owning zone")
    share = active_share(case, actor.zone_id, format_time(utc_now()))
    if share is None:
        return Decision(False, f"case {case.number} belongs to {case.zone.name} and is not "
                               f"shared with {actor.zone}", key="access_denied_not_shared",
                        params={"case": case.number, "owner": case.zone.name,
                                "zone": actor.zone})
    if write and share.permission != "contribute":
        return Decision(False, f"case {case.number} is shared with {actor.zone} read-only",
                        key="access_denied_read_only",
                        params={"case": case.number, "zone": actor.zone})
    return Decision(True, f"shared with {actor.zone}", share)


def entry_payload(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "username": entry.username,
        "zone": entry.zone,
        "role": entry.role,
        "operation": entry.operation,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "case_id": entry.case_id,
        "case_zone": entry.case_zone,
        "allowed": entry.allowed,
        "justification": entry.justification,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }


class AuditLog:
    """Writes and reads the audit log through its own transactions."""

    def __init__(self, db: Database, anchors: AuditAnchors | None = None) -> None:
        self.db = db
        #: where each new entry's head is also written, outside the database
        self.anchors = anchors

    def write(
        self,
        actor: Actor,
        operation: str,
        *,
        allowed: bool,
        object_type: str | None = None,
        object_id: str | None = None,
        case: Case | None = None,
        justification: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        for _attempt in range(20):
            try:
                with self.db.session() as session:
                    seq, entry_hash = self._append(session, actor, operation, allowed,
                                                   object_type, object_id, case,
                                                   justification, detail)
                if self.anchors is not None:
                    self.anchors.record(seq, entry_hash)
                return
            except IntegrityError:
                continue  # another process took this sequence number: chain onto theirs
        raise AccessDenied("the audit log could not be written; the operation was not done")

    @staticmethod
    def _append(session: Session, actor: Actor, operation: str, allowed: bool,
                object_type: str | None, object_id: str | None, case: Case | None,
                justification: str | None, detail: dict[str, Any] | None) -> tuple[int, str]:
        last = session.execute(
            select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc())
            .limit(1)
        ).first()
        entry = AuditEntry(
            seq=(last.seq + 1) if last else 1,
            at=format_time(utc_now()),
            username=actor.username,
            zone=actor.zone,
            role=actor.role,
            operation=operation,
            object_type=object_type,
            object_id=object_id,
            case_id=case.id if case is not None else None,
            case_zone=case.zone.name if case is not None else None,
            allowed=allowed,
            justification=justification,
            detail=json.dumps(detail, sort_keys=True) if detail else None,
            prev_hash=last.entry_hash if last else GENESIS_HASH,
        )
        entry.entry_hash = sha256_hex(canonical_json(entry_payload(entry)))
        session.add(entry)
        session.flush()
        return entry.seq, entry.entry_hash

    def head(self, session: Session) -> tuple[int, str] | None:
        last = session.execute(select(AuditEntry.seq, AuditEntry.entry_hash)
                               .order_by(AuditEntry.seq.desc()).limit(1)).first()
        return (last.seq, last.entry_hash) if last else None

    def entries(self, session: Session, zone: str | None = None,
                limit: int | None = None) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.seq)
        if zone is not None:
            query = query.where((AuditEntry.zone == zone) | (AuditEntry.case_zone == zone))
        if limit is not None:
            query = query.limit(limit)
        return list(session.scalars(query))

    def verify(self, session: Session,
               anchors: Sequence[tuple[int, str, str]] = ()) -> list[str]:
        """Problems in the audit chain (empty when intact), compared with the ``anchors``
        (``seq, entry_hash, source``) kept outside the database: a cut tail or a changed
        entry that was re-chained is found there."""
        problems: list[str] = []
        prev = GENESIS_HASH
        expected = 1
        hashes: dict[int, str] = {}
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            hashes[entry.seq] = entry.entry_hash
            if entry.seq != expected:
                problems.append(f"audit entry {expected} is missing (next is {entry.seq})")
            if entry.prev_hash != prev:
                problems.append(f"audit entry {entry.seq}: link to previous entry broken")
            if sha256_hex(canonical_json(entry_payload(entry))) != entry.entry_hash:
                problems.append(f"audit entry {entry.seq}: content changed")
            prev, expected = entry.entry_hash, entry.seq + 1
        last = max(hashes, default=0)
        beyond = [a for a in anchors if a[0] > last]
        if beyond:
            top = max(beyond)
            problems.append(f"the audit log ends at entry {last}, but {top[2]} records entry "
                            f"{top[0]}: {top[0] - last} entries or more were cut from its tail")
        for seq, entry_hash, source in anchors:
            if seq <= last and hashes.get(seq) not in (None, entry_hash):
                problems.append(f"audit entry {seq} differs from {source} (rewritten)")
            elif seq <= last and seq not in hashes:
                problems.append(f"audit entry {seq} recorded in {source} is missing")
        return problems

    def count(self, session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
