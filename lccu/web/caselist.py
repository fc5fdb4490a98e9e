"""The case list, one page at a time: ``Lab.list_cases`` loads every visible case (and its
shares row by row), which took over 5 s at 10,000 cases; the web shows 100 per page with a
total, in three queries, under the same visibility rule and the same ``case.list`` audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.lab import Lab
from lccu.evidence.models import Case, CaseShare
from lccu.evidence.records import CaseInfo

PER_PAGE = 100
MAX_PER_PAGE = 500
#: page numbers beyond this are refused (API) or clamped (pages): an offset must fit the
#: database's 64-bit integers (schemathesis found a 500 on SQLite with a huge page number)
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class CasePage:
    cases: list[CaseInfo]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "per_page": self.per_page,
                "pages": self.pages, "cases": [c.as_dict() for c in self.cases]}


def list_cases_page(lab: Lab, page: int = 1, per_page: int = PER_PAGE) -> CasePage:
    """Cases of the user's zone and those shared with it now, oldest first, one page."""
    if lab.actor.role == "dpo":
        lab.list_cases()  # refuses and audits the refusal exactly as the library does
    page, per_page = min(max(1, page), MAX_PAGE), min(max(1, per_page), MAX_PER_PAGE)
    now = format_time(utc_now())
    with lab.db.session() as session:
        shared = select(CaseShare.case_id).where(
            CaseShare.zone_id == lab.actor.zone_id, CaseShare.revoked_at.is_(None),
            or_(CaseShare.valid_until.is_(None), CaseShare.valid_until > now))
        visible = or_(Case.zone_id == lab.actor.zone_id, Case.id.in_(shared))
        total = session.scalar(select(func.count()).select_from(Case).where(visible)) or 0
        rows = session.scalars(
            select(Case).where(visible)
            .options(joinedload(Case.zone),
                     selectinload(Case.shares).joinedload(CaseShare.zone))
            .order_by(Case.created_at, Case.id)
            .limit(per_page).offset((page - 1) * per_page))
        cases = [CaseInfo.of(c) for c in rows]
    lab.audit.write(lab.actor, "case.list", allowed=True,
                    detail={"count": total, "page": page, "cases": [c.id for c in cases]})
    return CasePage(cases, total, page, per_page)
