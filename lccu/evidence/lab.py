"""The library's front door: a :class:`Lab` acting as one user.

Every method checks what the acting user may do, writes an audit entry (allowed or refused)
and returns detached records. Custody events are appended in the same transaction as the
change they describe, then anchored outside the database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lccu.config import Settings, load_settings
from lccu.errors import (
    AccessDenied,
    AlreadyExists,
    ConfigError,
    InvalidInput,
    LccuError,
    NotFound,
)
from lccu.evidence.access import (
    ADMIN_ROLES,
    CASE_CREATOR_ROLES,
    Actor,
    AuditLog,
    case_access,
)
from lccu.evidence.anchors import AnchorJournal
from lccu.evidence.canonical import GENESIS_HASH, format_time, parse_time, utc_now
from lccu.evidence.chain import Problem, VerifyResult, verify_events
from lccu.evidence.custody import append_event, load_events, signer_keys
from lccu.evidence.db import Database
from lccu.evidence.intake import PIPE_BYTES, ItemFacts, StreamingIntake
from lccu.evidence.intake import prepare as prepare_intake
from lccu.evidence.keys import KeyStore, check_username, key_id_of
from lccu.evidence.models import (
    ROLES,
    AuditEntry,
    Case,
    CaseShare,
    CustodyEvent,
    EvidenceItem,
    User,
    Zone,
)
from lccu.evidence.records import CaseInfo, EvidenceInfo, UserInfo
from lccu.hashing import Digests
from lccu.storage.base import StoredEvidence

BOOTSTRAP = Actor(username="bootstrap", zone=None, zone_id=None, role=None)
Progress = Callable[[int], None]


def _now() -> str:
    return format_time(utc_now())


class Lab:
    """lccu as seen by one user. Open it with :func:`open_lab`."""

    def __init__(self, settings: Settings, actor: Actor, db: Database) -> None:
        self.settings = settings
        self.actor = actor
        self.db = db
        self.keys = KeyStore(settings.key_dir)
        self.anchors = AnchorJournal(settings.anchor_dir)
        self.audit = AuditLog(db)

    # -- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _deny(self, operation: str, why: str, *, case: Case | None = None,
              object_type: str | None = None, object_id: str | None = None) -> AccessDenied:
        self.audit.write(self.actor, operation, allowed=False, case=case,
                         object_type=object_type, object_id=object_id, detail={"why": why})
        return AccessDenied(f"{self.actor.username} may not {operation.replace('.', ' ')}: {why}")

    def _allow(self, operation: str, *, case: Case | None = None, object_type: str | None = None,
               object_id: str | None = None, justification: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        self.audit.write(self.actor, operation, allowed=True, case=case,
                         object_type=object_type, object_id=object_id,
                         justification=justification, detail=detail)

    def _find_case(self, session: Session, ref: str) -> Case:
        case = _lookup_case(session, ref)
        if case is None:
            raise NotFound(f"no case {ref.strip()!r}")
        return case

    def _case_for(self, session: Session, ref: str, operation: str, *, write: bool = False,
                  justification: str | None = None, processing: bool = False) -> Case:
        """Load a case and check access; unknown and invisible cases are both audited."""
        try:
            case = self._find_case(session, ref)
        except NotFound:
            self.audit.write(self.actor, operation, allowed=False, object_type="case",
                             object_id=ref[:64], detail={"why": "no such case"})
            raise
        decision = case_access(self.actor, case, write=write, processing=processing)
        if not decision.allowed:
            raise self._deny(operation, decision.why, case=case, object_type="case",
                             object_id=case.id)
        why = justification or (decision.via_share.purpose if decision.via_share else None)
        self._allow(operation, case=case, object_type="case", object_id=case.id,
                    justification=why, detail={"access": decision.why})
        return case

    def resolve(self, ref: str) -> str:
        """``"case"`` or ``"evidence"``: what ``ref`` names (access is checked when it is
        used). Raises :class:`NotFound` for neither."""
        with self.db.session() as session:
            if _lookup_case(session, ref) is not None:
                return "case"
            if _lookup_item(session, ref) is not None:
                return "evidence"
        self.audit.write(self.actor, "resolve", allowed=False, object_id=ref[:64],
                         detail={"why": "no such case or evidence item"})
        raise NotFound(f"no case or evidence item {ref!r}")

    def _find_item(self, session: Session, ref: str) -> EvidenceItem:
        ref = ref.strip()
        item = _lookup_item(session, ref)
        if item is None:
            self.audit.write(self.actor, "evidence.read", allowed=False,
                             object_type="evidence", object_id=ref[:64],
                             detail={"why": "no such evidence item"})
            raise NotFound(f"no evidence item {ref!r}")
        return item

    def _item_for(self, session: Session, ref: str, operation: str, *,
                  write: bool = False, processing: bool = False) -> tuple[Case, EvidenceItem]:
        item = self._find_item(session, ref)
        case = self._find_case(session, item.case_id)
        decision = case_access(self.actor, case, write=write, processing=processing)
        if not decision.allowed:
            raise self._deny(operation, decision.why, case=case, object_type="evidence",
                             object_id=item.id)
        self._allow(operation, case=case, object_type="evidence", object_id=item.id,
                    detail={"access": decision.why})
        return case, item

    def _signing_key_id(self, session: Session) -> str:
        if self.actor.user_id is None:
            raise AccessDenied("custody events need a real user: pass --as USER")
        user = session.get(User, self.actor.user_id)
        assert user is not None
        return user.key_id

    def _append(self, session: Session, case: Case, action: str, **fields: Any) -> dict[str, Any]:
        event = append_event(session, case, self.actor, self._signing_key_id(session),
                             self.keys, action, **fields)
        return {"case_id": case.id, "seq": event.seq, "event_hash": event.event_hash}

    def _anchor(self, head: dict[str, Any]) -> None:
        self.anchors.record(head["case_id"], head["seq"], head["event_hash"],
                            self.actor.username, self.keys)

    # -- zones and users ----------------------------------------------------------------------

    def _require_admin(self, operation: str) -> None:
        if self.actor is BOOTSTRAP:
            with self.db.session() as session:
                users = session.scalar(select(func.count()).select_from(User)) or 0
            if users == 0:
                return
            raise AccessDenied("users exist already: act as an operator (--as USER)")
        if self.actor.role not in ADMIN_ROLES:
            raise self._deny(operation, f"only an operator administers zones and users, "
                                        f"not a {self.actor.role}")

    def add_zone(self, name: str) -> str:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a zone name must have 1 to 100 characters")
        self._require_admin("zone.create")
        with self.db.session() as session:
            if session.scalar(select(Zone).where(Zone.name == name)):
                raise AlreadyExists(f"zone {name!r} exists already")
            session.add(Zone(name=name, created_at=_now()))
        self._allow("zone.create", object_type="zone", object_id=name[:64])
        return name

    def zones(self) -> list[str]:
        with self.db.session() as session:
            return list(session.scalars(select(Zone.name).order_by(Zone.name)))

    def add_user(self, username: str, zone: str, role: str,
                 full_name: str | None = None) -> UserInfo:
        check_username(username)
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        self._require_admin("user.create")
        if self.actor is BOOTSTRAP and role != "operator":
            raise InvalidInput("the first user must be an operator (--role operator); that "
                               "operator then adds the others")
        with self.db.session() as session:
            zone_row = session.scalar(select(Zone).where(Zone.name == zone))
            if zone_row is None:
                raise NotFound(f"no zone {zone!r}; create it with `lccu zone add`")
            if session.scalar(select(User).where(User.username == username)):
                raise AlreadyExists(f"user {username!r} exists already")
            public = self.keys.create(username)
            user = User(username=username, full_name=full_name, zone=zone_row, role=role,
                        public_key=public, key_id=key_id_of(public), created_at=_now())
            session.add(user)
            session.flush()
            info = UserInfo.of(user)
        self._allow("user.create", object_type="user", object_id=username,
                    detail={"zone": zone, "role": role, "key_id": info.key_id})
        return info

    def users(self) -> list[UserInfo]:
        with self.db.session() as session:
            return [UserInfo.of(u) for u in session.scalars(select(User).order_by(User.username))]

    # -- cases --------------------------------------------------------------------------------

    def create_case(self, title: str, *, zone: str | None = None, reference: str | None = None,
                    number: str | None = None) -> CaseInfo:
        title = title.strip()
        if not title:
            raise InvalidInput("a case needs a title")
        zone = zone or self.actor.zone
        if self.actor.role not in CASE_CREATOR_ROLES:
            raise self._deny("case.create", f"a {self.actor.role} does not open cases")
        if zone != self.actor.zone:
            raise self._deny("case.create", f"{self.actor.username} belongs to "
                                            f"{self.actor.zone}, not {zone}")
        with self.db.session() as session:
            zone_row = session.scalar(select(Zone).where(Zone.name == zone))
            if zone_row is None:
                raise NotFound(f"no zone {zone!r}")
            if number is None:
                year = datetime.now(UTC).year
                count = session.scalar(select(func.count()).select_from(Case)
                                       .where(Case.number.startswith(f"LCCU-{year}-"))) or 0
                number = f"LCCU-{year}-{count + 1:05d}"
            if session.scalar(select(Case).where(Case.number == number)):
                raise AlreadyExists(f"case number {number!r} is taken")
            case = Case(number=number, title=title, zone=zone_row, reference=reference,
                        status="open", created_by=self.actor.user_id, created_at=_now(),
                        head_seq=0, head_hash=GENESIS_HASH)
            session.add(case)
            session.flush()
            head = self._append(session, case, "note", reason="case opened",
                                details={"event": "case-opened", "number": number,
                                         "title": title, "zone": zone,
                                         "reference": reference})
            session.refresh(case)
            info = CaseInfo.of(case)
        self._anchor(head)
        self._allow("case.create", case=case, object_type="case", object_id=info.id,
                    detail={"number": number, "zone": zone})
        return info

    def get_case(self, ref: str, *, justification: str | None = None) -> CaseInfo:
        with self.db.session() as session:
            return CaseInfo.of(self._case_for(session, ref, "case.read",
                                              justification=justification))

    def list_cases(self) -> list[CaseInfo]:
        """Cases of the user's zone and cases shared with it now."""
        if self.actor.role == "dpo":
            raise self._deny("case.list", "a data protection officer reads the audit log, "
                                          "not case contents")
        now = _now()
        with self.db.session() as session:
            shared = select(CaseShare.case_id).where(
                CaseShare.zone_id == self.actor.zone_id, CaseShare.revoked_at.is_(None),
                or_(CaseShare.valid_until.is_(None), CaseShare.valid_until > now))
            cases = session.scalars(select(Case).where(
                or_(Case.zone_id == self.actor.zone_id, Case.id.in_(shared)))
                .order_by(Case.created_at))
            infos = [CaseInfo.of(c) for c in cases]
        self._allow("case.list", detail={"count": len(infos),
                                         "cases": [c.id for c in infos][:200]})
        return infos

    def share_case(self, ref: str, zone: str, *, purpose: str | None = None,
                   permission: str = "contribute", valid_until: datetime | None = None) -> CaseInfo:
        if permission not in ("read", "contribute"):
            raise InvalidInput("permission must be 'read' or 'contribute'")
        with self.db.session() as session:
            case = self._case_for(session, ref, "case.share", write=True)
            if case.zone_id != self.actor.zone_id:
                raise self._deny("case.share", "only the owning zone shares a case", case=case)
            target = session.scalar(select(Zone).where(Zone.name == zone))
            if target is None:
                raise NotFound(f"no zone {zone!r}")
            if target.id == case.zone_id:
                raise InvalidInput(f"case {case.number} already belongs to {zone}")
            until = format_time(valid_until) if valid_until else None
            session.add(CaseShare(case=case, zone=target, permission=permission,
                                  purpose=purpose, granted_by=self.actor.user_id,
                                  granted_at=_now(), valid_until=until))
            head = self._append(session, case, "note", reason=purpose or "case shared",
                                details={"event": "case-shared", "zone": zone,
                                         "permission": permission, "valid_until": until})
            session.flush()
            session.refresh(case)
            info = CaseInfo.of(case)
        self._anchor(head)
        return info

    def revoke_share(self, ref: str, zone: str, *, reason: str | None = None) -> CaseInfo:
        with self.db.session() as session:
            case = self._case_for(session, ref, "case.unshare", write=True)
            if case.zone_id != self.actor.zone_id:
                raise self._deny("case.unshare", "only the owning zone revokes a share",
                                 case=case)
            now = _now()
            revoked = 0
            for share in case.shares:
                if share.zone.name == zone and share.revoked_at is None:
                    share.revoked_at = now
                    revoked += 1
            if not revoked:
                raise NotFound(f"case {case.number} is not shared with {zone!r}")
            head = self._append(session, case, "note", reason=reason or "share revoked",
                                details={"event": "case-unshared", "zone": zone})
            session.refresh(case)
            info = CaseInfo.of(case)
        self._anchor(head)
        return info

    def close_case(self, ref: str, *, reason: str) -> CaseInfo:
        with self.db.session() as session:
            case = self._case_for(session, ref, "case.close", write=True)
            if case.zone_id != self.actor.zone_id:
                raise self._deny("case.close", "only the owning zone closes a case", case=case)
            if case.status == "closed":
                raise InvalidInput(f"case {case.number} is already closed")
            case.status, case.closed_at = "closed", _now()
            head = self._append(session, case, "note", reason=reason,
                                details={"event": "case-closed"})
            session.refresh(case)
            info = CaseInfo.of(case)
        self._anchor(head)
        return info

    # -- evidence -----------------------------------------------------------------------------

    def add_evidence(
        self,
        case_ref: str,
        path: str | os.PathLike[str],
        *,
        description: str,
        item_type: str = "disk-image",
        seal_number: str | None = None,
        declared: Mapping[str, str] | None = None,
        accept_mismatch: bool = False,
        make: str | None = None,
        model: str | None = None,
        serial: str | None = None,
        acquired_by: str | None = None,
        acquired_at: datetime | None = None,
        acquisition_tool: str | None = None,
        acquisition_tool_version: str | None = None,
        image_format: str | None = None,
        exhibit_number: str | None = None,
        location: str | None = None,
        legal_hold: bool = False,
        progress: Progress | None = None,
    ) -> EvidenceInfo:
        """Stream a file into the evidence store, hashing it once, and record the intake.

        Declared acquisition hashes are checked before the store commits: a mismatch raises
        :class:`~lccu.errors.DeclaredHashMismatch`, stores nothing and is audited. With
        ``accept_mismatch=True`` the copy is taken in anyway, marked ``hash-mismatch``,
        and the intake event names the digests that differ (when the discrepancy itself
        is evidence). See :mod:`lccu.evidence.intake`.
        """
        source = Path(path)
        if not source.exists():
            raise InvalidInput(f"{source}: no such file")
        if not source.is_file():
            raise InvalidInput(f"{source}: not a regular file (a directory?)")
        facts = ItemFacts(
            description=description, item_type=item_type, seal_number=seal_number, make=make,
            model=model, serial=serial, acquired_by=acquired_by, acquired_at=acquired_at,
            acquisition_tool=acquisition_tool,
            acquisition_tool_version=acquisition_tool_version, image_format=image_format,
            exhibit_number=exhibit_number, location=location)
        pending = prepare_intake(self, case_ref, source_name=source.name,
                                 size=source.stat().st_size, facts=facts, declared=declared,
                                 accept_mismatch=accept_mismatch, legal_hold=legal_hold)
        with source.open("rb") as fh:
            stored = pending.put(fh, progress)
        return pending.record(stored)

    def begin_intake(self, case_ref: str, *, source_name: str, size: int, facts: ItemFacts,
                     declared: Mapping[str, str] | None = None,
                     accept_mismatch: bool = False, legal_hold: bool = False,
                     buffer_bytes: int = PIPE_BYTES) -> StreamingIntake:
        """An intake fed with :meth:`StreamingIntake.write` and ended with ``finish()``.

        For bytes that arrive in pieces (web uploads): they stream into the store as they
        come, hashed on the way, never copied to local disk; access, the declared-hash
        check and the custody record are the same as :meth:`add_evidence`."""
        pending = prepare_intake(self, case_ref, source_name=source_name, size=size,
                                 facts=facts, declared=declared,
                                 accept_mismatch=accept_mismatch, legal_hold=legal_hold)
        return StreamingIntake(pending, buffer_bytes=buffer_bytes)

    def get_evidence(self, ref: str, *, processing: bool = False) -> EvidenceInfo:
        with self.db.session() as session:
            _case, item = self._item_for(session, ref, "evidence.read", processing=processing)
            return EvidenceInfo.of(item)

    def list_evidence(self, case_ref: str) -> list[EvidenceInfo]:
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "evidence.list")
            items = session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case.id)
                                    .order_by(EvidenceItem.exhibit_number))
            return [EvidenceInfo.of(i) for i in items]

    @contextmanager
    def open_evidence_image(self, ref: str, *, purpose: str, processing: bool = False,
                            once: bool = False) -> Iterator[tuple[Any, str]]:
        """The stored bytes of an item as a read-only image stream; the access is recorded
        as an ``accessed`` custody event (with ``purpose``) and in the audit log.
        ``processing=True`` is the workers' path (see :func:`lccu.evidence.access.case_access`).
        ``once=True`` records the ``accessed`` event only if none with this purpose exists
        (checked and appended under the case row's lock): thousands of segment jobs of one
        processing stage then leave one custody event; each access is still audited.
        """
        from lccu.imaging import open_image
        from lccu.storage import open_store

        with self.db.session() as session:
            case, item = self._item_for(session, ref, "evidence.access", processing=processing)
            stored = stored_ref(item)
            label = f"{case.number}/{item.exhibit_number}"
            head: dict[str, Any] | None = None
            if not once or _recorded_event(session, case, "accessed", item.id,
                                           purpose) is None:
                head = self._append(session, case, "accessed", evidence_id=item.id,
                                    reason=purpose, details={"purpose": purpose})
        if head is not None:
            self._anchor(head)
        store = open_store(self.settings)
        try:
            with store.open_evidence(stored) as raw, open_image(raw) as image:
                yield image, label
        finally:
            store.close()

    def verify_evidence(self, ref: str, *, progress: Progress | None = None) -> dict[str, Any]:
        """Re-hash the stored bytes, compare with intake, record a ``verified`` event."""
        from lccu.hashing import hash_stream
        from lccu.storage import open_store

        with self.db.session() as session:
            _case, item = self._item_for(session, ref, "evidence.verify")
            item_id, case_id = item.id, item.case_id
            recorded = {"md5": item.md5, "sha1": item.sha1, "sha256": item.sha256}
            location = item.storage_version_id or item.storage_key
            stored = stored_ref(item)
        store = open_store(self.settings)
        try:
            with store.open_evidence(stored) as fh:
                digests = hash_stream(fh, progress=progress)
        finally:
            store.close()
        observed = digests.hashes()
        differ = sorted(n for n, v in recorded.items() if v and observed[n] != v)
        with self.db.session() as session:
            case = self._find_case(session, case_id)
            row = session.get(EvidenceItem, item_id)
            assert row is not None
            row.state = "verified" if not differ else "hash-mismatch"
            head = self._append(session, case, "verified", evidence_id=item_id,
                                observed_hashes=observed,
                                reason="re-hash of the stored copy" + (
                                    " FAILED" if differ else " matches intake"),
                                details={"match": not differ, "mismatched": differ,
                                         "size": digests.size, "stored_object": location})
        self._anchor(head)
        return {"evidence_id": item_id, "match": not differ, "mismatched": differ,
                "observed": observed, "recorded": recorded, "size": digests.size}

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
        from lccu.evidence.invariants import complete_new_event

        location, filled = complete_new_event(action, self.actor.username, location, details)
        with self.db.session() as session:
            case = self._case_for(session, case_ref, f"custody.{action}", write=True,
                                  processing=processing)
            item_id = None
            if evidence is not None:
                item = self._find_item(session, evidence)
                if item.case_id != case.id:
                    raise InvalidInput(f"evidence {evidence} is not part of case {case.number}")
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

    def custody_log(self, case_ref: str) -> list[dict[str, Any]]:
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "custody.read")
            return load_events(session, case.id)

    def verify_custody(self, case_ref: str, *, expected_head: str | None = None) -> VerifyResult:
        """Recompute every hash and signature, compare with the anchors outside the DB and
        check the custody rules (``result.violations``; ``ok`` is false if there are any)."""
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "custody.verify")
            events = load_events(session, case.id)
            keys = signer_keys(session)
            case_id, head_seq, head_hash = case.id, case.head_seq, case.head_hash
        anchors, complaints = self.anchors.read(case_id, keys)
        result = verify_events(events, keys, case_id=case_id, anchors=anchors,
                               expected_head=expected_head)
        for complaint in complaints:
            result.problems.append(Problem(None, complaint))
        if (head_seq, head_hash) != (result.head_seq, result.head_hash) and events:
            result.problems.append(Problem(
                result.head_seq, f"case record says head #{head_seq} {head_hash[:16]}..., the "
                                 f"log ends at #{result.head_seq}"))
        return result

    def export_custody(self, case_ref: str, path: str | os.PathLike[str], *,
                       recipient: str | None = None) -> VerifyResult:
        """Write the case's custody log as JSON Lines with the public keys needed to verify it.

        An export is a disclosure: ``recipient`` (court, defence, magistrate) goes into the
        audit entry and the ``exported`` custody event."""
        from lccu.evidence.export import write_export

        target = Path(path)
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "custody.export", justification=recipient)
            head = self._append(session, case, "exported", reason="custody log exported",
                                details={"file": target.name, "recipient": recipient})
        self._anchor(head)
        with self.db.session() as session:
            case = self._find_case(session, head["case_id"])
            events = load_events(session, case.id)
            keys = signer_keys(session, {e["actor"] for e in events})
            anchors, _ = self.anchors.read(case.id, keys)
            write_export(target, CaseInfo.of(case), events, keys, anchors, self.actor.username)
        return verify_events(events, keys, case_id=head["case_id"], anchors=anchors)

    def export_case_uco(self, case_ref: str, path: str | os.PathLike[str], *,
                        recipient: str | None = None) -> Path:
        """Write the case, its items and custody as CASE/UCO JSON-LD (a disclosure: logged
        with its ``recipient``)."""
        from lccu.report.case_uco import write_case_export

        target = Path(path)
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "case.export", justification=recipient)
            head = self._append(session, case, "exported", reason="CASE/UCO export",
                                details={"file": target.name, "format": "case-uco",
                                         "recipient": recipient})
        self._anchor(head)
        with self.db.session() as session:
            case = self._find_case(session, head["case_id"])
            items = [EvidenceInfo.of(i) for i in session.scalars(
                select(EvidenceItem).where(EvidenceItem.case_id == case.id)
                .order_by(EvidenceItem.exhibit_number))]
            return write_case_export(target, CaseInfo.of(case), items,
                                     load_events(session, case.id))

    # -- audit --------------------------------------------------------------------------------

    def audit_log(self, *, zone: str | None = None, limit: int | None = None) -> list[AuditEntry]:
        """The audit log: all zones for a data protection officer, nobody else."""
        if self.actor.role != "dpo":
            raise self._deny("audit.read", "only a data protection officer reads the audit log")
        self._allow("audit.read", detail={"zone": zone})
        with self.db.session() as session:
            return self.audit.entries(session, zone=zone, limit=limit)

    def verify_audit(self) -> list[str]:
        if self.actor.role != "dpo":
            raise self._deny("audit.verify", "only a data protection officer verifies the log")
        with self.db.session() as session:
            return self.audit.verify(session)


def _unique_prefix(session: Session, column: Any, ref: str) -> Any:
    """The one row whose ``column`` starts with ``ref`` (at least 8 characters), else None:
    lets people type the start of a UUID, never guessing between two candidates."""
    if len(ref) < 8:
        return None
    found = list(session.scalars(select(column.class_).where(column.startswith(ref)).limit(2)))
    return found[0] if len(found) == 1 else None


def _lookup_case(session: Session, ref: str) -> Case | None:
    """A case by id, number or unique id prefix (no access check, no audit)."""
    ref = ref.strip()
    case = session.scalar(select(Case).where(or_(Case.id == ref, Case.number == ref)))
    return case if case is not None else _unique_prefix(session, Case.id, ref)


def _lookup_item(session: Session, ref: str) -> EvidenceItem | None:
    """An evidence item by id or unique id prefix (no access check, no audit)."""
    ref = ref.strip()
    item = session.get(EvidenceItem, ref)
    return item if item is not None else _unique_prefix(session, EvidenceItem.id, ref)


def _recorded_event(session: Session, case: Case, action: str, item_id: str | None,
                    reason: str | None) -> Any:
    """The first event of ``case`` with this action, item and reason, looked up under the
    case row's lock, so that check-then-append is one step (``once=True``)."""
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    item_match = (CustodyEvent.evidence_id.is_(None) if item_id is None
                  else CustodyEvent.evidence_id == item_id)
    return session.execute(
        select(CustodyEvent.seq, CustodyEvent.event_hash).where(
            CustodyEvent.case_id == case.id, CustodyEvent.action == action,
            CustodyEvent.reason == reason, item_match)
        .order_by(CustodyEvent.seq).limit(1)).first()


def stored_ref(item: EvidenceItem) -> StoredEvidence:
    """The store's reference to an item's bytes, pinned to the version taken in."""
    if item.storage_key is None or item.size is None:
        raise InvalidInput(f"evidence {item.exhibit_number} has no stored copy")
    return StoredEvidence(
        uri=item.storage_uri or "", bucket=item.storage_bucket, key=item.storage_key,
        version_id=item.storage_version_id, size=item.size,
        digests=Digests(item.size, item.md5 or "", item.sha1 or "", item.sha256 or ""),
        lock_mode=item.lock_mode,
        retain_until=parse_time(item.retain_until) if item.retain_until else None,
        legal_hold=item.legal_hold, stored_at=parse_time(item.created_at))


def open_lab(user: str | None = None, settings: Settings | None = None) -> Lab:
    """Open lccu as ``user`` (default ``LCCU_USER``); migrates the database if needed."""
    settings = settings or load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    username = user or settings.user
    try:
        if username is None:
            return Lab(settings, BOOTSTRAP, db)
        with db.session() as session:
            row = session.scalar(select(User).where(User.username == username))
            if row is None:
                AuditLog(db).write(Actor(username, None, None, None), "login", allowed=False,
                                   detail={"why": "unknown user"})
                raise NotFound(f"no user {username!r}; an operator adds users with "
                               "`lccu user add`")
            if not row.active:
                raise AccessDenied(f"user {username!r} is deactivated")
            actor = Actor(row.username, row.zone.name, row.zone_id, row.role, row.id)
        return Lab(settings, actor, db)
    except LccuError:
        db.dispose()
        raise


def require_user(lab: Lab) -> None:
    if lab.actor is BOOTSTRAP:
        raise ConfigError("no acting user: pass --as USER or set LCCU_USER")
