"""Language choice and security headers for every answer, as plain ASGI middleware.

Not ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware wraps each body message of a
request in a task group, which cost more CPU than hashing when a multi-gigabyte upload
passes through it."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lccu.web.deps import LANG_COOKIE
from lccu.web.i18n import LANGUAGES, pick

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # case data, tokens
}
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'")


def _language_cookie(lang: str) -> str:
    carrier = Response()
    carrier.set_cookie(LANG_COOKIE, lang, samesite="strict", httponly=True,
                       max_age=365 * 86400)
    return carrier.headers["set-cookie"]


class LanguageAndHeaders:
    """Sets ``request.state.lang`` (``?lang=`` remembered in a cookie, else the cookie, else
    Dutch) and adds the security headers and the content security policy to answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        asked = connection.query_params.get("lang")
        scope.setdefault("state", {})["lang"] = pick(asked or connection.cookies.get(LANG_COOKIE))
        with_csp = not scope["path"].startswith("/api/docs")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if asked in LANGUAGES:
                    headers.append("set-cookie", _language_cookie(str(asked)))
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if with_csp:
                    headers.setdefault("Content-Security-Policy", CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)
