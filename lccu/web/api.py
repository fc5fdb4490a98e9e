"""REST API under /api/v1: the same operations as the pages, for scripts (bearer tokens)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from lccu.evidence.intake import ItemFacts
from lccu.evidence.terms import ITEM_TYPES
from lccu.web.auth import Principal
from lccu.web.caselist import MAX_PAGE, MAX_PER_PAGE, PER_PAGE, list_cases_page
from lccu.web.deps import api_user, web
from lccu.web.processing import processing_view
from lccu.web.state import WebState
from lccu.web.strictjson import StrictJsonRoute
from lccu.web.uploads import UploadConflict

MAX_CHUNK = 32 * 1024 * 1024

router = APIRouter(prefix="/api/v1", tags=["api"], route_class=StrictJsonRoute)
User = Annotated[Principal, Depends(api_user)]
State = Annotated[WebState, Depends(web)]


class NewCase(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    reference: str | None = Field(default=None, max_length=200)
    question: str | None = Field(default=None, max_length=4000,
                                 description="the investigative question asked")


class UploadFile(BaseModel):
    """One file of a multi-file acquisition (a split raw segment), in order."""

    name: str = Field(min_length=1, max_length=255)
    size: int = Field(gt=0)


class NewUpload(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=0)  # 0: refused by the intake, which says the file is empty
    #: several files of one acquisition sent one after the other (split raw, in order)
    files: list[UploadFile] | None = Field(default=None, max_length=10_000)
    description: str = Field(min_length=1, max_length=1000)
    item_type: str = Field(default="other", pattern="^(" + "|".join(ITEM_TYPES) + ")$")
    seal_number: str | None = Field(default=None, max_length=100)
    md5: str | None = Field(default=None, max_length=64)
    sha1: str | None = Field(default=None, max_length=64)
    sha256: str | None = Field(default=None, max_length=64)


class NewRun(BaseModel):
    priority: str = Field(default="normal", pattern="^(urgent|normal)$")


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    days: int | None = Field(default=None, ge=1, le=365,
                             description="lifetime in days (default: the server's, 90)")


@router.get("/cases")
def list_cases(user: User, state: State, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
               per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = PER_PAGE
               ) -> dict[str, Any]:
    """Visible cases, oldest first, one page: ``{total, page, per_page, pages, cases}``."""
    return list_cases_page(state.lab(user), page, per_page).as_dict()


@router.post("/cases", status_code=201)
def create_case(body: NewCase, user: User, state: State) -> dict[str, Any]:
    return state.lab(user).create_case(body.title, reference=body.reference,
                                             question=body.question).as_dict()


@router.get("/cases/{ref}")
def get_case(ref: str, user: User, state: State,
             justification: Annotated[str | None, Query(max_length=500)] = None
             ) -> dict[str, Any]:
    """A case; consulting another zone's shared case should state a justification."""
    return state.lab(user).get_case(ref[:100], justification=justification).as_dict()


@router.get("/cases/{ref}/evidence")
def list_evidence(ref: str, user: User, state: State) -> list[dict[str, Any]]:
    return [i.as_dict() for i in state.lab(user).list_evidence(ref[:100])]


@router.get("/evidence/{item_id}")
def get_evidence(item_id: str, user: User, state: State) -> dict[str, Any]:
    return state.lab(user).get_evidence(item_id[:100]).as_dict()


@router.get("/evidence/{item_id}/processing")
def processing(item_id: str, user: User, state: State) -> dict[str, Any]:
    """The item's processing runs, newest first, with per-stage state, progress and ETA
    (seconds; null until a running stage has progress)."""
    return processing_view(state.lab(user), item_id[:100])


@router.post("/evidence/{item_id}/processing", status_code=202)
def start_processing(item_id: str, body: NewRun, user: User, state: State) -> dict[str, Any]:
    """Submit a processing run; it runs on the workers, or in the server without Redis.
    Answers at once: follow it with GET on the same path."""
    run_id = state.processor.submit(state.lab(user), item_id[:100], body.priority)
    return {"run": run_id, "evidence": item_id[:100], "priority": body.priority}


@router.get("/cases/{ref}/custody")
def custody_log(ref: str, user: User, state: State) -> list[dict[str, Any]]:
    return state.lab(user).custody_log(ref[:100])


@router.post("/cases/{ref}/custody/verify")
def verify_custody(ref: str, user: User, state: State) -> dict[str, Any]:
    return state.lab(user).verify_custody(ref[:100]).as_dict()


@router.post("/cases/{ref}/custody/export")
def export_custody(ref: str, user: User, state: State,
                   recipient: Annotated[str | None, Query(max_length=200)] = None
                   ) -> FileResponse:
    """The custody log as JSON Lines with the keys to verify it (a disclosure: recorded with
    its recipient)."""
    lab = state.lab(user)
    case = lab.get_case(ref[:100])
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=_scratch(state)))
    target = folder / f"custody-{case.number}.jsonl"
    lab.export_custody(case.id, target, recipient=recipient)
    return FileResponse(target, media_type="application/x-ndjson", filename=target.name,
                        background=BackgroundTask(_remove, folder))


def _scratch(state: WebState) -> Path:
    path = Path(state.settings.home) / "web" / "scratch"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@router.post("/cases/{ref}/uploads", status_code=201)
def start_upload(ref: str, body: NewUpload, user: User, state: State) -> dict[str, Any]:
    """Begin a resumable upload; send chunks with PUT /uploads/{id}?offset=N.

    The bytes stream into the evidence store as they arrive; only ``complete`` after the
    last byte, with matching declared hashes, makes them evidence. ``files`` (name, size)
    sends the segments of a split raw image one after the other as one item: each is
    stored with its own hashes, the item's are the media's (their concatenation)."""
    declared = {"md5": body.md5 or "", "sha1": body.sha1 or "", "sha256": body.sha256 or ""}
    upload = state.uploads.start(
        state.lab(user), user_id=user.actor.user_id or 0, zone=user.actor.zone or "",
        case_id=ref[:100],
        filename=body.filename, size=body.size, declared=declared,
        facts=ItemFacts(description=body.description, item_type=body.item_type,
                        seal_number=body.seal_number or None),
        files=[(f.name, f.size) for f in body.files] if body.files else None)
    return state.uploads.as_dict(upload)


@router.get("/uploads")
def my_uploads(user: User, state: State) -> list[dict[str, Any]]:
    """Your uploads in progress (each holds one of your upload slots): resume or cancel."""
    return [state.uploads.as_dict(u) for u in state.uploads.in_progress(user.actor.user_id or 0)]


@router.get("/uploads/{upload_id}")
def upload_status(upload_id: str, user: User, state: State) -> dict[str, Any]:
    """Where to resume: ``offset`` is the next byte the server expects (410 once ended)."""
    return state.uploads.as_dict(state.uploads.get(upload_id, user.actor.user_id or 0))


@router.put("/uploads/{upload_id}", openapi_extra={"requestBody": {
    "required": True, "content": {"application/octet-stream": {"schema": {
        "type": "string", "format": "binary"}}}}})
async def upload_chunk(upload_id: str, request: Request, user: User, state: State,
                       offset: Annotated[int, Query(ge=0)]) -> dict[str, Any]:
    """Append one chunk at ``offset``; a wrong offset gets 409 with the expected one.

    The chunk is read whole before it is handed on, so a request cut off half-way adds
    nothing; handing on waits (in a worker thread) while the store catches up."""
    upload = state.uploads.get(upload_id, user.actor.user_id or 0)
    limit = min(MAX_CHUNK, upload.size - offset)
    parts: list[bytes] = []
    length = 0
    async for part in request.stream():
        length += len(part)
        if length > limit:
            if offset + length > upload.size:
                raise state.uploads.too_large(upload)
            raise HTTPException(413, f"a chunk may carry at most {MAX_CHUNK} bytes")
        parts.append(part)
    done = await run_in_threadpool(state.uploads.append, upload, offset, parts)
    return {"upload_id": upload.id, "offset": done}


@router.post("/uploads/{upload_id}/complete", status_code=201,
             responses={202: {"description": "completing in the background (wait=false)"}})
def complete_upload(upload_id: str, user: User, state: State,
                    wait: Annotated[bool, Query(description="false: answer 202 at once and "
                                                "take it in in the background; poll .../result"
                                                )] = True) -> Any:
    """Take the complete upload in as evidence: wait for the store to commit (declared
    hashes checked first: a mismatch stores nothing, 422) and record custody. A container
    (E01, VMDK, ...) is read and hashed whole first, which takes long for a large disk:
    with ``wait=false`` the answer is 202 at once and ``GET .../result`` tells the end."""
    upload = state.uploads.get(upload_id, user.actor.user_id or 0)
    if wait:
        return state.uploads.complete(upload).as_dict()
    state.uploads.complete_later(upload)
    return JSONResponse({"upload_id": upload.id, "state": "completing",
                         "result": f"/api/v1/uploads/{upload.id}/result"}, status_code=202)


@router.get("/uploads/{upload_id}/result",
            responses={202: {"description": "still completing"}})
def upload_result(upload_id: str, user: User, state: State) -> Any:
    """How a completion started with ``wait=false`` ended: 200 with the item, 202 while
    it runs, or the error ``complete`` would have answered (422, 403, 503...)."""
    info = state.uploads.result(upload_id, user.actor.user_id or 0)
    if info is None:
        return JSONResponse({"upload_id": upload_id, "state": "completing"}, status_code=202)
    return info.as_dict()


@router.delete("/uploads/{upload_id}", status_code=204)
def cancel_upload(upload_id: str, user: User, state: State) -> Response:
    upload = state.uploads.get(upload_id, user.actor.user_id or 0)
    if upload.completing:
        raise UploadConflict("the upload is being taken in (complete was asked); wait for "
                             "its result", upload.intake.received)
    state.uploads.discard(upload, "was cancelled by its sender; nothing stored")
    return Response(status_code=204)


@router.get("/audit")
def audit(user: User, state: State, zone: str | None = None, username: str | None = None,
          allowed: Annotated[str | None, Query(max_length=10,
                                               description="yes/no or true/false")] = None,
          date_from: Annotated[str, Query(alias="from", max_length=10,
                                          description="first day, YYYY-MM-DD")] = "",
          date_to: Annotated[str, Query(alias="to", max_length=10,
                                        description="last day, YYYY-MM-DD")] = "",
          case: Annotated[str, Query(max_length=100, description="number or id")] = "",
          operation: Annotated[str, Query(max_length=50,
                                          description="case.read, or case. for all")] = "",
          offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
          limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> list[dict[str, Any]]:
    """The audit log, for a data protection officer only; newest first, with case and
    exhibit numbers and users' names beside the ids (days are Europe/Brussels)."""
    from lccu.web.audit_view import make_filter

    filt = make_filter(date_from, date_to, case, username or "", zone or "", operation,
                       allowed)
    _total, rows = state.lab(user).audit_page(filt, offset=offset, limit=limit)
    return [r.as_dict() for r in rows]


@router.get("/tokens")
def list_tokens(user: User, state: State) -> list[dict[str, str | None]]:
    """Your API tokens with their state (active, expired, revoked) and expiry."""
    return state.tokens.list(user.actor)


@router.post("/tokens", status_code=201)
def create_token(body: NewToken, user: User, state: State) -> dict[str, str | None]:
    """A new API token; the secret is shown only in this answer. It ends at ``expires_at``,
    when revoked, and when your password, role or zone changes."""
    token_id, token = state.tokens.create(user.actor, body.name, body.days)
    made = next(t for t in state.tokens.list(user.actor) if t["id"] == token_id)
    return {"id": token_id, "name": body.name.strip(), "token": token,
            "expires_at": made["expires_at"]}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, user: User, state: State) -> Response:
    state.tokens.revoke(user.actor, token_id)
    return Response(status_code=204)
