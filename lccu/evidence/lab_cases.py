"""Opening, reading, listing, sharing and closing cases: the case part of
:class:`~lccu.evidence.lab.Lab`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from lccu.errors import AlreadyExists, InvalidInput, NotFound
from lccu.evidence.access import CASE_CREATOR_ROLES
from lccu.evidence.canonical import GENESIS_HASH, format_time
from lccu.evidence.gate import article
from lccu.evidence.lab_base import LabBase, _now
from lccu.evidence.models import Case, CaseShare, Zone
from lccu.evidence.records import CaseInfo


class LabCases(LabBase):
    """Cases and their shares with other zones."""

    # -- cases --------------------------------------------------------------------------------

    def create_case(self, title: str, *, zone: str | None = None, reference: str | None = None,
                    number: str | None = None, question: str | None = None) -> CaseInfo:
        """Open a case in the user's zone (investigators and analysts); its first custody
        event records the opening. ``number`` defaults to the next ``LCCU-<year>-NNNNN``;
        ``question`` is the investigative question asked (the court report states it)."""
        title = title.strip()
        if not title:
            raise InvalidInput("a case needs a title", key="case_title_needed")
        question = _check_question(question)
        zone = zone or self.actor.zone
        if self.actor.role not in CASE_CREATOR_ROLES:
            raise self._deny("case.create", f"{article(self.actor.role)} does not open cases")
        if zone != self.actor.zone:
            raise self._deny("case.create", f"{self.actor.username} belongs to "
                                            f"{self.actor.zone}, not {zone}")
        self._unlock_own_key("case.create")  # its opening event is signed
        with self.db.session() as session:
            zone_row = session.scalar(select(Zone).where(Zone.name == zone))
            if zone_row is None:
                raise NotFound(f"no zone {zone!r}", key="zone_not_found", params={"zone": zone})
            if number is None:
                year = datetime.now(UTC).year
                count = session.scalar(select(func.count()).select_from(Case)
                                       .where(Case.number.startswith(f"LCCU-{year}-"))) or 0
                number = f"LCCU-{year}-{count + 1:05d}"
            if session.scalar(select(Case).where(Case.number == number)):
                raise AlreadyExists(f"case number {number!r} is taken", key="case_number_taken",
                                    params={"number": number})
            case = Case(number=number, title=title, zone=zone_row, reference=reference,
                        status="open", created_by=self.actor.user_id, created_at=_now(),
                        head_seq=0, head_hash=GENESIS_HASH, question=question)
            session.add(case)
            session.flush()
            head = self._append(session, case, "note", reason="case opened",
                                details={"event": "case-opened", "number": number,
                                         "title": title, "zone": zone,
                                         "reference": reference,
                                         **({"question": question} if question else {})})
            session.refresh(case)
            info = CaseInfo.of(case)
        self._anchor(head)
        self._allow("case.create", case=case, object_type="case", object_id=info.id,
                    detail={"number": number, "zone": zone})
        return info

    def set_question(self, case_ref: str, question: str) -> CaseInfo:
        """Record the investigative question asked of the unit (as worded by the
        magistrate or the requesting investigator). A custody ``note`` event keeps each
        wording, so a changed question shows in the chain; the owning zone or a zone
        granted ``contribute`` sets it while the case is open. Audited as
        ``case.question``."""
        checked = _check_question(question)
        if checked is None:
            raise InvalidInput("the question is empty")
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "case.question", write=True,
                                  open_case=True)
            earlier = case.question
            case.question = checked
            head = self._append(session, case, "note", reason="investigative question set",
                                details={"event": "question-set", "question": checked,
                                         "previous": earlier})
            session.flush()
            info = CaseInfo.of(case)
        self._anchor(head)
        return info

    def get_case(self, ref: str, *, justification: str | None = None) -> CaseInfo:
        """A case by id, number or unique id prefix, if the user's zone may see it;
        ``justification`` is logged with the read (the web asks for it on other zones'
        cases)."""
        with self.db.session() as session:
            return CaseInfo.of(self._case_for(session, ref, "case.read",
                                              justification=justification))

    def list_cases(self) -> list[CaseInfo]:
        """Cases of the user's zone and cases shared with it now."""
        infos, _total = self.cases_page()
        return infos

    def cases_page(self, page: int = 1, per_page: int | None = None
                   ) -> tuple[list[CaseInfo], int]:
        """One page (oldest first) of the cases the user's zone owns or is granted now,
        and how many there are in all; all of them when ``per_page`` is None. The
        visibility rule is the gate's; audited as ``case.list``."""
        self.gate.may_list("case.list")
        with self.db.session() as session:
            visible = Case.id.in_(self.gate.visible_case_ids())
            total = session.scalar(select(func.count()).select_from(Case).where(visible)) or 0
            query = (select(Case).where(visible)
                     .options(joinedload(Case.zone),
                              selectinload(Case.shares).joinedload(CaseShare.zone))
                     .order_by(Case.created_at, Case.id))
            if per_page is not None:
                query = query.limit(per_page).offset((page - 1) * per_page)
            infos = [CaseInfo.of(c) for c in session.scalars(query)]
        detail: dict[str, object] = {"count": total, "cases": [c.id for c in infos][:200]}
        if per_page is not None:
            detail["page"] = page
        self._allow("case.list", detail=detail)
        return infos, int(total)

    def owns_case(self, ref: str) -> bool:
        """Whether ``ref`` names a case of the user's own zone (not audited; unknown and
        foreign references both give False)."""
        with self.db.session() as session:
            return self.gate.owns(session, ref)

    def case_abilities(self, case: CaseInfo) -> dict[str, bool]:
        """What the user's forms on ``case`` may offer (``owner``, ``can_record``,
        ``can_close``); every action is still decided and audited when it is done."""
        return self.gate.abilities(case)

    def share_case(self, ref: str, zone: str, *, purpose: str | None = None,
                   permission: str = "contribute", valid_until: datetime | None = None) -> CaseInfo:
        """Grant ``zone`` access to a case (owning zone only) with a ``purpose``, ``read``
        or ``contribute`` permission, until ``valid_until``; a custody event records it."""
        if permission not in ("read", "contribute"):
            raise InvalidInput("permission must be 'read' or 'contribute'",
                               key="share_permission")
        with self.db.session() as session:
            case = self._case_for(session, ref, "case.share", write=True, owner=True)
            target = session.scalar(select(Zone).where(Zone.name == zone))
            if target is None:
                raise NotFound(f"no zone {zone!r}", key="zone_not_found", params={"zone": zone})
            if target.id == case.zone_id:
                raise InvalidInput(f"case {case.number} already belongs to {zone}",
                                   key="share_own_zone", params={"case": case.number, "zone": zone})
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
        """End ``zone``'s access to a case (owning zone only); a custody event records it."""
        with self.db.session() as session:
            case = self._case_for(session, ref, "case.unshare", write=True, owner=True)
            now = _now()
            revoked = 0
            for share in case.shares:
                if share.zone.name == zone and share.revoked_at is None:
                    share.revoked_at = now
                    revoked += 1
            if not revoked:
                raise NotFound(f"case {case.number} is not shared with {zone!r}",
                               key="not_shared", params={"case": case.number, "zone": zone})
            head = self._append(session, case, "note", reason=reason or "share revoked",
                                details={"event": "case-unshared", "zone": zone})
            session.refresh(case)
            info = CaseInfo.of(case)
        self._anchor(head)
        return info

    def close_case(self, ref: str, *, reason: str) -> CaseInfo:
        """Close a case (owning zone only): a custody event with ``reason``; nothing is
        added to it afterwards."""
        with self.db.session() as session:
            case = self._case_for(session, ref, "case.close", write=True, owner=True)
            if case.status == "closed":
                raise InvalidInput(f"case {case.number} is already closed",
                                   key="case_not_open", params={"case": case.number})
            case.status, case.closed_at = "closed", _now()
            head = self._append(session, case, "note", reason=reason,
                                details={"event": "case-closed"})
            session.refresh(case)
            info = CaseInfo.of(case)
        self._anchor(head)
        return info


def _check_question(question: str | None) -> str | None:
    """A question is plain text of at most 4,000 characters; NUL is refused."""
    if question is None:
        return None
    if "\x00" in question:
        raise InvalidInput("the question holds a NUL character")
    question = question.strip()
    if len(question) > 4000:
        raise InvalidInput(f"the question is {len(question)} characters; at most 4000")
    return question or None
