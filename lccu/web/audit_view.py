"""The DPO's audit view (issue 20): filters by date range (days in Europe/Brussels), case,
user, zone, operation and verdict (``allowed=false`` as well as ``no``), 100 entries a page,
case and exhibit numbers and users' names instead of ids, details as readable lines, the
whole selection as CSV, and a button that verifies the audit chain.

Everything is a :class:`~lccu.evidence.lab.Lab` call (``audit_page``, ``audit_export``,
``verify_audit``): a data protection officer only, every read audited.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from lccu.errors import InvalidInput
from lccu.evidence.audit_query import AuditFilter, AuditRow, verdict
from lccu.web.auth import Principal
from lccu.web.csrf import check_csrf
from lccu.web.deps import page_user, web
from lccu.web.i18n import operation_label
from lccu.web.state import WebState

pages = APIRouter(include_in_schema=False)
State = Annotated[WebState, Depends(web)]
PageUser = Annotated[Principal, Depends(page_user)]
PAGE_SIZE = 100
BRUSSELS = ZoneInfo("Europe/Brussels")
_DATE = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"
CSV_COLUMNS = ("seq", "at", "username", "full_name", "zone", "role", "operation", "allowed",
               "object_type", "object_id", "object_label", "case_number", "case_id",
               "case_zone", "justification", "detail", "entry_hash")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        raise InvalidInput(f"{text[:20]!r} is not a date (YYYY-MM-DD)", key="not_a_date",
                           params={"text": text[:20]}) from exc


def make_filter(date_from: str = "", date_to: str = "", case: str = "", username: str = "",
                zone: str = "", operation: str = "", allowed: str | bool | None = "",
                ) -> AuditFilter:
    """The filter of a request's query (empty: any)."""
    return AuditFilter(date_from=_day(date_from), date_to=_day(date_to),
                       case=case.strip()[:100] or None, username=username.strip()[:64] or None,
                       zone=zone.strip()[:100] or None, operation=operation.strip()[:50] or None,
                       allowed=verdict(allowed))


def local(at: str) -> str:
    """An entry's time in Europe/Brussels with its offset (``2026-12-06 09:15:02 +01:00``)."""
    moment = datetime.fromisoformat(at).astimezone(BRUSSELS)
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")[:-2] + ":" + moment.strftime("%z")[-2:]


def detail_lines(detail: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(key, value)`` lines of an entry's detail; nested values as compact JSON."""
    if not detail:
        return []
    return [(str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            for k, v in detail.items() if v not in (None, "", [], {})]


def _view(row: AuditRow, lang: str) -> dict[str, Any]:
    """One row as the page shows it: the operation by its name in ``lang`` (the code kept
    beside it for the DPO who filters or reads the CSV by code)."""
    return {**row.as_dict(), "local": local(row.at), "lines": detail_lines(row.detail),
            "operation_label": operation_label(row.operation, lang)}


Day = Annotated[str, Query(alias="from", pattern=_DATE)]
DayTo = Annotated[str, Query(alias="to", pattern=_DATE)]
Text = Annotated[str, Query(max_length=100)]


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: PageUser, state: State, date_from: Day = "",
               date_to: DayTo = "", case: Text = "", username: Text = "", zone: Text = "",
               operation: Text = "", allowed: Annotated[str, Query(max_length=10)] = "",
               page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> HTMLResponse:
    """One page of the audit log for the DPO."""
    filters = {"from": date_from, "to": date_to, "case": case, "username": username,
               "zone": zone, "operation": operation, "allowed": allowed}
    return _render(request, user, state, filters, page, None)


def _render(request: Request, user: Principal, state: WebState, filters: dict[str, str],
            page: int, verified: list[str] | None) -> HTMLResponse:
    from lccu.web.pages import render

    lab = state.lab(user)
    filt = make_filter(filters["from"], filters["to"], filters["case"], filters["username"],
                       filters["zone"], filters["operation"], filters["allowed"])
    total, rows = lab.audit_page(filt, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    query = {k: v for k, v in filters.items() if v}
    return render(request, "audit.html", {
        "rows": [_view(r, request.state.lang) for r in rows], "total": total, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "zones": lab.zones(), "filters": filters,
        "query": query, "verified": verified}, user=user)


@pages.post("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, user: PageUser, state: State,
                 csrf: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    """Verify the audit chain (and its anchors) and show the answer above the first page."""
    check_csrf(user, csrf)
    problems = state.lab(user).verify_audit()
    filters = dict.fromkeys(("from", "to", "case", "username", "zone", "operation",
                             "allowed"), "")
    return _render(request, user, state, filters, 1, problems or ["ok"])


@pages.get("/audit.csv")
def audit_csv(user: PageUser, state: State, date_from: Day = "", date_to: DayTo = "",
              case: Text = "", username: Text = "", zone: Text = "", operation: Text = "",
              allowed: Annotated[str, Query(max_length=10)] = "") -> StreamingResponse:
    """Every matching entry as CSV (UTF-8), newest first, streamed; audited once."""
    filt = make_filter(date_from, date_to, case, username, zone, operation, allowed)
    rows = state.lab(user).audit_export(filt)
    first = next(rows, None)  # the access decision happens here, before the answer starts

    def lines() -> Iterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        pending = [first] if first is not None else []
        for row in _chain(pending, rows):
            values = row.as_dict()
            values["detail"] = json.dumps(row.detail, ensure_ascii=False) if row.detail else ""
            writer.writerow([_cell(values[c]) for c in CSV_COLUMNS])
            if out.tell() > 64 * 1024:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
        yield out.getvalue().encode()

    stamp = datetime.now(BRUSSELS).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})


def _chain(first: list[AuditRow], rest: Iterator[AuditRow]) -> Iterator[AuditRow]:
    yield from first
    yield from rest


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
