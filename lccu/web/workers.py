"""Operators' view of processing: the workers alive, what each runs, the queue per zone
(page and API), and the Prometheus endpoint ``/metrics`` (an operator's API token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from lccu.web.auth import Principal
from lccu.web.deps import api_user, identify, page_user, web
from lccu.web.state import WebState

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1")
State = Annotated[WebState, Depends(web)]


def _operator_view(principal: Principal, state: WebState) -> dict[str, Any]:
    from lccu.tasks.health import overview

    state.lab(principal).check_unit_view("workers.read")  # decided and audited
    return overview(state)


@pages.get("/workers", response_class=HTMLResponse)
def workers_page(request: Request, user: Annotated[Principal, Depends(page_user)],
                 state: State) -> HTMLResponse:
    from lccu.web.pages import render

    return render(request, "workers.html", _operator_view(user, state), user=user)


@api.get("/workers")
def workers_api(user: Annotated[Principal, Depends(api_user)], state: State) -> dict[str, Any]:
    """Workers (alive or lost, with the stages each holds) and the queue per zone and
    priority; operators only."""
    return _operator_view(user, state)


@pages.get("/metrics")
def prometheus(request: Request, state: State) -> Response:
    """Prometheus exposition: this server's counters and the unit's queue, workers and
    intake from the case database. Scrapers authenticate with an operator's API token."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    principal = identify(request)
    if principal is None or principal.via != "token":
        raise HTTPException(401, "metrics need an operator's API token (Authorization: Bearer)",
                            headers={"WWW-Authenticate": "Bearer"})
    # 403 unless an operator (refusals audited; scrapes are too frequent to audit each)
    state.lab(principal).check_unit_view("metrics.read", audit_allowed=False)
    registry = getattr(request.app.state, "metrics", None)
    if registry is None:
        from lccu.tasks.metrics import registry_for

        registry = request.app.state.metrics = registry_for(state)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
