"""Pages for the unit's notable set and hash sets (issue 18), for people rather than
scripts: an investigator marks the file shown as notable (category, reason) from its page
and sees the mark's state there; the unit admin decides the pending marks (approve into a
set, or reject with a reason); the unit admin and operators read the register of hash set
versions.

Every form calls the same :class:`~lccu.evidence.lab.Lab` methods as the REST routes of
:mod:`lccu.web.xzone_api`: the library decides and audits (a refusal once, as refused); this
module only checks the CSRF token and sends the browser back to the page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lccu.evidence.marks import DEFAULT_SET, PROPOSED
from lccu.web.auth import Principal
from lccu.web.csrf import check_csrf
from lccu.web.deps import page_user, web
from lccu.web.state import WebState

pages = APIRouter(include_in_schema=False)
User = Annotated[Principal, Depends(page_user)]
State = Annotated[WebState, Depends(web)]
Csrf = Annotated[str, Form(max_length=200)]


@pages.post("/evidence/{item_id}/files/{file_id:int}/notable")
def mark_from_page(
    item_id: str,
    file_id: int,
    user: User,
    state: State,
    path: Annotated[str, Form(min_length=1, max_length=4096)],
    category: Annotated[str, Form(min_length=1, max_length=60)],
    reason: Annotated[str, Form(min_length=1, max_length=10_000)],
    volume: Annotated[int | None, Form(ge=0, le=1_000_000)] = None,
    csrf: Csrf = "",
) -> Response:
    """Propose the file shown for the unit's notable set (``lab.mark_notable``: decided,
    audited, a custody note), then show its page again at its marks."""
    check_csrf(user, csrf)
    ref = item_id.strip()[:100]
    state.lab(user).mark_notable(ref, path, category=category, reason=reason, volume=volume)
    return RedirectResponse(f"/evidence/{quote(ref)}/files/{file_id}#notable", status_code=303)


@pages.get("/notable", response_class=HTMLResponse)
def marks_page(request: Request, user: User, state: State) -> HTMLResponse:
    """The unit admin's view of every mark (hashes, category, reason, zone, proposer; no
    case, item or path), the pending ones first with their approve and reject forms."""
    from lccu.web.pages import render

    marks = state.lab(user).notable_marks()
    pending = [m for m in marks if m.state == PROPOSED]
    decided = sorted(
        (m for m in marks if m.state != PROPOSED), key=lambda m: m.decided_at or "", reverse=True
    )
    return render(
        request,
        "notable.html",
        {"pending": pending, "decided": decided, "default_set": DEFAULT_SET},
        user=user,
    )


@pages.post("/notable/{mark_id}/approve")
def approve_from_page(
    mark_id: str,
    user: User,
    state: State,
    set_name: Annotated[str, Form(min_length=1, max_length=100)] = DEFAULT_SET,
    csrf: Csrf = "",
) -> Response:
    """Approve a mark: its hashes join ``set_name`` as a new version (unit admin)."""
    check_csrf(user, csrf)
    state.lab(user).approve_mark(mark_id.strip()[:100], set_name=set_name)
    return RedirectResponse("/notable", status_code=303)


@pages.post("/notable/{mark_id}/reject")
def reject_from_page(
    mark_id: str,
    user: User,
    state: State,
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    csrf: Csrf = "",
) -> Response:
    """Reject a mark with the reason (unit admin); it stays listed, as rejected."""
    check_csrf(user, csrf)
    state.lab(user).reject_mark(mark_id.strip()[:100], reason=reason)
    return RedirectResponse("/notable", status_code=303)


@pages.get("/hashsets", response_class=HTMLResponse)
def hashsets_page(request: Request, user: User, state: State) -> HTMLResponse:
    """Every version of every hash set: name, version, kind, rows, who imported it and
    when, and which version new runs use (unit admin and operators)."""
    from lccu.web.pages import render

    return render(request, "hashsets.html", {"sets": state.lab(user).hashset_register()}, user=user)
