"""Tags and notes on files through the REST API (what ``lccu tag`` does): every call is a
:class:`~lccu.evidence.lab.Lab` method, checked by the gate and audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from lccu.web.auth import Principal
from lccu.web.deps import api_user, web
from lccu.web.state import WebState
from lccu.web.strictjson import StrictJsonRoute

api = APIRouter(prefix="/api/v1", tags=["api"], route_class=StrictJsonRoute)
User = Annotated[Principal, Depends(api_user)]
State = Annotated[WebState, Depends(web)]


class NewTag(BaseModel):
    file: str = Field(
        min_length=1,
        max_length=4096,
        description="the file's path (/dir/file.txt), inode or SHA-256",
    )
    label: str = Field(min_length=1, max_length=60)
    note: str | None = Field(default=None, max_length=10_000)
    volume: int | None = Field(default=None, ge=0, le=1_000_000)


class NewLabel(BaseModel):
    label: str = Field(min_length=1, max_length=60)


@api.get("/cases/{ref}/tag-labels")
def case_tag_labels(ref: str, user: User, state: State) -> dict[str, list[str]]:
    """The labels a tag in the case takes (the unit's and the case's; none: any label)."""
    return {"labels": state.lab(user).tag_labels(ref[:100])}


@api.post("/cases/{ref}/tag-labels", status_code=201)
def define_case_label(ref: str, body: NewLabel, user: User, state: State) -> dict[str, list[str]]:
    """Define a tag label for the case; returns the labels then in force."""
    return {"labels": state.lab(user).define_label(body.label, case=ref[:100])}


@api.post("/tag-labels", status_code=201)
def define_unit_label(body: NewLabel, user: User, state: State) -> dict[str, list[str]]:
    """Define a tag label for every case of the unit (the unit admin)."""
    return {"labels": state.lab(user).define_label(body.label)}


@api.get("/cases/{ref}/tags")
def case_tags(
    ref: str,
    user: User,
    state: State,
    all: Annotated[bool, Query(description="also removed tags")] = False,
) -> list[dict[str, Any]]:
    """The tags of a case, oldest first."""
    lab = state.lab(user)
    return [t.as_dict() for t in lab.tags(ref[:100], include_removed=all)]


@api.get("/evidence/{item_id}/tags")
def item_tags(
    item_id: str,
    user: User,
    state: State,
    all: Annotated[bool, Query(description="also removed tags")] = False,
) -> list[dict[str, Any]]:
    """The tags of one evidence item, oldest first."""
    lab = state.lab(user)
    return [t.as_dict() for t in lab.tags(item_id[:100], include_removed=all)]


@api.post("/evidence/{item_id}/tags", status_code=201)
def add_tag(item_id: str, body: NewTag, user: User, state: State) -> dict[str, Any]:
    """Tag a file of the item's newest finished processing report."""
    lab = state.lab(user)
    return lab.tag_file(
        item_id[:100], body.file, label=body.label, note=body.note, volume=body.volume
    ).as_dict()


@api.delete("/tags/{tag_id}")
def remove_tag(
    tag_id: str,
    user: User,
    state: State,
    reason: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    """Remove a tag (kept as removed, with who, when and why)."""
    return state.lab(user).untag(tag_id[:100], reason=reason).as_dict()
