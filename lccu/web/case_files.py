"""The file browser of a whole case (issue 20): every file of every processed item of the
case in one paged table, with the item table's filters and sorts plus the exhibit, as a
page and as JSON; and the case's picture gallery, the same query narrowed to pictures and
videos.

One request is one call of :meth:`~lccu.evidence.lab.Lab.case_file_page`: the gate
decides on the case and audits it once (``file.list``); a user of a zone that neither
owns the case nor has a valid grant gets 403. Each row links to the file's page under its
own item, where reading it is decided and audited again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from lccu.web.auth import Principal
from lccu.web.deps import api_user, page_user, web
from lccu.web.file_filters import ApiFilters, Sort, TableFilters, link_query
from lccu.web.files import GALLERY_SIZE, MAX_PAGE, PAGE_SIZE, page_filter, table_page
from lccu.web.state import WebState
from lccu.web.strictjson import StrictJsonRoute

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"], route_class=StrictJsonRoute)
State = Annotated[WebState, Depends(web)]
PageUser = Annotated[Principal, Depends(page_user)]
ApiUser = Annotated[Principal, Depends(api_user)]


class CaseTable:
    """What a case's file table and gallery are asked for: the case, the filters and sort,
    the exhibit (any when empty), and the page."""

    def __init__(
        self,
        request: Request,
        ref: str,
        user: PageUser,
        state: State,
        table: Annotated[TableFilters, Depends()],
        exhibit: Annotated[str, Query(max_length=100)] = "",
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    ) -> None:
        self.request, self.ref, self.user, self.state = request, ref, user, state
        self.table, self.exhibit, self.page = table, exhibit, page

    def render(self, *, gallery: bool) -> HTMLResponse:
        table, exhibit, page = self.table, self.exhibit, self.page
        size = GALLERY_SIZE if gallery else PAGE_SIZE
        found = self.state.lab(self.user).case_file_page(
            self.ref.strip()[:100],
            page_filter(table, gallery=gallery),
            exhibit=exhibit.strip() or None,
            sort=table.sort,
            descending=table.desc,
            offset=(page - 1) * size,
            limit=size,
        )
        context = {
            "scope": "case",
            "base_url": f"/cases/{found.case_id}/{'gallery' if gallery else 'files'}",
            "case_id": found.case_id,
            "case_number": found.case_number,
            "exhibits": found.exhibits,
            "unprocessed": found.unprocessed,
            "query": link_query(exhibit=exhibit.strip(), **table.query()),
            "filters": {"exhibit": exhibit.strip(), **table.shown()},
        }
        return table_page(self.request, self.user, found, page, gallery=gallery, context=context)


@pages.get("/cases/{ref}/files", response_class=HTMLResponse)
def case_files_page(view: Annotated[CaseTable, Depends()]) -> HTMLResponse:
    """One page of the case's files, filtered and sorted across its items."""
    return view.render(gallery=False)


@pages.get("/cases/{ref}/gallery", response_class=HTMLResponse)
def case_gallery_page(view: Annotated[CaseTable, Depends()]) -> HTMLResponse:
    """The pictures and videos of every processed item of the case as thumbnails, with the
    case table's filters (one ``case_file_page``: decided and audited once)."""
    return view.render(gallery=True)


@api.get("/cases/{ref}/files")
def case_files_api(
    ref: str,
    user: ApiUser,
    state: State,
    filters: Annotated[ApiFilters, Depends()],
    exhibit: Annotated[str | None, Query(max_length=100)] = None,
    sort: Sort = "path",
    desc: bool = False,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """One page of the case's files (``lab.case_file_page``), each with its exhibit."""
    found = state.lab(user).case_file_page(
        ref.strip()[:100],
        filters.filter,
        exhibit=exhibit,
        sort=sort,
        descending=desc,
        offset=offset,
        limit=limit,
    )
    return {
        "case": found.case_id,
        "case_number": found.case_number,
        "runs": found.runs,
        "unprocessed": found.unprocessed,
        "total": found.total,
        "total_is_lower_bound": found.capped,
        "offset": found.offset,
        "files": [
            {**f.as_dict(), "exhibit": found.exhibits.get(f.evidence_id)} for f in found.files
        ],
    }
