"""Cross-zone hit/no-hit through the REST API (what ``lccu xzone`` does): every call is a
:class:`~lccu.evidence.lab.Lab` method, checked by the gate and audited for both zones."""

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
    return state.lab(user.actor).xzone_lookup(body.case, body.sha256).as_dict()


@api.get("/evidence/{item_id}/xzone-hits")
def item_hits(item_id: str, user: User, state: State) -> list[dict[str, Any]]:
    """Hit or no-hit for every notable or marked file of the item, hits first."""
    return [h.as_dict() for h in state.lab(user.actor).xzone_hits(item_id[:100])]


@api.post("/xzone/requests", status_code=201)
def request(body: NewRequest, user: User, state: State) -> dict[str, Any]:
    """Ask the zone holding a hit for its case number and a contact."""
    lab = state.lab(user.actor)
    return lab.xzone_request(body.case, body.sha256, zone=body.zone, purpose=body.purpose).as_dict()


@api.get("/xzone/requests")
def requests(user: User, state: State) -> list[dict[str, Any]]:
    """The requests your zone sent and received, newest first."""
    return [v.as_dict() for v in state.lab(user.actor).xzone_requests()]


@api.get("/xzone/requests/{request_id}")
def request_show(request_id: str, user: User, state: State) -> dict[str, Any]:
    """One request your zone sent or received."""
    return state.lab(user.actor).xzone_request_show(request_id[:100]).as_dict()


@api.post("/xzone/requests/{request_id}/grant")
def grant(request_id: str, body: Grant, user: User, state: State) -> dict[str, Any]:
    """Grant a request to your zone: the case number and the contact are disclosed."""
    lab = state.lab(user.actor)
    return lab.xzone_grant(request_id[:100], case=body.case, contact=body.contact).as_dict()


@api.post("/xzone/requests/{request_id}/refuse")
def refuse(request_id: str, body: Refusal, user: User, state: State) -> dict[str, Any]:
    """Refuse a request to your zone: nothing more is disclosed."""
    return state.lab(user.actor).xzone_refuse(request_id[:100], reason=body.reason).as_dict()
