"""Finding cases, items and earlier custody events by reference, without access checks or
audit: the raw lookups under :class:`~lccu.evidence.lab.Lab`'s checked ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lccu.evidence.caselock import lock_case
from lccu.evidence.models import Case, CustodyEvent, EvidenceItem


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
    lock_case(session, case.id)
    item_match = (CustodyEvent.evidence_id.is_(None) if item_id is None
                  else CustodyEvent.evidence_id == item_id)
    return session.execute(
        select(CustodyEvent.seq, CustodyEvent.event_hash).where(
            CustodyEvent.case_id == case.id, CustodyEvent.action == action,
            CustodyEvent.reason == reason, item_match)
        .order_by(CustodyEvent.seq).limit(1)).first()
