"""Server-rendered pages (Jinja2, plain forms); every action goes through the Lab."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lccu.evidence.access import AuditLog
from lccu.evidence.chain import VerifyResult
from lccu.web.auth import Principal, actor_by_name, check_password
from lccu.web.case_actions import actions_view, clear_flash
from lccu.web.caselist import list_cases_page
from lccu.web.csrf import check_csrf
from lccu.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    client_ip,
    page_user,
    web,
)
from lccu.web.i18n import Translator
from lccu.web.processing import processing_view
from lccu.web.state import WebState

router = APIRouter(include_in_schema=False)
User = Annotated[Principal, Depends(page_user)]
State = Annotated[WebState, Depends(web)]


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    user: Principal | None = None,
) -> HTMLResponse:
    state = web(request)
    lang = request.state.lang
    ctx = {
        "t": Translator(lang),
        "lang": lang,
        "user": user,
        "csrf": user.csrf_token if user else None,
        **context,
    }
    return state.templates.TemplateResponse(request, name, ctx, status_code=status)


_LOCAL_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9/_.~%?=&-]*\Z")


def _safe_next(target: str | None) -> str:
    """Only a plain local path: no scheme, host, backslash or whitespace (open redirects)."""
    return target if target and _LOCAL_PATH.match(target) else "/cases"


# -- login -----------------------------------------------------------------------------------


def _login_page(
    request: Request, error: str | None = None, status: int = 200, next_url: str = "/cases"
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(
        request, "login.html", {"login_csrf": token, "error": error, "next": next_url}, status
    )
    config = web(request).config
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=config.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/cases",
) -> Response:
    """Check the password (rate-limited per user and address) and start a fresh session."""
    t = Translator(request.state.lang)
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf or not secrets.compare_digest(csrf, cookie_token):
        return _login_page(request, t["csrf"], 403, _safe_next(next))
    ip = client_ip(request)
    audit = AuditLog(state.db)
    named = actor_by_name(state.db, username)
    if not state.limiter.admit(username, ip):
        audit.write(named, "login", allowed=False, detail={"why": "rate limited", "ip": ip})
        return _login_page(request, t["login_blocked"], 429, _safe_next(next))
    actor = check_password(state.db, username, password)
    if actor is None:
        audit.write(named, "login", allowed=False, detail={"why": "wrong credentials", "ip": ip})
        return _login_page(request, t["login_failed"], 401, _safe_next(next))
    state.limiter.succeeded(username, ip)
    cookie = state.sessions.create(actor, ip, replaces=request.cookies.get(SESSION_COOKIE))
    # the key unlocks here when its passphrase is the web password; else the unlock form
    unlocked = state.unlock(state.sessions.hash_of(cookie), actor.username, password)
    audit.write(
        actor, "login", allowed=True, detail={"ip": ip, "via": "web", "key_unlocked": unlocked}
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=state.config.secure_cookies,
        path="/",
        max_age=state.config.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request, user: User, state: State, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    check_csrf(user, csrf)
    state.sessions.revoke(request.cookies.get(SESSION_COOKIE))
    state.lock(user.session_hash)  # the session's unlocked key goes with it
    AuditLog(state.db).write(user.actor, "logout", allowed=True)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- the signing key, unlocked for one browser session ---------------------------------------


@router.get("/key", response_class=HTMLResponse)
def key_page(request: Request, user: User, state: State, next: str | None = None) -> Response:
    """Whether this session holds the user's signing key, and the form that unlocks it."""
    return render(
        request,
        "key.html",
        {"unlocked": state.key_unlocked(user), "error": None, "next": _safe_next(next)},
        user=user,
    )


@router.post("/key/unlock")
def unlock_key(
    request: Request,
    user: User,
    state: State,
    passphrase: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/cases",
) -> Response:
    """Unlock the user's signing key for this browser session with the key's own passphrase
    (for a key whose passphrase is not the web password); rate-limited as the login is,
    audited as ``key.unlock`` either way. The key is dropped when the session ends."""
    check_csrf(user, csrf)
    t = Translator(request.state.lang)
    ip, me = client_ip(request), user.actor.username
    audit = AuditLog(state.db)
    target = _safe_next(next)

    def refused(why: str, message: str, status: int) -> Response:
        audit.write(
            user.actor,
            "key.unlock",
            allowed=False,
            object_type="user",
            object_id=me,
            detail={"why": why, "ip": ip, "via": "web"},
        )
        return render(
            request,
            "key.html",
            {"unlocked": False, "next": target, "error": t[message]},
            status,
            user=user,
        )

    if not state.limiter.admit(f"key:{me}", ip):
        return refused("rate limited", "login_blocked", 429)
    if not passphrase or not state.unlock(user.session_hash, me, passphrase):
        return refused("the passphrase does not unlock the key", "key_unlock_failed", 401)
    state.limiter.succeeded(f"key:{me}", ip)
    audit.write(
        user.actor,
        "key.unlock",
        allowed=True,
        object_type="user",
        object_id=me,
        detail={"ip": ip, "via": "web"},
    )
    return RedirectResponse(target, status_code=303)


# -- cases -----------------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/cases", status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def cases(request: Request, user: User, state: State, page: int = 1) -> Response:
    """One page of 100 cases (the full list took seconds at 10,000 cases)."""
    if user.actor.role == "dpo":
        return RedirectResponse("/audit", status_code=303)
    if user.actor.role == "admin":  # administers the unit: no case contents, the marks
        return RedirectResponse("/notable", status_code=303)
    listing = list_cases_page(state.lab(user), max(1, min(page, 10**6)))
    return render(request, "cases.html", {"cases": listing.cases, "listing": listing}, user=user)


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_form(request: Request, user: User) -> HTMLResponse:
    return render(request, "case_new.html", {"error": None}, user=user)


@router.post("/cases/new")
def new_case(
    request: Request,
    user: User,
    state: State,
    title: Annotated[str, Form(max_length=300)],
    reference: Annotated[str, Form(max_length=200)] = "",
    question: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(user, csrf)
    info = state.lab(user).create_case(
        title, reference=reference.strip() or None, question=question.strip() or None
    )
    return RedirectResponse(f"/cases/{quote(info.id)}", status_code=303)


def _case_page(
    request: Request,
    user: User,
    state: WebState,
    ref: str,
    justification: str | None,
    verify: VerifyResult | None = None,
) -> Response:
    ref = ref.strip()[:100]
    if not justification and not state.lab(user).owns_case(ref):
        return render(request, "justify.html", {"ref": ref}, user=user)
    lab = state.lab(user)
    info = lab.get_case(ref, justification=justification or None)
    items = lab.list_evidence(info.id)
    custody = lab.countersign_status(info.id)  # the log and its countersignatures, one read
    response = render(
        request,
        "case.html",
        {
            "case": info,
            "items": items,
            "exhibits": {i.id: i.exhibit_number for i in items},
            "events": custody["events"],
            "verify": verify,
            "rows": custody_rows(custody["events"]),
            "held": held_by(custody["events"]),
            "runs": lab.case_runs(info.id),
            "justification": justification or "",
            **actions_view(request, state, user, info, items, custody),
        },
        user=user,
    )
    clear_flash(request, response)
    return response


def custody_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The custody log as the case page lists it: a processing run's events (one
    ``processed`` event per stage and segment, a dozen or more a run) folded into one row
    where its first event stood, to be opened on demand; every other event as it is."""
    rows: list[dict[str, Any]] = []
    runs: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["action"] != "processed":
            rows.append({"kind": "event", "event": event})
            continue
        details = event.get("details") or {}
        run = str(details.get("run") or (event.get("reason") or "").rpartition(" ")[2])
        group = runs.get(run)
        if group is None:
            group = runs[run] = {
                "kind": "run",
                "run": run,
                "events": [],
                "stages": [],
                "evidence_id": event["evidence_id"],
                "actors": [],
            }
            rows.append(group)
        group["events"].append(event)
        stage = details.get("stage")
        if stage and stage not in group["stages"]:
            group["stages"].append(stage)
        if event["actor"] not in group["actors"]:
            group["actors"].append(event["actor"])
    return rows


def held_by(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Each item's current custodian, place and seal as the custody events say (derived by
    the same rules :mod:`lccu.evidence.invariants` checks), by item id."""
    from lccu.evidence.invariants import CustodyState

    return dict(CustodyState.from_events(events).items)


@router.get("/cases/{ref}", response_class=HTMLResponse)
def case_page(
    request: Request, ref: str, user: User, state: State, justification: str | None = None
) -> Response:
    return _case_page(request, user, state, ref, (justification or "").strip()[:500])


@router.post("/cases/{ref}/verify", response_class=HTMLResponse)
def verify(
    request: Request,
    ref: str,
    user: User,
    state: State,
    csrf: Annotated[str, Form(max_length=200)] = "",
    justification: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(user, csrf)
    result = state.lab(user).verify_custody(ref.strip()[:100])
    return _case_page(request, user, state, ref, justification.strip(), result)


@router.post("/cases/{ref}/custody/export")
def export_custody(
    ref: str,
    user: User,
    state: State,
    csrf: Annotated[str, Form(max_length=200)] = "",
    recipient: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The case page's export button: the custody log as JSON Lines with what verifies it
    (the file ``POST /api/v1/cases/CASE/custody/export`` and ``lccu custody export`` write;
    a disclosure, recorded with its recipient; the gate decides and audits)."""
    from lccu.web.api import export_custody as export_file

    check_csrf(user, csrf)
    return export_file(ref, user, state, recipient.strip() or None)


@router.get("/cases/{ref}/upload", response_class=HTMLResponse)
def upload_page(request: Request, ref: str, user: User, state: State) -> HTMLResponse:
    info = state.lab(user).get_case(ref.strip()[:100])
    return render(
        request,
        "upload.html",
        {
            "case": info,
            "max_bytes": state.config.max_upload_bytes,
            "chunk_bytes": state.config.upload_chunk_bytes,
        },
        user=user,
    )


# -- processing ------------------------------------------------------------------------------


@router.get("/evidence/{item_id}/processing", response_class=HTMLResponse)
def processing_page(request: Request, item_id: str, user: User, state: State) -> HTMLResponse:
    """Runs and stage progress; reloads itself every 3 s while a run is unfinished."""
    view = processing_view(state.lab(user), item_id.strip()[:100])
    return render(request, "processing.html", view, user=user)


@router.post("/evidence/{item_id}/processing")
def start_processing(
    request: Request,
    item_id: str,
    user: User,
    state: State,
    priority: Annotated[str, Form(pattern="^(urgent|normal)$")] = "normal",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(user, csrf)
    ref = item_id.strip()[:100]
    state.processor.submit(state.lab(user), ref, priority)
    return RedirectResponse(f"/evidence/{quote(ref)}/processing", status_code=303)


# -- audit (dpo): lccu/web/audit_view.py ----------------------------------------------------

# -- API tokens ------------------------------------------------------------------------------


def _tokens_page(
    request: Request, user: Principal, state: WebState, created: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "tokens.html",
        {
            "tokens": state.tokens.list(user.actor),
            "created": created,
            "token_days": state.tokens.default_days,
        },
        user=user,
    )


@router.get("/tokens", response_class=HTMLResponse)
def tokens(request: Request, user: User, state: State) -> HTMLResponse:
    return _tokens_page(request, user, state)


@router.post("/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    user: User,
    state: State,
    name: Annotated[str, Form(max_length=100)],
    days: Annotated[int | None, Form(ge=1, le=365)] = None,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Shows the new secret once, in the answer to the POST (never in a URL)."""
    check_csrf(user, csrf)
    _, token = state.tokens.create(user.actor, name, days)
    return _tokens_page(request, user, state, created=token)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: str,
    user: User,
    state: State,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(user, csrf)
    state.tokens.revoke(user.actor, token_id)
    return RedirectResponse("/tokens", status_code=303)
