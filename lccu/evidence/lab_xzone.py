"""Cross-zone hit/no-hit through the library: the part of :class:`~lccu.evidence.lab.Lab`
that lets zone B learn whether another zone holds a file, and nothing more.

The rules (see :mod:`lccu.evidence.xzone` and ``docs/hashsets.md``):

- a unit admin enables a zone with a legal basis; a zone not enabled neither asks nor is
  found;
- B may ask only about the SHA-256 of its own notable or marked files (an item's, or one
  file of a case it may read): never an arbitrary hash, so an account cannot probe other
  zones' holdings with hashes it chose; and at most :data:`~lccu.evidence.xzone.DAILY_LOOKUPS`
  questions a day;
- the answer is hit or no-hit and the names of the zones that hit; cases B can see (its
  own, shared with it) are not "another zone's";
- every question is audited for B (its case) and, for each case found, for the zone that
  holds it, so both zones' data protection officers see it;
- a disclosure (the case number and a contact) needs a request with a purpose, which an
  investigator of the holding zone grants or refuses; both are audited for both zones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lccu.errors import AccessDenied, InvalidInput, NotVisible
from lccu.evidence import xzone
from lccu.evidence.access import CASE_CREATOR_ROLES, Decision
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.gate import UNIT_ADMIN_ROLES, article
from lccu.evidence.lab_base import BOOTSTRAP, LabBase, _now
from lccu.evidence.lab_lookup import _lookup_case
from lccu.evidence.models import AuditEntry, Case, Zone, new_uuid
from lccu.evidence.xzone import (
    GRANTED,
    PENDING,
    REFUSED,
    CrossZoneFile,
    CrossZoneRequest,
    CrossZoneZone,
    Hit,
    RequestView,
    ZoneSetting,
    check_sha256,
    check_words,
)

#: the questions counted against the daily bound
ASKING = ("xzone.lookup", "xzone.hits")
#: who asks other zones, requests and decides disclosures: the people who work the cases
#: (investigators, analysts); an operator runs workers and manages users, and may read her
#: zone's cases for that, but does not speak for a case to another zone's controller
XZONE_ROLES = CASE_CREATOR_ROLES


def offer_files(
    session: Session, case: Case, evidence_id: str, ref: str, sha256s: Sequence[str], source: str
) -> int:
    """Record (in ``session``, whose caller decided and audited) the files ``evidence_id``
    offers for correlation; returns how many were new."""
    have = set(
        session.scalars(
            select(CrossZoneFile.sha256).where(
                CrossZoneFile.evidence_id == evidence_id, CrossZoneFile.source == source
            )
        )
    )
    added = sorted({s for s in sha256s if s not in have})
    now = _now()
    session.add_all(
        CrossZoneFile(
            zone_id=case.zone_id,
            case_id=case.id,
            evidence_id=evidence_id,
            sha256=s,
            source=source,
            ref=ref[:64],
            created_at=now,
        )
        for s in added
    )
    return len(added)


class LabCrossZone(LabBase):
    """``lab.xzone_*``: enable, offer, look up, request, grant, refuse."""

    # -- the unit admin ----------------------------------------------------------------------

    def _require_unit_admin(self, operation: str) -> None:
        if self.actor is BOOTSTRAP:
            raise AccessDenied("cross-zone hit/no-hit is enabled by a unit admin: pass --as")
        if self.actor.role not in UNIT_ADMIN_ROLES:
            raise self._deny(
                operation,
                f"only a unit admin enables zones for cross-zone hit/no-hit, not "
                f"{article(self.actor.role)}",
                object_type="zone",
            )

    def xzone_enable(self, zone: str, *, legal_basis: str) -> ZoneSetting:
        """Let ``zone`` ask and be found, on the recorded ``legal_basis`` (unit admin)."""
        return self._set_zone(zone, True, check_words("legal basis", legal_basis))

    def xzone_disable(self, zone: str, *, reason: str) -> ZoneSetting:
        """Stop ``zone`` asking and being found (unit admin); ``reason`` is recorded."""
        return self._set_zone(zone, False, check_words("reason", reason))

    def _set_zone(self, zone: str, enabled: bool, basis: str) -> ZoneSetting:
        operation = "xzone.enable" if enabled else "xzone.disable"
        self._require_unit_admin(operation)
        with self.db.session() as session:
            row = session.scalar(select(Zone).where(Zone.name == zone.strip()))
            if row is None:
                raise self.gate.missing(operation, "zone", zone, "zone")
            zone_id, name = row.id, row.name
        now = _now()
        self._allow(
            operation,
            object_type="zone",
            object_id=name[:64],
            justification=basis,
            detail={"zone": name, "enabled": enabled},
        )
        with self.db.session() as session:
            setting = session.get(CrossZoneZone, zone_id)
            if setting is None:
                setting = CrossZoneZone(zone_id=zone_id)
                session.add(setting)
            setting.enabled = enabled
            setting.legal_basis = basis
            setting.changed_by = self.actor.username
            setting.changed_at = now
        return ZoneSetting(name, enabled, basis, self.actor.username, now)

    def xzone_zones(self) -> list[ZoneSetting]:
        """Every zone and whether it takes part (unit admin and data protection officer)."""
        if self.actor is BOOTSTRAP or self.actor.role not in UNIT_ADMIN_ROLES | {"dpo"}:
            raise self._deny(
                "xzone.zones",
                "only a unit admin or a data protection officer lists the zones taking part",
            )
        self._allow("xzone.zones")
        with self.db.session() as session:
            rows = session.execute(
                select(Zone, CrossZoneZone)
                .outerjoin(CrossZoneZone, CrossZoneZone.zone_id == Zone.id)
                .order_by(Zone.name)
            )
            return [
                ZoneSetting(z.name, False, None, None, None)
                if s is None
                else ZoneSetting(z.name, s.enabled, s.legal_basis, s.changed_by, s.changed_at)
                for z, s in rows
            ]

    # -- offering files ----------------------------------------------------------------------

    def xzone_offer(
        self,
        case_ref: str,
        evidence: str,
        ref: str,
        sha256s: Iterable[str],
        *,
        source: str = "notable",
        processing: bool = False,
    ) -> int:
        """Offer the SHA-256 of ``evidence``'s notable (or marked) files for correlation;
        returns how many were new. The workers call it with ``processing=True`` when a
        run's report is stored; offering again is harmless."""
        if source not in xzone.SOURCES:
            raise InvalidInput(f"source must be one of {', '.join(xzone.SOURCES)}")
        wanted = sorted({check_sha256(s) for s in sha256s})
        with self.db.session() as session:
            case = self._case_for(
                session, case_ref, "xzone.offer", write=True, processing=processing
            )
            item = self.gate.find_item(session, evidence, case=case)
            if item is None:
                raise self.gate.missing("xzone.offer", "evidence", evidence, "evidence item")
            return offer_files(session, case, item.id, ref, wanted, source)

    # -- asking ------------------------------------------------------------------------------

    def _asking_case(self, session: Session, ref: str, operation: str) -> Case:
        """The asker's case, decided by the gate; refusals are audited here, an allowed
        question by the caller with its answer (one question, one entry for the asker)."""
        if self.actor is BOOTSTRAP:
            raise AccessDenied("pass --as USER to ask other zones")
        case = _lookup_case(session, ref)
        if case is None:
            raise self.gate.missing(operation, "case", ref, "case")
        decision = self.gate.decide(case)
        if decision.allowed and self.actor.role not in XZONE_ROLES:
            decision = Decision(
                False, f"{article(self.actor.role)} does not ask other zones about case files"
            )
        if decision.allowed and case.zone_id != self.actor.zone_id:
            decision = Decision(
                False, f"only {case.zone.name}, which owns case {case.number}, asks about its files"
            )
        if not decision.allowed:
            raise self.gate.refuse(
                operation,
                decision,
                case=case,
                object_type="case",
                object_id=case.id,
                ref=ref,
                what="case",
            )
        self._require_enabled(session, operation, case)
        return case

    def _require_enabled(self, session: Session, operation: str, case: Case | None) -> None:
        setting = session.get(CrossZoneZone, self.actor.zone_id)
        if setting is None or not setting.enabled:
            raise self.gate.deny(
                operation,
                f"cross-zone hit/no-hit is not enabled for {self.actor.zone} (a unit admin "
                "enables it with a legal basis)",
                case=case,
            )

    def _require_quota(self, session: Session, operation: str, case: Case) -> None:
        since = format_time(utc_now() - timedelta(days=1))
        asked = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.username == self.actor.username,
                AuditEntry.operation.in_(ASKING),
                AuditEntry.allowed.is_(True),
                AuditEntry.at > since,
            )
        )
        if int(asked or 0) >= xzone.DAILY_LOOKUPS:
            raise self.gate.deny(
                operation,
                f"{xzone.DAILY_LOOKUPS} cross-zone questions in 24 hours is the most one "
                "user may ask",
                case=case,
            )

    def _matches(self, session: Session, digests: Sequence[str]) -> dict[str, dict[str, Case]]:
        """For each digest, the cases (one per zone and case) of other enabled zones that
        offer it and the asker cannot see."""
        found: dict[str, dict[str, Case]] = {}
        if not digests:
            return found
        rows = session.execute(
            select(CrossZoneFile.sha256, Case)
            .join(Case, Case.id == CrossZoneFile.case_id)
            .join(CrossZoneZone, CrossZoneZone.zone_id == CrossZoneFile.zone_id)
            .where(
                CrossZoneFile.sha256.in_(list(digests)),
                CrossZoneZone.enabled.is_(True),
                CrossZoneFile.zone_id != self.actor.zone_id,
                CrossZoneFile.case_id.not_in(self.gate.visible_case_ids()),
            )
            .order_by(CrossZoneFile.sha256, Case.id)
        )
        for digest, case in rows:
            found.setdefault(digest, {})[case.id] = case
        return found

    @staticmethod
    def _hit(digest: str, cases: dict[str, Case] | None) -> Hit:
        zones = sorted({c.zone.name for c in (cases or {}).values()})
        return Hit(digest, bool(zones), zones)

    def _audit_holders(
        self, operation: str, asked_in: Case, found: dict[str, dict[str, Case]]
    ) -> None:
        """One entry per case found, under that case (so its zone's DPO sees the
        question): which file, asked by whom, from which zone's case."""
        for digest, cases in sorted(found.items()):
            for case in cases.values():
                self.gate.allow(
                    operation,
                    case=case,
                    object_type="xzone",
                    object_id=digest[:64],
                    detail={
                        "sha256": digest,
                        "asked_by_zone": self.actor.zone,
                        "asked_in_case": asked_in.id,
                    },
                )

    def xzone_lookup(self, case_ref: str, sha256: str) -> Hit:
        """Hit or no-hit for one file of ``case_ref`` (its notable or marked files only):
        whether another enabled zone's case, one the asker cannot see, holds a file with
        this SHA-256, and which zones."""
        digest = check_sha256(sha256)
        with self.db.session() as session:
            case = self._asking_case(session, case_ref, "xzone.lookup")
            offered = session.scalar(
                select(CrossZoneFile.id)
                .where(CrossZoneFile.case_id == case.id, CrossZoneFile.sha256 == digest)
                .limit(1)
            )
            if offered is None:
                raise self.gate.deny(
                    "xzone.lookup",
                    f"{digest} is not a notable or marked file of case {case.number}: only "
                    "those may be asked about",
                    case=case,
                    object_type="xzone",
                    object_id=digest,
                )
            self._require_quota(session, "xzone.lookup", case)
            found = self._matches(session, [digest])
            hit = self._hit(digest, found.get(digest))
            self.gate.allow(
                "xzone.lookup",
                case=case,
                object_type="xzone",
                object_id=digest,
                detail=hit.as_dict(),
            )
            self._audit_holders("xzone.hit", case, found)
        return hit

    def xzone_hits(self, evidence: str) -> list[Hit]:
        """Hit or no-hit for every notable or marked file of ``evidence`` (at most
        :data:`~lccu.evidence.xzone.MAX_PER_CALL`), hits first."""
        with self.db.session() as session:
            item = self.gate.find_item(session, evidence)
            if item is None:
                raise self.gate.missing("xzone.hits", "evidence", evidence, "evidence item")
            case = session.get(Case, item.case_id)
            assert case is not None
            try:
                case = self._asking_case(session, case.id, "xzone.hits")
            except NotVisible:  # audited; named as the item asked for, not by its case
                raise NotVisible(
                    f"no evidence item {evidence.strip()!r}",
                    key="no_such",
                    params={"ref": evidence.strip()},
                ) from None
            digests = list(
                session.scalars(
                    select(CrossZoneFile.sha256)
                    .where(CrossZoneFile.evidence_id == item.id)
                    .distinct()
                    .order_by(CrossZoneFile.sha256)
                    .limit(xzone.MAX_PER_CALL)
                )
            )
            self._require_quota(session, "xzone.hits", case)
            found = self._matches(session, digests)
            hits = sorted(
                (self._hit(d, found.get(d)) for d in digests), key=lambda h: (not h.hit, h.sha256)
            )
            self.gate.allow(
                "xzone.hits",
                case=case,
                object_type="evidence",
                object_id=item.id,
                detail={"asked": len(digests), "hits": [h.as_dict() for h in hits if h.hit]},
            )
            self._audit_holders("xzone.hit", case, found)
        return hits

    # -- disclosure --------------------------------------------------------------------------

    def xzone_request(self, case_ref: str, sha256: str, *, zone: str, purpose: str) -> RequestView:
        """Ask ``zone``, which holds a hit for this file of ``case_ref``, for its case number
        and a contact, for ``purpose``. Only a hit can be asked about."""
        digest = check_sha256(sha256)
        purpose = check_words("purpose", purpose)
        with self.db.session() as session:
            case = self._asking_case(session, case_ref, "xzone.request")
            if self.actor.role not in XZONE_ROLES:
                raise self.gate.deny(
                    "xzone.request", f"{article(self.actor.role)} does not request", case=case
                )
            offered = session.scalar(
                select(CrossZoneFile.id)
                .where(CrossZoneFile.case_id == case.id, CrossZoneFile.sha256 == digest)
                .limit(1)
            )
            holders = self._matches(session, [digest]).get(digest, {}) if offered else {}
            held = [c for c in holders.values() if c.zone.name == zone.strip()]
            if not held:
                raise self.gate.deny(
                    "xzone.request",
                    f"no hit for {digest} of case {case.number} in {zone.strip()[:100]}",
                    case=case,
                    object_type="xzone",
                    object_id=digest,
                )
            to_zone = held[0].zone
            pending = session.scalar(
                select(func.count())
                .select_from(CrossZoneRequest)
                .where(
                    CrossZoneRequest.from_zone_id == self.actor.zone_id,
                    CrossZoneRequest.to_zone_id == to_zone.id,
                    CrossZoneRequest.state == PENDING,
                )
            )
            if int(pending or 0) >= xzone.MAX_PENDING:
                raise self.gate.deny(
                    "xzone.request",
                    f"{xzone.MAX_PENDING} requests to {to_zone.name} are still pending",
                    case=case,
                )
            request = CrossZoneRequest(
                sha256=digest,
                from_zone_id=case.zone_id,
                from_case_id=case.id,
                to_zone_id=to_zone.id,
                purpose=purpose,
                requested_by=self.actor.username,
                requested_at=_now(),
                state=PENDING,
            )
            request_id = request.id = new_uuid()
            self.gate.allow(
                "xzone.request",
                case=case,
                object_type="xzone_request",
                object_id=request_id,
                justification=purpose,
                detail={"sha256": digest, "to_zone": to_zone.name},
            )
            for holder in held:
                self.gate.allow(
                    "xzone.requested",
                    case=holder,
                    object_type="xzone_request",
                    object_id=request_id,
                    justification=purpose,
                    detail={"sha256": digest, "from_zone": self.actor.zone},
                )
        with self.db.session() as session:
            session.add(request)
            session.flush()
            return self._view(session, request)

    def _view(self, session: Session, request: CrossZoneRequest) -> RequestView:
        """The request as the actor's zone may see it."""
        from_zone = session.get(Zone, request.from_zone_id)
        to_zone = session.get(Zone, request.to_zone_id)
        assert from_zone is not None and to_zone is not None
        base: dict[str, Any] = {
            "id": request.id,
            "sha256": request.sha256,
            "from_zone": from_zone.name,
            "to_zone": to_zone.name,
            "purpose": request.purpose,
            "requested_by": request.requested_by,
            "requested_at": request.requested_at,
            "state": request.state,
            "decided_by": request.decided_by,
            "decided_at": request.decided_at,
        }
        if request.to_zone_id == self.actor.zone_id:  # the holding zone: its own cases
            holding = session.scalars(
                select(Case.number)
                .join(CrossZoneFile, CrossZoneFile.case_id == Case.id)
                .where(
                    CrossZoneFile.sha256 == request.sha256,
                    Case.zone_id == request.to_zone_id,
                )
                .distinct()
                .order_by(Case.number)
            )
            return RequestView(
                **base,
                reason=request.reason,
                holding_cases=list(holding),
                case_number=request.disclosed_case_number,
                contact=request.disclosed_contact,
            )
        own = session.get(Case, request.from_case_id)
        granted = request.state == GRANTED
        return RequestView(
            **base,
            from_case=own.number if own is not None else None,
            case_number=request.disclosed_case_number if granted else None,
            contact=request.disclosed_contact if granted else None,
        )

    def xzone_requests(self) -> list[RequestView]:
        """The requests the actor's zone sent and received, newest first."""
        if self.actor is BOOTSTRAP or self.actor.role not in XZONE_ROLES:
            raise self._deny(
                "xzone.requests",
                f"{article(self.actor.role)} does not read cross-zone requests",
            )
        self._allow("xzone.requests")
        with self.db.session() as session:
            rows = session.scalars(
                select(CrossZoneRequest)
                .where(
                    (CrossZoneRequest.from_zone_id == self.actor.zone_id)
                    | (CrossZoneRequest.to_zone_id == self.actor.zone_id)
                )
                .order_by(CrossZoneRequest.requested_at.desc(), CrossZoneRequest.id)
            )
            return [self._view(session, r) for r in rows]

    def xzone_request_show(self, request_id: str) -> RequestView:
        """One request of the actor's zone (sent or received)."""
        with self.db.session() as session:
            request = self._own_request(session, request_id, "xzone.requests", incoming=None)
            self._allow("xzone.requests", object_type="xzone_request", object_id=request.id)
            return self._view(session, request)

    def _own_request(
        self, session: Session, request_id: str, operation: str, *, incoming: bool | None
    ) -> CrossZoneRequest:
        """A request the actor's zone sent (``incoming`` False), received (True) or either
        (None); any other is "no such request", whether it exists or not."""
        if self.actor is BOOTSTRAP or self.actor.role not in XZONE_ROLES:
            raise self._deny(
                operation, f"{article(self.actor.role)} does not handle cross-zone requests"
            )
        ref = request_id.strip()
        request = session.get(CrossZoneRequest, ref) if ref else None
        if request is None and len(ref) >= 8:
            found = list(
                session.scalars(
                    select(CrossZoneRequest).where(CrossZoneRequest.id.startswith(ref)).limit(2)
                )
            )
            request = found[0] if len(found) == 1 else None
        mine = request is not None and (
            (incoming is not False and request.to_zone_id == self.actor.zone_id)
            or (incoming is not True and request.from_zone_id == self.actor.zone_id)
        )
        if request is None or not mine:
            raise self.gate.missing(operation, "xzone_request", ref, "cross-zone request")
        return request

    def xzone_grant(
        self, request_id: str, *, case: str | None = None, contact: str | None = None
    ) -> RequestView:
        """Grant a request to the actor's zone: the requesting zone learns the number of
        ``case`` (one of the zone's cases holding the file; may be left out when only one
        does) and ``contact`` (default: the granting user and zone)."""
        contact = check_words(
            "contact", contact or f"{self.actor.username} ({self.actor.zone})", 500
        )
        return self._decide(request_id, GRANTED, case_ref=case, contact=contact, reason=None)

    def xzone_refuse(self, request_id: str, *, reason: str | None = None) -> RequestView:
        """Refuse a request to the actor's zone: the requesting zone learns nothing more
        (the reason is kept for the holding zone and the audit)."""
        reason = check_words("reason", reason) if reason else None
        return self._decide(request_id, REFUSED, case_ref=None, contact=None, reason=reason)

    def _decide(
        self,
        request_id: str,
        state: str,
        *,
        case_ref: str | None,
        contact: str | None,
        reason: str | None,
    ) -> RequestView:
        operation = "xzone.grant" if state == GRANTED else "xzone.refuse"
        with self.db.session() as session:
            request = self._own_request(session, request_id, operation, incoming=True)
            holding = list(
                session.scalars(
                    select(Case)
                    .join(CrossZoneFile, CrossZoneFile.case_id == Case.id)
                    .where(
                        CrossZoneFile.sha256 == request.sha256,
                        Case.zone_id == self.actor.zone_id,
                    )
                    .distinct()
                    .order_by(Case.number)
                )
            )
            if request.state != PENDING:
                raise InvalidInput(
                    f"request {request.id} is already {request.state}",
                    key="request_decided",
                    params={"request_state": request.state},
                )
            chosen = self._chosen_case(session, holding, case_ref, operation)
            asking = session.get(Case, request.from_case_id)
            assert asking is not None
            detail = {
                "request": request.id,
                "sha256": request.sha256,
                "to_zone": asking.zone.name,
                "disclosed": {"case_number": chosen.number, "contact": contact}
                if state == GRANTED
                else None,
            }
            self.gate.allow(
                operation,
                case=chosen,
                object_type="xzone_request",
                object_id=request.id,
                justification=reason,
                detail=detail,
            )
            self.gate.allow(  # the receiving zone's side, for its DPO
                "xzone.disclosed" if state == GRANTED else "xzone.refused",
                case=asking,
                object_type="xzone_request",
                object_id=request.id,
                detail={
                    "request": request.id,
                    "from_zone": self.actor.zone,
                    **({"disclosed": detail["disclosed"]} if state == GRANTED else {}),
                },
            )
            request.state = state
            request.decided_by = self.actor.username
            request.decided_at = _now()
            request.reason = reason
            if state == GRANTED:
                request.disclosed_case_id = chosen.id
                request.disclosed_case_number = chosen.number
                request.disclosed_contact = contact
            session.flush()
            return self._view(session, request)

    def _chosen_case(
        self, session: Session, holding: list[Case], case_ref: str | None, operation: str
    ) -> Case:
        """The case a grant names: one of the zone's cases holding the file, which the
        granter must be able to act for (owning zone, a writer's role)."""
        if case_ref is None:
            if len(holding) != 1:
                numbers = ", ".join(c.number for c in holding) or "none"
                raise InvalidInput(
                    f"name the case to disclose (cases holding the file: {numbers})",
                    key="name_case_to_disclose",
                    params={"cases": numbers},
                )
            case_ref = holding[0].id
        case = _lookup_case(session, case_ref)
        if case is None:
            raise self.gate.missing(operation, "case", case_ref, "case")
        decision = self.gate.decide(case, write=True, owner=True)
        if not decision.allowed:
            raise self.gate.refuse(
                operation,
                decision,
                case=case,
                object_type="case",
                object_id=case.id,
                ref=case_ref,
                what="case",
            )
        if case.id not in {c.id for c in holding}:
            raise InvalidInput(
                f"case {case.number} does not hold this file",
                key="case_lacks_file",
                params={"case": case.number},
            )
        return case
