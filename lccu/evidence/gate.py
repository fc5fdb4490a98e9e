"""The access gate: the one place that decides who may see or do what, and audits it.

Every decision about a case, an evidence item, a processing run, its report and derived
files, or a custody event goes through a :class:`Gate`: it loads the object, asks
:func:`~lccu.evidence.access.case_access` (plus the owner-only, case-state and
run-belongs-to-item rules kept here), and writes exactly one audit entry with the verdict
(one decision, one entry). Code outside :mod:`lccu.evidence` never makes such a decision
itself; it calls a :class:`~lccu.evidence.lab.Lab` method, which calls the gate.

The unit's roles are scoped (see ``docs/access.md``): an ``admin`` administers the unit
(zones, users of every zone); an ``operator`` runs workers and administers the users of
their own zone only; investigators and analysts work on the cases their zone owns or is
granted; a ``dpo`` reads the audit log, never case contents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lccu.errors import AccessDenied, InvalidInput, NotFound, NotVisible
from lccu.evidence.access import (
    WRITER_ROLES,
    Actor,
    AuditLog,
    Decision,
    active_share,
    case_access,
)
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.lab_lookup import _lookup_case, _lookup_item, _unique_prefix
from lccu.evidence.models import Case, EvidenceItem, User
from lccu.evidence.records import CaseInfo

if TYPE_CHECKING:
    from lccu.evidence.runstate import ProcessingRun

#: the unit-wide administrator: zones and the users of every zone (few people; audited)
UNIT_ADMIN_ROLES = frozenset({"admin"})
#: the decision (its key) that the actor's zone may not see the case at all: answered as an
#: unknown reference (:meth:`Gate.refuse`)
NOT_VISIBLE = "access_denied_not_shared"
#: who administers the users of their own zone
ZONE_ADMIN_ROLES = frozenset({"operator"})
#: roles a zone operator may give to users of their zone (dpo and admin are unit-wide)
ZONE_GRANTABLE_ROLES = frozenset({"investigator", "analyst", "operator"})

#: how an operation reads in "USER may not ...": a verb phrase, never "case create"
_PHRASES = {
    "case.create": "create cases",
    "case.read": "read this case",
    "case.list": "list cases",
    "case.share": "share this case",
    "case.unshare": "revoke a share of this case",
    "case.close": "close this case",
    "case.question": "set the question of this case",
    "evidence.add": "add evidence to this case",
    "evidence.read": "read this evidence item",
    "evidence.list": "list the evidence of this case",
    "evidence.access": "open this evidence item",
    "evidence.verify": "verify this evidence item",
    "run.read": "read this processing run",
    "run.list": "list the processing runs of this item",
    "run.submit": "process this evidence item",
    "report.read": "read this report",
    "report.export": "write this report out of lccu",
    "derived.read": "read this derived file",
    "custody.read": "read the custody log of this case",
    "custody.verify": "verify the custody log of this case",
    "custody.export": "export the custody log of this case",
    "custody.countersign": "countersign in this case",
    "zone.create": "create zones",
    "unit.key.create": "create the unit key",
    "user.create": "create users",
    "user.list": "list users",
    "audit.read": "read the audit log",
    "audit.verify": "verify the audit log",
    "audit.export": "export the audit log",
    "password.set": "set this password",
    "hashset.import": "import hash sets",
    "workers.read": "see the workers",
    "metrics.read": "read the metrics",
    "hashset.remove": "remove hash sets",
    "tag.add": "tag files of this evidence item",
    "tag.list": "read the tags of this case",
    "tag.remove": "remove tags in this case",
    "tag.label": "define tag labels",
    "file.list": "list the files of this evidence item",
    "file.read": "read files of this evidence item",
    "notable.mark": "mark files of this evidence item as notable",
    "notable.list": "read the notable marks",
    "notable.approve": "approve notable marks",
    "notable.reject": "reject notable marks",
    "xzone.enable": "enable cross-zone hit/no-hit",
    "xzone.disable": "disable cross-zone hit/no-hit",
    "xzone.zones": "list the zones taking part in cross-zone hit/no-hit",
    "xzone.offer": "offer files of this case for cross-zone hit/no-hit",
    "xzone.lookup": "ask other zones about this file",
    "xzone.hits": "ask other zones about the files of this item",
    "xzone.request": "request a disclosure from another zone",
    "xzone.requests": "read cross-zone requests",
    "xzone.grant": "grant this cross-zone request",
    "xzone.refuse": "refuse this cross-zone request",
}


def article(word: str | None) -> str:
    """``"an operator"``, ``"a dpo"``: the role with its article (``"no role"`` for none)."""
    if not word:
        return "no role"
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def phrase(operation: str) -> str:
    """What ``operation`` reads as after "may not"."""
    if operation in _PHRASES:
        return _PHRASES[operation]
    noun, _, verb = operation.partition(".")
    if noun == "custody" and verb:
        return f"record a '{verb}' custody event in this case"
    return f"{verb.replace('_', ' ')} {noun}".strip() if verb else noun


def _now() -> str:
    return format_time(utc_now())


class Gate:
    """Decides and audits every access of one actor (a :class:`Lab` holds one)."""

    def __init__(self, actor: Actor, audit: AuditLog) -> None:
        self.actor = actor
        self.audit = audit
        #: runs this gate has let the actor read: polling a run's progress (``lccu status
        #: --watch``, ``process --wait``) is decided every time but audited once per Lab
        self._runs_read: set[tuple[str, str]] = set()

    # -- verdicts -----------------------------------------------------------------------------

    def deny(
        self,
        operation: str,
        why: str,
        *,
        case: Case | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        detail: dict[str, Any] | None = None,
        reason: Decision | None = None,
    ) -> AccessDenied:
        """Audit a refusal (once) and return the error to raise; ``reason``, the decision
        that refused, names the web's message for it (else the generic one)."""
        self.audit.write(
            self.actor,
            operation,
            allowed=False,
            case=case,
            object_type=object_type,
            object_id=object_id,
            detail={"why": why, **(detail or {})},
        )
        key = "access_denied"  # the generic message; a decision with a key names why
        params: dict[str, object] = {"user": self.actor.username, "operation": operation}
        if reason is not None and reason.key:
            key = reason.key
            params.update(reason.params or {})
        return AccessDenied(
            f"{self.actor.username} may not {phrase(operation)}: {why}", key=key, params=params
        )

    def allow(
        self,
        operation: str,
        *,
        case: Case | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        justification: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Audit an allowed access (once)."""
        self.audit.write(
            self.actor,
            operation,
            allowed=True,
            case=case,
            object_type=object_type,
            object_id=object_id,
            justification=justification,
            detail=detail,
        )

    def missing(self, operation: str, object_type: str, ref: str, what: str) -> NotFound:
        """Audit a reference to nothing (refused) and return the error to raise."""
        self.audit.write(
            self.actor,
            operation,
            allowed=False,
            object_type=object_type,
            object_id=ref[:64],
            detail={"why": f"no such {what}"},
        )
        return NotFound(f"no {what} {ref.strip()!r}", key="no_such", params={"ref": ref.strip()})

    def refuse(
        self,
        operation: str,
        decision: Decision,
        *,
        case: Case,
        object_type: str,
        object_id: str,
        ref: str,
        what: str,
    ) -> AccessDenied:
        """Audit the refusal ``decision`` (once) and return the error to raise. A case of
        another zone that is not shared with the actor's (:data:`NOT_VISIBLE`) is answered
        as :meth:`missing` answers a reference to nothing, word for word (:class:`NotVisible`,
        404, exit 2): a refusal would tell that the case, item or run exists, and whose
        it is. The audit entry keeps the real reason and the case, for its zone's DPO."""
        if decision.key != NOT_VISIBLE:
            return self.deny(
                operation,
                decision.why,
                case=case,
                object_type=object_type,
                object_id=object_id,
                reason=decision,
            )
        self.audit.write(
            self.actor,
            operation,
            allowed=False,
            case=case,
            object_type=object_type,
            object_id=object_id,
            detail={"why": decision.why, "answered": "as an unknown reference"},
        )
        return NotVisible(f"no {what} {ref.strip()!r}", key="no_such", params={"ref": ref.strip()})

    def kind_of(self, session: Session, ref: str, operation: str) -> str:
        """``"case"`` or ``"evidence"``: what ``ref`` names, for the calls that take either
        (access is decided, and audited, when it is used). A case or item of another zone
        not shared with the actor's is named as nothing is: "no case or evidence item",
        audited once, refused (with the case, for its zone's DPO)."""
        case = _lookup_case(session, ref)
        hidden: tuple[Case, str, str] | None = None
        if case is not None:
            if self.decide(case).key != NOT_VISIBLE:
                return "case"
            hidden = (case, "case", case.id)
        else:
            item = self.find_item(session, ref)
            if item is not None:
                owning = session.get(Case, item.case_id)
                assert owning is not None
                decision = self.decide(owning)
                if decision.key != NOT_VISIBLE:
                    return "evidence"
                hidden = (owning, "evidence", item.id)
        self.audit.write(
            self.actor,
            operation,
            allowed=False,
            case=hidden[0] if hidden else None,
            object_type=hidden[1] if hidden else None,
            object_id=hidden[2] if hidden else ref[:64],
            detail={
                "why": "no such case or evidence item"
                if hidden is None
                else self.decide(hidden[0]).why
            },
        )
        kind = NotFound if hidden is None else NotVisible
        raise kind(f"no case or evidence item {ref!r}", key="no_such", params={"ref": ref})

    # -- decisions ----------------------------------------------------------------------------

    def decide(
        self, case: Case, *, write: bool = False, owner: bool = False, processing: bool = False
    ) -> Decision:
        """The verdict on ``case`` without auditing it: :func:`case_access`, then the
        owner-only rule (sharing, revoking, closing)."""
        decision = case_access(self.actor, case, write=write, processing=processing)
        if not decision.allowed:
            return decision
        if owner and case.zone_id != self.actor.zone_id:
            return Decision(
                False,
                f"only the owning zone ({case.zone.name}) may do this",
                key="access_denied_owner_only",
                params={"owner": case.zone.name},
            )
        return decision

    def case(
        self,
        session: Session,
        ref: str,
        operation: str,
        *,
        write: bool = False,
        owner: bool = False,
        open_case: bool = False,
        justification: str | None = None,
        processing: bool = False,
        parties: tuple[str, ...] = (),
        audit: bool = True,
    ) -> Case:
        """Load a case and decide; unknown and refused cases are both audited, once.
        ``parties``: the users receiving or witnessing a hand-over, who must be able to see
        the case (:meth:`party_refusal`). With ``audit=False`` an allowed access is left to
        the caller to audit (with what it then reads), so that one decision still makes
        one entry; refusals are audited here either way."""
        case = _lookup_case(session, ref)
        if case is None:
            raise self.missing(operation, "case", ref, "case")
        decision = self.decide(case, write=write, owner=owner, processing=processing)
        for party in parties if decision.allowed else ():
            why = self.party_refusal(session, case, party)
            if why is not None:
                decision = Decision(False, why)
        if not decision.allowed:
            raise self.refuse(
                operation,
                decision,
                case=case,
                object_type="case",
                object_id=case.id,
                ref=ref,
                what="case",
            )
        if open_case and case.status != "open":  # allowed, but not in this state: input
            why = f"case {case.number} is {case.status}"
            self.audit.write(
                self.actor,
                operation,
                allowed=False,
                case=case,
                object_type="case",
                object_id=case.id,
                detail={"why": why},
            )
            refused = InvalidInput(why, key="case_not_open", params={"case": case.number})
            refused.audited = True  # just now: not again by the intake that meets it
            raise refused
        if not audit:
            return case
        why = justification or (decision.via_share.purpose if decision.via_share else None)
        self.allow(
            operation,
            case=case,
            object_type="case",
            object_id=case.id,
            justification=why,
            detail={"access": decision.why},
        )
        return case

    def find_item(
        self, session: Session, ref: str, *, case: Case | None = None
    ) -> EvidenceItem | None:
        """An item by id, unique id prefix, or exhibit number (``EXH-001``, or
        ``CASE/EXH-001``). A bare exhibit number is looked up among the items of ``case``,
        or else of the cases the actor may see: a number that only another zone uses is
        "no such item", never a hint that it exists."""
        ref = ref.strip()
        item = _lookup_item(session, ref)
        if item is not None:
            return item if case is None or item.case_id == case.id else None
        case_ref, slash, exhibit = ref.rpartition("/")
        if slash and case is None:
            case = _lookup_case(session, case_ref)
            if case is None:
                return None
            ref = exhibit
        query = select(EvidenceItem).where(EvidenceItem.exhibit_number == ref)
        if case is not None:
            query = query.where(EvidenceItem.case_id == case.id)
        else:
            query = query.where(EvidenceItem.case_id.in_(self.visible_case_ids()))
        found = list(session.scalars(query.limit(2)))
        return found[0] if len(found) == 1 else None

    def visible_case_ids(self) -> Any:
        """A subquery of the ids of the cases the actor's zone owns or is granted now."""
        from lccu.evidence.models import CaseShare

        now = _now()
        shared = select(CaseShare.case_id).where(
            CaseShare.zone_id == self.actor.zone_id,
            CaseShare.revoked_at.is_(None),
            or_(CaseShare.valid_until.is_(None), CaseShare.valid_until > now),
        )
        return select(Case.id).where(or_(Case.zone_id == self.actor.zone_id, Case.id.in_(shared)))

    def owns(self, session: Session, ref: str) -> bool:
        """Whether ``ref`` names a case of the actor's own zone (no audit: the web asks it
        to know whether a justification is needed; unknown and foreign references give the
        same answer, so the question leaks nothing)."""
        ref = ref.strip()
        found = session.scalar(
            select(Case.id).where(
                or_(Case.id == ref, Case.number == ref), Case.zone_id == self.actor.zone_id
            )
        )
        return found is not None

    def abilities(self, case: CaseInfo) -> dict[str, bool]:
        """What the actor's forms on ``case`` may offer (the decisions themselves are
        made again, and audited, when a form is sent): ``owner`` (share, revoke, close),
        ``can_record`` (custody events, countersigning), ``can_close``."""
        now = _now()
        active = [
            s
            for s in case.shares
            if s.revoked_at is None and (s.valid_until is None or s.valid_until > now)
        ]
        writer = self.actor.role in WRITER_ROLES
        owner = writer and self.actor.zone == case.zone
        contributes = any(
            s.zone == self.actor.zone and s.permission == "contribute" for s in active
        )
        return {
            "owner": owner,
            "can_record": writer and (owner or contributes),
            "can_close": owner and case.status == "open",
        }

    def may_list(self, operation: str = "case.list") -> None:
        """Refuse (audited) the roles that list no cases: a dpo reads the audit log and a
        unit admin administers, neither reads case contents."""
        if self.actor.role == "dpo":
            raise self.deny(
                operation, "a data protection officer reads the audit log, not case contents"
            )
        if self.actor.role == "admin":
            raise self.deny(
                operation, "a unit admin administers zones and users, not case contents"
            )

    def item(
        self,
        session: Session,
        ref: str,
        operation: str,
        *,
        write: bool = False,
        processing: bool = False,
        case: Case | None = None,
        audit: bool = True,
    ) -> tuple[Case, EvidenceItem]:
        """Load an item (of ``case``, if given) and decide on its case; audited once.
        With ``audit=False`` the caller audits the decision itself (as a run or report
        read), so that one decision still makes one entry."""
        item = self.find_item(session, ref, case=case)
        if item is None:
            where = f" in case {case.number}" if case is not None else ""
            raise self.missing(operation, "evidence", ref, f"evidence item{where}")
        owning = case if case is not None else session.get(Case, item.case_id)
        assert owning is not None
        decision = self.decide(owning, write=write, processing=processing)
        if not decision.allowed:
            raise self.refuse(
                operation,
                decision,
                case=owning,
                object_type="evidence",
                object_id=item.id,
                ref=ref,
                what="evidence item",
            )
        if audit:
            self.allow(
                operation,
                case=owning,
                object_type="evidence",
                object_id=item.id,
                detail={"access": decision.why},
            )
        return owning, item

    def run(
        self,
        session: Session,
        item_ref: str,
        run_id: str,
        operation: str = "run.read",
        *,
        processing: bool = False,
        audit: bool = True,
    ) -> tuple[Case, EvidenceItem, ProcessingRun]:
        """A processing run reached through its item: the item's access check, and the run
        must be one of that item's; a run of another item (of any zone) is refused as
        "no such run of this item", audited once. With ``audit=False`` an allowed read is
        left to the caller to audit, as :meth:`item` does."""
        from lccu.evidence.runstate import ProcessingRun

        case, item = self.item(session, item_ref, operation, processing=processing, audit=False)
        run = session.get(ProcessingRun, run_id.strip()) if run_id.strip() else None
        if run is None and len(run_id.strip()) >= 8:
            prefixed = _unique_prefix(session, ProcessingRun.id, run_id.strip())
            run = prefixed if isinstance(prefixed, ProcessingRun) else None
        if run is None or run.evidence_id != item.id:
            # the same answer whether the run is another item's, another zone's or none
            why = f"no processing run {run_id.strip()[:64]!r} of evidence {item.exhibit_number}"
            self.audit.write(
                self.actor,
                operation,
                allowed=False,
                case=case,
                object_type="run",
                object_id=run_id[:64],
                detail={"why": why, "evidence": item.id},
            )
            raise NotFound(why, key="no_run", params={"exhibit": item.exhibit_number})
        if audit and (operation, run.id) not in self._runs_read:
            self._runs_read.add((operation, run.id))
            self.allow(
                operation,
                case=case,
                object_type="run",
                object_id=run.id,
                detail={"evidence": item.id},
            )
        return case, item, run

    def run_by_id(
        self,
        session: Session,
        run_id: str,
        operation: str = "run.read",
        *,
        processing: bool = False,
    ) -> tuple[Case, EvidenceItem, ProcessingRun]:
        """A processing run by its id alone, decided on its item's case; audited once."""
        from lccu.evidence.runstate import ProcessingRun

        run = session.get(ProcessingRun, run_id.strip())
        if run is None:
            raise self.missing(operation, "run", run_id, "processing run")
        item = session.get(EvidenceItem, run.evidence_id)
        case = session.get(Case, run.case_id)
        assert item is not None and case is not None
        decision = self.decide(case, processing=processing)
        if not decision.allowed:
            raise self.refuse(
                operation,
                decision,
                case=case,
                object_type="run",
                object_id=run.id,
                ref=run_id,
                what="processing run",
            )
        if (operation, run.id) not in self._runs_read:
            self._runs_read.add((operation, run.id))
            self.allow(
                operation,
                case=case,
                object_type="run",
                object_id=run.id,
                detail={"evidence": item.id, "access": decision.why},
            )
        return case, item, run

    def party_refusal(self, session: Session, case: Case, username: str) -> str | None:
        """Why ``username`` cannot be a party to a hand-over in ``case`` (receive the item
        or witness it), or None: they must be active, take custody in their role,
        and their zone must see the case now (owner, or a valid grant)."""
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            return None  # an unknown receiver is an input error of the custody rules
        if not user.active:
            return f"{username} is deactivated"
        if user.role not in ("investigator", "analyst", "operator"):
            return f"{username} is {article(user.role)} and takes no part in hand-overs"
        if user.zone_id != case.zone_id and active_share(case, user.zone_id, _now()) is None:
            return (
                f"{username} ({user.zone.name}) has no access to case {case.number}; "
                f"share the case with {user.zone.name} first"
            )
        return None

    def unit_view(self, operation: str, *, audit_allowed: bool = True) -> None:
        """May the actor see the unit's processing (workers, the queue per zone, metrics)?
        Operators, who run the workers, may; it shows no case contents. A refusal is
        audited; an allowed look too, unless ``audit_allowed`` is false (a Prometheus
        scrape every few seconds would bury the log)."""
        if self.actor.role not in ZONE_ADMIN_ROLES:
            raise self.deny(
                operation,
                f"only operators see the workers and the queue of every zone, not "
                f"{article(self.actor.role)}",
            )
        if audit_allowed:
            self.allow(operation)

    # -- administration -----------------------------------------------------------------------

    def administer(
        self,
        operation: str,
        *,
        zone: str | None = None,
        role: str | None = None,
        object_id: str | None = None,
        first_admin: bool = False,
    ) -> None:
        """May the actor create this zone (``zone`` None) or a user of ``zone`` with
        ``role``? A unit admin may do both; a zone operator only users of their own zone,
        with a role of :data:`ZONE_GRANTABLE_ROLES`; in a unit without any admin (made
        before roles were scoped) an operator may create the first one. Audited once."""
        actor = self.actor
        why: str | None = None
        if actor.role in UNIT_ADMIN_ROLES:
            why = None
        elif actor.role in ZONE_ADMIN_ROLES and first_admin and role in UNIT_ADMIN_ROLES:
            why = None  # a unit from before scoped roles gets its first admin (audited)
        elif actor.role in ZONE_ADMIN_ROLES and zone is not None:
            if zone != actor.zone:
                why = f"an operator of {actor.zone} administers {actor.zone}'s users only"
            elif role not in ZONE_GRANTABLE_ROLES:
                why = f"only a unit admin creates {article(role)}"
        elif actor.role in ZONE_ADMIN_ROLES:
            why = f"only a unit admin (role admin) may {phrase(operation)}"
        else:
            why = f"{article(actor.role)} does not administer users or zones"
        object_type = "zone" if operation.startswith("zone.") else "user"
        if why is not None:
            raise self.deny(
                operation,
                why,
                object_type=object_type,
                object_id=object_id,
                detail={"zone": zone, "role": role},
            )
        self.allow(
            operation,
            object_type=object_type,
            object_id=object_id,
            detail={
                "zone": zone,
                "role": role,
                "scope": "unit" if actor.role in UNIT_ADMIN_ROLES else "zone",
            },
        )

    def credential(self, user: User | None, username: str) -> None:
        """May the actor set ``username``'s password (someone else's)? A unit admin may;
        an operator only for a user of their own zone below admin and dpo. A refusal is
        audited here; the caller audits the change it then makes."""
        actor = self.actor
        if actor.role in UNIT_ADMIN_ROLES:
            return
        if actor.role not in ZONE_ADMIN_ROLES:
            why = "not the user, nor an admin or an operator of the user's zone"
        elif user is not None and user.zone.name != actor.zone:
            why = f"an operator of {actor.zone} manages {actor.zone}'s users only"
        elif user is not None and user.role not in ZONE_GRANTABLE_ROLES:
            why = f"only a unit admin manages {article(user.role)}"
        else:
            return
        raise self.deny("password.set", why, object_type="user", object_id=username[:64])
