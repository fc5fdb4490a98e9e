"""The DPO's questions to the audit log, answered by the database: filters (date range,
case, user, zone, operation, verdict), newest first, paged, with what an id stands for
(case numbers, exhibit numbers, users' names) so nobody has to look up UUIDs.

The entries are read as stored (what was hashed); the names are looked up beside them and
never change an entry.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from lccu.errors import InvalidInput
from lccu.evidence.canonical import format_time
from lccu.evidence.models import AuditEntry, Case, EvidenceItem, User

BRUSSELS = ZoneInfo("Europe/Brussels")
#: how the verdict filter may be written (``allowed=false`` as well as ``no``)
VERDICTS = {"yes": True, "true": True, "1": True, "allowed": True,
            "no": False, "false": False, "0": False, "denied": False, "refused": False}


def verdict(text: str | bool | None) -> bool | None:
    """``True``/``False`` for the verdict filter, None for any; InvalidInput otherwise."""
    if text is None or isinstance(text, bool):
        return text
    value = text.strip().lower()
    if not value:
        return None
    if value not in VERDICTS:
        raise InvalidInput(f"allowed must be yes/no (or true/false), not {text[:20]!r}",
                           key="verdict_invalid", params={"text": text[:20]})
    return VERDICTS[value]


@dataclass(frozen=True)
class AuditFilter:
    """What the DPO filters on (None: any). Dates are days in Europe/Brussels, inclusive."""

    date_from: date | None = None
    date_to: date | None = None
    case: str | None = None  # case number or id
    username: str | None = None
    zone: str | None = None  # the actor's zone or the case's
    operation: str | None = None  # exact (case.read) or a family (case.)
    allowed: bool | None = None


@dataclass(frozen=True)
class AuditRow:
    """One entry as the DPO reads it."""

    seq: int
    at: str
    username: str
    full_name: str | None
    zone: str | None
    role: str | None
    operation: str
    object_type: str | None
    object_id: str | None
    object_label: str | None  # a case's number, an item's exhibit number, a user's name
    case_id: str | None
    case_number: str | None
    case_zone: str | None
    allowed: bool
    justification: str | None
    detail: dict[str, Any] | None
    entry_hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bound(day: date, end: bool) -> str:
    """The UTC text of a Brussels day's start (or the next day's start, for ``end``)."""
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), BRUSSELS)
    return format_time(moment)


def _query(session: Session, filt: AuditFilter) -> Select[Any]:
    conditions: list[Any] = []
    if filt.date_from is not None:
        conditions.append(AuditEntry.at >= _bound(filt.date_from, False))
    if filt.date_to is not None:
        conditions.append(AuditEntry.at < _bound(filt.date_to, True))
    if filt.date_from and filt.date_to and filt.date_from > filt.date_to:
        raise InvalidInput("the date range ends before it starts", key="date_range_reversed")
    if filt.case:
        ref = filt.case.strip()
        ids = select(Case.id).where(or_(Case.number == ref, Case.id == ref))
        conditions.append(or_(AuditEntry.case_id.in_(ids), and_(
            AuditEntry.object_type == "case", AuditEntry.object_id.in_(ids))))
    if filt.username:
        conditions.append(AuditEntry.username == filt.username.strip())
    if filt.zone:
        conditions.append(or_(AuditEntry.zone == filt.zone, AuditEntry.case_zone == filt.zone))
    if filt.operation:
        op = filt.operation.strip()
        conditions.append(AuditEntry.operation.startswith(op, autoescape=True)
                          if op.endswith(".") else AuditEntry.operation == op)
    if filt.allowed is not None:
        conditions.append(AuditEntry.allowed.is_(filt.allowed))
    query = select(AuditEntry)
    return query.where(and_(*conditions)) if conditions else query


def _labels(session: Session, entries: list[AuditEntry]) -> tuple[dict[str, str], dict[str, str],
                                                                   dict[str, str | None]]:
    """Case numbers, exhibit numbers and users' full names for the ids on one page."""
    case_ids = {e.case_id for e in entries if e.case_id} | {
        e.object_id for e in entries if e.object_type == "case" and e.object_id}
    item_ids = {e.object_id for e in entries if e.object_type == "evidence" and e.object_id}
    names = {e.username for e in entries}
    cases = dict(session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids))).all()
                 ) if case_ids else {}
    items = dict(session.execute(select(EvidenceItem.id, EvidenceItem.exhibit_number)
                                 .where(EvidenceItem.id.in_(item_ids))).all()) if item_ids else {}
    users = dict(session.execute(select(User.username, User.full_name)
                                 .where(User.username.in_(names))).all()) if names else {}
    return cases, items, users


def _detail(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


def audit_page(session: Session, filt: AuditFilter, offset: int, limit: int,
               up_to: int | None = None) -> tuple[int, list[AuditRow]]:
    """The total that match and one page of rows, newest first (``up_to``: only entries
    up to that sequence number, so that an export's pages do not shift as the log grows)."""
    query = _query(session, filt)
    if up_to is not None:
        query = query.where(AuditEntry.seq <= up_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = list(session.scalars(query.order_by(AuditEntry.seq.desc())
                                   .offset(offset).limit(limit)))
    cases, items, users = _labels(session, entries)
    rows = []
    for e in entries:
        label = {"case": cases.get(e.object_id or ""), "evidence": items.get(e.object_id or ""),
                 "user": e.object_id}.get(e.object_type or "")
        case_number = cases.get(e.case_id or "")
        if label and e.object_type == "evidence" and case_number:
            label = f"{case_number}/{label}"
        rows.append(AuditRow(e.seq, e.at, e.username, users.get(e.username), e.zone, e.role,
                             e.operation, e.object_type, e.object_id, label, e.case_id,
                             case_number, e.case_zone, bool(e.allowed), e.justification,
                             _detail(e.detail), e.entry_hash))
    return int(total), rows
