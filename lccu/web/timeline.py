"""An item's timeline in the browser (issue #17): the ``timeline.csv`` the processing run's
``timeline`` stage stored, paged and filtered on the server, and as a CSV download.

Every request goes through :meth:`lccu.evidence.lab.Lab.timeline_result` (access checked
by the gate, audited once). The CSV is streamed from the store on each request and never
held whole: a page keeps only the rows up to its end (chronological order needs them), so
memory grows with the page asked for, not with the size of the timeline. Local times of an
unknown zone (FAT without a source time zone) have no instant: they stay "local, zone
unknown", are ordered and filtered by their wall clock, and are never shown as UTC.
"""

from __future__ import annotations

import csv
import heapq
import json
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from lccu.errors import InvalidInput, NotFound
from lccu.storage import open_store
from lccu.storage.base import check_key
from lccu.web.auth import Principal
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
KINDS = "macb"
_DATE = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"


def _lines(blocks: Iterator[bytes]) -> Iterator[str]:
    """Text lines (with their ending, so quoted names with a newline stay whole for
    :mod:`csv`) from a stream of byte blocks; undecodable bytes kept as surrogates."""
    rest = b""
    for block in blocks:
        rest += block
        *whole, rest = rest.split(b"\n")
        for line in whole:
            yield (line + b"\n").decode("utf-8", errors="surrogateescape")
    if rest:
        yield rest.decode("utf-8", errors="surrogateescape")


def _when(row: dict[str, str]) -> str:
    """What a row is ordered and date-filtered by: the UTC instant, or for a local time of
    unknown zone its wall clock (there is no instant to compare)."""
    return row.get("utc") or row.get("wall_clock") or ""


def _matches(row: dict[str, str], kinds: str, start: str, end: str, text: str) -> bool:
    if kinds and not set(row.get("macb", "")) & set(kinds):
        return False
    day = _when(row)[:10]
    if start and (not day or day < start):
        return False
    if end and (not day or day > end):
        return False
    return not text or text in row.get("path", "").casefold()


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
        raise NotFound("this run's timeline stage stored no timeline") from exc
    return item_id, run_id, result


def timeline_page_view(
    state: WebState,
    user: Principal,
    item_ref: str,
    run: str | None,
    kinds: str,
    start: str,
    end: str,
    text: str,
    page: int,
) -> dict[str, Any]:
    """One page of the filtered timeline, in time order, with the number of matching
    events, from one streamed pass over the stored CSV."""
    item_id, run_id, result = _located(state, user, item_ref, run)
    kinds = "".join(k for k in KINDS if k in kinds.lower())
    needle = text.strip().casefold()
    first = (page - 1) * PAGE_SIZE
    depth = min(first + PAGE_SIZE, MAX_DEPTH)
    total = 0

    def matching() -> Iterator[tuple[str, int, dict[str, str]]]:
        nonlocal total
        reader = csv.DictReader(_lines(_opened(state, f"{item_id}/{result['timeline']}")))
        for number, row in enumerate(reader):
            if _matches(row, kinds, start, end, needle):
                total += 1
                yield _when(row), number, row

    kept = heapq.nsmallest(depth, matching(), key=lambda t: (t[0], t[1]))
    rows = [row for _when_, _n, row in kept[first:depth]]
    for row in rows:
        row["file_url"] = file_url(item_id, row.get("volume", ""), row.get("path", ""),
                                   row.get("inode"), run_id)
    pages_count = max(1, -(-total // PAGE_SIZE))
    return {
        "item_id": item_id,
        "run": run_id,
        "zone": result.get("source_timezone"),
        "events": result.get("events"),
        "rows": rows,
        "total": total,
        "page": page,
        "pages": pages_count,
        "too_deep": first + PAGE_SIZE > MAX_DEPTH,
        "filters": {"kind": kinds, "from": start, "to": end, "q": text.strip()},
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
    page: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 1,
) -> HTMLResponse:
    from lccu.web.pages import render

    view = timeline_page_view(
        state, user, item_id.strip()[:100], run, kind, date_from, date_to, q, page
    )
    query = {
        k: v
        for k, v in (
            ("run", view["run"]),
            ("kind", view["filters"]["kind"]),
            ("from", date_from),
            ("to", date_to),
            ("q", q.strip()),
        )
        if v
    }
    return render(request, "timeline.html", {**view, "query": query}, user=user)


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
