"""The case list, one page at a time: ``Lab.list_cases`` loads every visible case (and its
shares row by row), which took over 5 s at 10,000 cases; the web shows 100 per page with a
total, in three queries, under the same visibility rule and the same ``case.list`` audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lccu.evidence.lab import Lab
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
    """Cases of the user's zone and those shared with it now, oldest first, one page
    (visibility decided and audited by the library's gate)."""
    page, per_page = min(max(1, page), MAX_PAGE), min(max(1, per_page), MAX_PER_PAGE)
    cases, total = lab.cases_page(page, per_page)
    return CasePage(cases, total, page, per_page)
