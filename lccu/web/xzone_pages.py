"""Cross-zone hit/no-hit pages (issue 18), for people rather than scripts: an investigator
asks "has another zone seen these files?" for the notable and marked files of an item of
her zone and sees, per file, hit or no-hit and the zones' names only; she may request a
disclosure from a zone that hit; the holding zone's investigators see the requests and
grant (case number and contact) or refuse them.

The same :class:`~lccu.evidence.lab.Lab` calls as :mod:`lccu.web.xzone_api`: the library
decides, audits for both zones and bounds the questions a day. Opening the item's page is
asking (audited, counted), as the REST GET is; the link to it says so.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lccu.web.auth import Principal
from lccu.web.csrf import check_csrf
from lccu.web.deps import page_user, web
from lccu.web.state import WebState

pages = APIRouter(include_in_schema=False)
User = Annotated[Principal, Depends(page_user)]
State = Annotated[WebState, Depends(web)]
Csrf = Annotated[str, Form(max_length=200)]
Sha256 = Annotated[str, Form(min_length=64, max_length=64, pattern="^[0-9a-fA-F]{64}$")]


@pages.get("/evidence/{item_id}/xzone", response_class=HTMLResponse)
def hits_page(request: Request, item_id: str, user: User, state: State) -> HTMLResponse:
    """Hit or no-hit for every notable or marked file of the item, hits first, with a
    disclosure request form per zone that hit."""
    from lccu.web.pages import render

    lab = state.lab(user)
    ref = item_id.strip()[:100]
    hits = lab.xzone_hits(ref)  # decided and audited (for both zones); a refusal stops here
    evidence = lab.get_evidence(ref)
    paths = {m.sha256: m.path for m in lab.notable_marks(ref)}
    return render(
        request, "xzone_hits.html", {"evidence": evidence, "hits": hits, "paths": paths}, user=user
    )


@pages.post("/evidence/{item_id}/xzone/request")
def request_from_page(
    item_id: str,
    user: User,
    state: State,
    sha256: Sha256,
    zone: Annotated[str, Form(min_length=1, max_length=100)],
    purpose: Annotated[str, Form(min_length=1, max_length=2000)],
    csrf: Csrf = "",
) -> Response:
    """Ask ``zone`` (which hit) for its case number and a contact, for ``purpose``."""
    check_csrf(user, csrf)
    lab = state.lab(user)
    case_id = lab.get_evidence(item_id.strip()[:100]).case_id
    made = lab.xzone_request(case_id, sha256, zone=zone, purpose=purpose)
    return RedirectResponse(f"/xzone/requests#request-{quote(made.id)}", status_code=303)


@pages.get("/xzone/requests", response_class=HTMLResponse)
def requests_page(request: Request, user: User, state: State) -> HTMLResponse:
    """The requests the user's zone received (pending ones with grant and refuse forms)
    and sent (with what a grant disclosed)."""
    from lccu.web.pages import render

    views = state.lab(user).xzone_requests()
    zone = user.actor.zone
    return render(
        request,
        "xzone_requests.html",
        {
            "received": [v for v in views if v.to_zone == zone],
            "sent": [v for v in views if v.from_zone == zone],
        },
        user=user,
    )


@pages.post("/xzone/requests/{request_id}/grant")
def grant_from_page(
    request_id: str,
    user: User,
    state: State,
    case: Annotated[str, Form(max_length=100)] = "",
    contact: Annotated[str, Form(max_length=500)] = "",
    csrf: Csrf = "",
) -> Response:
    """Grant a request to the user's zone: the case number and contact are disclosed."""
    check_csrf(user, csrf)
    state.lab(user).xzone_grant(
        request_id.strip()[:100], case=case.strip() or None, contact=contact.strip() or None
    )
    return RedirectResponse("/xzone/requests", status_code=303)


@pages.post("/xzone/requests/{request_id}/refuse")
def refuse_from_page(
    request_id: str,
    user: User,
    state: State,
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Csrf = "",
) -> Response:
    """Refuse a request to the user's zone: the requester learns nothing more."""
    check_csrf(user, csrf)
    state.lab(user).xzone_refuse(request_id.strip()[:100], reason=reason.strip() or None)
    return RedirectResponse("/xzone/requests", status_code=303)
