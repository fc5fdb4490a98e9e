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
from fastapi.responses import StreamingResponse

from lccu.errors import InvalidInput, NotFound
from lccu.evidence.lab import Lab
from lccu.report.html import linkable
from lccu.storage import open_store
from lccu.storage.base import check_key
from lccu.web.auth import Principal
from lccu.web.deps import api_user, page_user, web
from lccu.web.state import WebState

pages = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["api"])
State = Annotated[WebState, Depends(web)]
PageUser = Annotated[Principal, Depends(page_user)]
ApiUser = Annotated[Principal, Depends(api_user)]
REPORT_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
              "frame-ancestors 'none'; form-action 'none'")


def newest_report(lab: Lab, evidence_ref: str, run_id: str | None = None) -> tuple[str, str]:
    """The evidence id and the stored key of the report of its newest finished run (or of
    ``run_id``); access is checked (and audited) by the library first."""
    from lccu.tasks import run_status, runs_of

    item = lab.get_evidence(evidence_ref)
    runs = [run_id] if run_id else runs_of(lab, item.id)
    for status in (run_status(lab, r) for r in runs):
        if status["state"] == "done" and status["report"]:
            return item.id, str(status["report"])
    raise NotFound(f"no finished processing run for {item.exhibit_number}")


def _stream(state: WebState, key: str) -> Iterator[bytes]:
    store = open_store(state.settings)
    try:
        with store.open_derived(key) as fh:
            while block := fh.read(1024 * 1024):
                yield block
    finally:
        store.close()


def _opened(state: WebState, key: str) -> Iterator[bytes]:
    """Open before answering, so a missing file is a 404 and not a broken download."""
    stream = _stream(state, key)
    first = next(stream, b"")
    return _chain(first, stream)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def report_response(state: WebState, lab: Lab, item_id: str, fmt: str,
                    run_id: str | None) -> StreamingResponse:
    evidence_id, key = newest_report(lab, item_id, run_id)
    if fmt == "html":
        key = key.removesuffix(".json") + ".html"
        return StreamingResponse(_opened(state, key), media_type="text/html; charset=utf-8",
                                 headers={"Content-Security-Policy": REPORT_CSP})
    return StreamingResponse(_opened(state, key), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="report-{evidence_id}.json"'})


@pages.get("/evidence/{item_id}/report")
def report_page(item_id: str, user: PageUser, state: State,
                run: Annotated[str | None, Query(max_length=64)] = None) -> StreamingResponse:
    return report_response(state, state.lab(user.actor), item_id[:100], "html", run)


@pages.get("/evidence/{item_id}/{area}/{path:path}")
def linked_file(item_id: str, area: str, path: str, user: PageUser,
                state: State) -> StreamingResponse:
    """A file the report links to, as a download (``Content-Disposition: attachment``)."""
    relative = f"{area}/{path}"
    try:
        check_key(relative, derived=True)
    except InvalidInput as exc:
        raise NotFound("no such file") from exc
    if not linkable(relative):
        raise NotFound("no such file")
    item = state.lab(user.actor).get_evidence(item_id[:100])
    name = relative.rsplit("/", 1)[-1]
    return StreamingResponse(
        _opened(state, f"{item.id}/{relative}"), media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Content-Security-Policy": "sandbox; default-src 'none'"})


@api.get("/evidence/{item_id}/report", response_model=None,
         responses={200: {"content": {"application/json": {}, "text/html": {}}}})
def report_api(item_id: str, user: ApiUser, state: State,
               format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
               run: Annotated[str | None, Query(max_length=64)] = None) -> Any:
    """The report (JSON by default, or the HTML page) of the newest finished run."""
    return report_response(state, state.lab(user.actor), item_id[:100], format, run)
