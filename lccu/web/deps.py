"""Request dependencies: who is asking (cookie or bearer token) and CSRF for cookie users."""

from __future__ import annotations

from fastapi import HTTPException, Request

from lccu.web.auth import Principal, csrf_matches
from lccu.web.state import WebState

SESSION_COOKIE = "lccu_session"
LOGIN_CSRF_COOKIE = "lccu_login_csrf"
LANG_COOKIE = "lccu_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to the login page."""


def web(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def identify(request: Request) -> Principal | None:
    state = web(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return state.tokens.lookup(header[7:].strip())
    return state.sessions.lookup(request.cookies.get(SESSION_COOKIE))


def api_user(request: Request) -> Principal:
    """The API caller; a cookie-authenticated change also needs the X-CSRF-Token header."""
    principal = identify(request)
    if principal is None:
        raise HTTPException(401, "authentication required (session cookie or bearer token)",
                            headers={"WWW-Authenticate": "Bearer"})
    if (principal.via == "session" and request.method not in SAFE_METHODS
            and not csrf_matches(principal, request.headers.get("x-csrf-token"))):
        raise HTTPException(403, "missing or wrong CSRF token (X-CSRF-Token header)")
    return principal


def page_user(request: Request) -> Principal:
    principal = identify(request)
    if principal is None or principal.via != "session":
        raise LoginRequired()
    return principal
