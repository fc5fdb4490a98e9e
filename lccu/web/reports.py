"""An item's processing report in the browser, and the files it links to.

The report page is the HTML ``lccu report EVIDENCE --format html`` writes, read from the
derived area of the store; its relative links (``<stage>/files/...``, ``.../carved/...``)
resolve to the download route beside it, which serves only such paths. Every request
goes through ``Lab.get_evidence`` (access checked, audited). Files exported from evidence
are served only as downloads, never rendered in this origin: a carved HTML or SVG file
must not run script here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from lccu.errors import InvalidInput, NotFound
from lccu.evidence.lab import Lab
from lccu.report.court import MEDIA_TYPES, court_report_bytes, court_report_data, file_name
from lccu.report.html import linkable
from lccu.storage import open_store
from lccu.storage.base import check_key
from lccu.tasks.report import finished_report
from lccu.web.auth import Principal
from lccu.web.deps import api_user, page_user, web
from lccu.web.state import WebState
from lccu.web.strictjson import StrictJsonRoute

pages = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["api"], route_class=StrictJsonRoute)
State = Annotated[WebState, Depends(web)]
PageUser = Annotated[Principal, Depends(page_user)]
ApiUser = Annotated[Principal, Depends(api_user)]
REPORT_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'none'"
)


def _opened(state: WebState, key: str) -> Iterator[bytes]:
    """The derived file's bytes, opened before answering, so that a missing file is a 404
    and not a broken download."""
    store = open_store(state.settings)
    try:
        stream = store.open_derived(key)
    except BaseException:
        store.close()
        raise

    def blocks() -> Iterator[bytes]:
        try:
            with stream:
                while block := stream.read(1024 * 1024):
                    yield block
        finally:
            store.close()

    return blocks()


def report_response(
    state: WebState, lab: Lab, item_id: str, fmt: str, run_id: str | None
) -> StreamingResponse:
    item = lab.get_evidence(item_id)  # access checked and audited
    _run, key = finished_report(lab, item.id, run_id, fmt)
    if fmt == "html":
        return StreamingResponse(
            _opened(state, key),
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": REPORT_CSP},
        )
    return StreamingResponse(
        _opened(state, key),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="report-{item.id}.json"'},
    )


@pages.get("/evidence/{item_id}/report")
def report_page(
    item_id: str,
    user: PageUser,
    state: State,
    run: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    return report_response(state, state.lab(user), item_id[:100], "html", run)


@pages.get("/cases/{case_ref}/court-report")
def court_report(
    case_ref: str,
    user: PageUser,
    state: State,
    format: Annotated[str, Query(pattern="^(pdf|html|docx)$")] = "pdf",
    lang: Annotated[str, Query(pattern="^(nl|en)$")] = "nl",
) -> Response:
    """The case's report for court as a download (what ``lccu report CASE --format pdf``
    writes, or html or docx); every read behind it is the Lab's, checked and audited."""
    data = court_report_data(state.lab(user), case_ref[:100])
    name = file_name(data["case"].number, lang, format)
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Security-Policy": REPORT_CSP,
    }
    return Response(
        court_report_bytes(data, format, lang), media_type=MEDIA_TYPES[format], headers=headers
    )


@pages.get("/evidence/{item_id}/{area}/{path:path}")
def linked_file(
    item_id: str, area: str, path: str, user: PageUser, state: State
) -> StreamingResponse:
    """A file the report links to, as a download (``Content-Disposition: attachment``)."""
    relative = f"{area}/{path}"
    try:
        check_key(relative, derived=True)
    except InvalidInput as exc:
        raise NotFound("no such file", key="no_such", params={"ref": path}) from exc
    if not linkable(relative):
        raise NotFound("no such file")
    key = state.lab(user).linked_file_key(item_id[:100], relative)  # decided, audited
    name = relative.rsplit("/", 1)[-1]
    return StreamingResponse(
        _opened(state, key),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


@api.get(
    "/evidence/{item_id}/report",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
def report_api(
    item_id: str,
    user: ApiUser,
    state: State,
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
    run: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """The report (JSON by default, or the HTML page) of the newest finished run."""
    return report_response(state, state.lab(user), item_id[:100], format, run)
