"""An item's timeline in the browser (issue #17): the ``timeline.csv`` the processing run's
``timeline`` stage stored, paged and filtered on the server (MACB kind, days, path, file
type, deleted, notable/known) with a histogram of the selection per day (month or year
for long spans), the same code as the case's page; and as a CSV download.

Every request goes through :meth:`lccu.evidence.lab.Lab.item_timeline` (the page) or
:meth:`~lccu.evidence.lab.Lab.timeline_result` (the download): access checked by the gate,
audited once. The CSV is streamed from the store on each request and never
held whole: a page keeps only the rows up to its end (chronological order needs them), so
memory grows with the page asked for, not with the size of the timeline. Local times of an
unknown zone (FAT without a source time zone) have no instant: they stay "local, zone
unknown", are ordered and filtered by their wall clock, and are never shown as UTC.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from lccu.errors import InvalidInput, NotFound
from lccu.storage import open_store
from lccu.storage.base import check_key
from lccu.timeline.caseview import Filters, case_page
from lccu.timeline.stored import case_sources, stage_result
from lccu.web.auth import Principal
from lccu.web.case_timeline import HEIGHT, WIDTH, bars
from lccu.web.deps import page_user, web
from lccu.web.links import file_url
from lccu.web.reports import _opened
from lccu.web.state import WebState

pages = APIRouter(include_in_schema=False)
State = Annotated[WebState, Depends(web)]
PageUser = Annotated[Principal, Depends(page_user)]
PAGE_SIZE = 100
#: deepest row a page may reach: beyond it, narrow the filters (bounded memory)
MAX_DEPTH = 50_000
_DATE = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"


def _located(
    state: WebState, user: Principal, item_ref: str, run: str | None
) -> tuple[str, str, dict[str, Any]]:
    """The item id, run id and timeline stage result (checked and audited by the Lab)."""
    item_id, run_id, result_key = state.lab(user).timeline_result(item_ref, run)
    store = open_store(state.settings)
    try:
        with store.open_derived(result_key) as fh:
            result = json.loads(fh.read(1024 * 1024))
    finally:
        store.close()
    try:
        check_key(f"{item_id}/{result['timeline']}", derived=True)
    except (InvalidInput, KeyError, TypeError) as exc:
        raise NotFound("this run's timeline stage stored no timeline", key="no_timeline") from exc
    return item_id, run_id, result


def timeline_page_view(
    state: WebState,
    user: Principal,
    item_ref: str,
    run: str | None,
    filters: Filters,
    page: int,
) -> dict[str, Any]:
    """One page of the item's filtered timeline in time order, the number of matching events,
    their histogram and file types: the case page's code (:func:`case_page`) over the one
    item, from one streamed pass over the stored CSV."""
    found = state.lab(user).item_timeline(item_ref, run)
    item = found.items[0]
    first = (page - 1) * PAGE_SIZE
    depth = min(first + PAGE_SIZE, MAX_DEPTH)
    store = open_store(state.settings)
    try:
        result = stage_result(store.open_derived, item.result_key)
        check_key(f"{item.evidence_id}/{result['timeline']}", derived=True)
        sources = case_sources(found, store.open_derived)
        selected = case_page(sources, filters, first, depth)
    except InvalidInput as exc:
        raise NotFound("this run's timeline stage stored no timeline", key="no_timeline") from exc
    finally:
        store.close()
    for row in selected.rows:
        row["file_url"] = file_url(
            item.evidence_id,
            row.get("volume", ""),
            row.get("path", ""),
            row.get("inode"),
            item.run_id,
        )
    return {
        "item_id": item.evidence_id,
        "run": item.run_id,
        "zone": result.get("source_timezone"),
        "events": result.get("events"),
        "rows": selected.rows,
        "total": selected.total,
        "page": page,
        "pages": max(1, -(-selected.total // PAGE_SIZE)),
        "too_deep": first + PAGE_SIZE > MAX_DEPTH,
        "page_data": selected,
    }


@pages.get("/evidence/{item_id}/timeline", response_class=HTMLResponse)
def timeline_page(
    request: Request,
    item_id: str,
    user: PageUser,
    state: State,
    run: Annotated[str | None, Query(max_length=64)] = None,
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
    view = timeline_page_view(state, user, item_id.strip()[:100], run, filters, page)
    query = {
        k: v
        for k, v in (
            ("run", view["run"]),
            ("kind", filters.kinds),
            ("from", date_from),
            ("to", date_to),
            ("q", q.strip()),
            ("type", file_type.strip()),
            ("deleted", deleted),
            ("mark", mark),
        )
        if v
    }
    histogram = view["page_data"].histogram
    link = {k: v for k, v in query.items() if k not in ("from", "to")}
    context = {
        **view,
        "query": query,
        "histogram": histogram,
        "bars": bars(histogram, link),
        "svg": {"width": WIDTH, "height": HEIGHT},
        "filters": {
            "kind": filters.kinds,
            "from": date_from,
            "to": date_to,
            "q": q.strip(),
            "type": file_type.strip(),
            "deleted": deleted,
            "mark": mark,
        },
        "types": view["page_data"].types,
        "local_unknown": view["page_data"].local_unknown,
    }
    return render(request, "timeline.html", context, user=user)


@pages.get("/evidence/{item_id}/timeline.csv")
def timeline_csv(
    item_id: str,
    user: PageUser,
    state: State,
    run: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """The whole stored timeline as a download, streamed (audited by the Lab)."""
    found, run_id, result = _located(state, user, item_id.strip()[:100], run)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"timeline-{found}-{run_id[:8]}.csv")
    return StreamingResponse(
        _opened(state, f"{found}/{result['timeline']}"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )
