"""Cross-zone hit/no-hit and notable marks through the REST API (what ``lccu xzone`` and
``lccu notable`` do): every call is a :class:`~lccu.evidence.lab.Lab` method, checked by the
gate and audited (cross-zone questions for both zones)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from lccu.web.auth import Principal
from lccu.web.deps import api_user, web
from lccu.web.state import WebState
from lccu.web.strictjson import StrictJsonRoute

api = APIRouter(prefix="/api/v1", tags=["api"], route_class=StrictJsonRoute)
User = Annotated[Principal, Depends(api_user)]
State = Annotated[WebState, Depends(web)]
SHA = Field(min_length=64, max_length=64, pattern="^[0-9a-fA-F]{64}$")


class Lookup(BaseModel):
    case: str = Field(min_length=1, max_length=100)
    sha256: str = SHA


class NewRequest(Lookup):
    zone: str = Field(min_length=1, max_length=100)
    purpose: str = Field(min_length=1, max_length=2000)


class Grant(BaseModel):
    case: str | None = Field(default=None, max_length=100)
    contact: str | None = Field(default=None, max_length=500)


class Refusal(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


@api.post("/xzone/lookup")
def lookup(body: Lookup, user: User, state: State) -> dict[str, Any]:
    """Hit or no-hit for one notable or marked file of a case of your zone."""
    return state.lab(user).xzone_lookup(body.case, body.sha256).as_dict()


@api.get("/evidence/{item_id}/xzone-hits")
def item_hits(item_id: str, user: User, state: State) -> list[dict[str, Any]]:
    """Hit or no-hit for every notable or marked file of the item, hits first."""
    return [h.as_dict() for h in state.lab(user).xzone_hits(item_id[:100])]


@api.post("/xzone/requests", status_code=201)
def request(body: NewRequest, user: User, state: State) -> dict[str, Any]:
    """Ask the zone holding a hit for its case number and a contact."""
    lab = state.lab(user)
    return lab.xzone_request(body.case, body.sha256, zone=body.zone, purpose=body.purpose).as_dict()


@api.get("/xzone/requests")
def requests(user: User, state: State) -> list[dict[str, Any]]:
    """The requests your zone sent and received, newest first."""
    return [v.as_dict() for v in state.lab(user).xzone_requests()]


@api.get("/xzone/requests/{request_id}")
def request_show(request_id: str, user: User, state: State) -> dict[str, Any]:
    """One request your zone sent or received."""
    return state.lab(user).xzone_request_show(request_id[:100]).as_dict()


@api.post("/xzone/requests/{request_id}/grant")
def grant(request_id: str, body: Grant, user: User, state: State) -> dict[str, Any]:
    """Grant a request to your zone: the case number and the contact are disclosed."""
    lab = state.lab(user)
    return lab.xzone_grant(request_id[:100], case=body.case, contact=body.contact).as_dict()


@api.post("/xzone/requests/{request_id}/refuse")
def refuse(request_id: str, body: Refusal, user: User, state: State) -> dict[str, Any]:
    """Refuse a request to your zone: nothing more is disclosed."""
    return state.lab(user).xzone_refuse(request_id[:100], reason=body.reason).as_dict()


class NewMark(BaseModel):
    file: str = Field(min_length=1, max_length=4096,
                      description="the file's path (/dir/file.txt), inode or SHA-256")
    category: str = Field(min_length=1, max_length=60)
    reason: str = Field(min_length=1, max_length=10_000)
    volume: int | None = Field(default=None, ge=0, le=1_000_000)


class Decision(BaseModel):
    set: str = Field(default="unit notable", min_length=1, max_length=100)


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@api.post("/evidence/{item_id}/notable", status_code=201)
def mark(item_id: str, body: NewMark, user: User, state: State) -> dict[str, Any]:
    """Propose a file of the item's newest finished report for the unit's notable set."""
    lab = state.lab(user)
    return lab.mark_notable(item_id[:100], body.file, category=body.category,
                            reason=body.reason, volume=body.volume).as_dict()


@api.get("/evidence/{item_id}/notable")
def item_marks(item_id: str, user: User, state: State) -> list[dict[str, Any]]:
    """The notable marks of one item."""
    return [m.as_dict() for m in state.lab(user).notable_marks(item_id[:100])]


@api.get("/notable")
def unit_marks(user: User, state: State) -> list[dict[str, Any]]:
    """Every notable mark of the unit, without case, item or path (unit admin)."""
    return [m.as_dict() for m in state.lab(user).notable_marks()]


@api.post("/notable/{mark_id}/approve")
def approve(mark_id: str, body: Decision, user: User, state: State) -> dict[str, Any]:
    """Approve a mark: its hashes join the notable set as a new version (unit admin)."""
    return state.lab(user).approve_mark(mark_id[:100], set_name=body.set).as_dict()


@api.post("/notable/{mark_id}/reject")
def reject(mark_id: str, body: Rejection, user: User, state: State) -> dict[str, Any]:
    """Reject a mark, with the reason (unit admin)."""
    return state.lab(user).reject_mark(mark_id[:100], reason=body.reason).as_dict()
