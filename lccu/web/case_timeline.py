"""A case's timeline in the browser (issue #17): the timelines processing stored for every
item of the case merged, each row naming its exhibit and linking to the file's page; a
histogram of the selected events over time (counted on the server, drawn as SVG bars, each
a link narrowing the dates to its bucket); filters by MACB kind, days, path, file type,
deleted, notable (tagged, or in a notable hash set) and known (in a known hash set).

One call, :meth:`lccu.evidence.lab.Lab.case_timelines`, decides access on the case and
audits it once; the stored files are then read with the case's item ids only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from lccu.storage import open_store
from lccu.timeline.caseview import Filters, case_page
from lccu.timeline.stored import case_sources
from lccu.web.auth import Principal
from lccu.web.deps import page_user, web
from lccu.web.links import file_url
from lccu.web.state import WebState

pages = APIRouter(include_in_schema=False)
State = Annotated[WebState, Depends(web)]
PageUser = Annotated[Principal, Depends(page_user)]
PAGE_SIZE = 100
#: deepest row a page may reach: beyond it, narrow the filters (bounded memory)
MAX_DEPTH = 50_000
_DATE = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"
#: the histogram's drawing box: bars share WIDTH, the tallest is HEIGHT
WIDTH, HEIGHT = 800, 120


def bars(view: Any, link: dict[str, str]) -> list[dict[str, Any]]:
    """The histogram's bars as SVG rectangles (x, y, width, height) with their link."""
    drawn = []
    count = len(view.bars) or 1
    step = WIDTH / count
    peak = view.peak or 1
    for n, bar in enumerate(view.bars):
        height = round(HEIGHT * bar.count / peak, 2) if bar.count else 0
        drawn.append({"x": round(n * step, 2), "width": max(round(step * 0.85, 2), 0.5),
                      "y": round(HEIGHT - height, 2), "height": height, "label": bar.label,
                      "count": bar.count,
                      "query": {**link, "from": bar.start, "to": bar.end}})
    return drawn


def case_timeline_view(state: WebState, user: Principal, case_ref: str, filters: Filters,
                       page: int) -> dict[str, Any]:
    """One page of the case's merged timeline and the selection's histogram and types."""
    lab = state.lab(user)
    found = lab.case_timelines(case_ref)
    first = (page - 1) * PAGE_SIZE
    depth = min(first + PAGE_SIZE, MAX_DEPTH)
    store = open_store(state.settings)
    try:
        sources = case_sources(found, store.open_derived)
        selected = case_page(sources, filters, first, depth)
    finally:
        store.close()
    for row in selected.rows:
        row["file_url"] = file_url(row["evidence_id"], row["volume"], row["path"],
                                   row.get("inode"), row["run"])
    return {"case_id": found.case_id, "case_number": found.case_number,
            "items": [{"exhibit": s.exhibit, "evidence_id": s.evidence_id, "zone": s.zone,
                       "run": s.run_id} for s in sources],
            "missing": found.missing, "page_data": selected, "rows": selected.rows,
            "total": selected.total, "page": page,
            "pages": max(1, -(-selected.total // PAGE_SIZE)),
            "too_deep": first + PAGE_SIZE > MAX_DEPTH}


@pages.get("/cases/{case_ref}/timeline", response_class=HTMLResponse)
def case_timeline_page(
    request: Request,
    case_ref: str,
    user: PageUser,
    state: State,
    kind: Annotated[str, Query(max_length=4)] = "",
    date_from: Annotated[str, Query(alias="from", pattern=_DATE)] = "",
    date_to: Annotated[str, Query(alias="to", pattern=_DATE)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    file_type: Annotated[str, Query(alias="type", max_length=100)] = "",
    deleted: Annotated[str, Query(pattern="^(yes|no)?$")] = "",
    mark: Annotated[str, Query(pattern="^(notable|known)?$")] = "",
    page: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 1,
) -> HTMLResponse:
    from lccu.web.pages import render

    filters = Filters(kind, date_from, date_to, q, file_type, deleted, mark).clean()
    view = case_timeline_view(state, user, case_ref.strip()[:100], filters, page)
    query = {k: v for k, v in (("kind", filters.kinds), ("from", date_from), ("to", date_to),
                               ("q", q.strip()), ("type", file_type.strip()),
                               ("deleted", deleted), ("mark", mark)) if v}
    histogram = view["page_data"].histogram
    link = {k: v for k, v in query.items() if k not in ("from", "to")}
    context = {**view, "query": query, "histogram": histogram,
               "bars": bars(histogram, link), "svg": {"width": WIDTH, "height": HEIGHT},
               "filters": {"kind": filters.kinds, "from": date_from, "to": date_to,
                           "q": q.strip(), "type": file_type.strip(), "deleted": deleted,
                           "mark": mark},
               "types": view["page_data"].types,
               "local_unknown": view["page_data"].local_unknown}
    return render(request, "case_timeline.html", context, user=user)
