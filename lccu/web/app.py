"""The FastAPI application: ``create_app(settings)`` wires the state, routes and errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from lccu.config import Settings
from lccu.errors import (
    AccessDenied,
    AlreadyExists,
    DeclaredHashMismatch,
    InputTooLarge,
    InvalidInput,
    LccuError,
    NotFound,
    StorageError,
)
from lccu.web import (
    api,
    audit_view,
    case_actions,
    case_files,
    case_timeline,
    files,
    links,
    notable_pages,
    pages,
    reports,
    tags_api,
    timeline,
    workers,
    xzone_api,
    xzone_pages,
)
from lccu.web.config import WebConfig, load_web_config
from lccu.web.csrf import CsrfFailed
from lccu.web.deps import LoginRequired
from lccu.web.headers import LanguageAndHeaders
from lccu.web.i18n import Translator
from lccu.web.messages import user_message
from lccu.web.state import WebState
from lccu.web.thumbs import PreviewsBusy
from lccu.web.uploads import (
    UploadConflict,
    UploadGone,
    UploadsBusy,
    UploadSlotsTaken,
)

_STATUS: list[tuple[type[Exception], int, str]] = [
    (NotFound, 404, "not_found"),
    (AccessDenied, 403, "forbidden"),
    (UploadConflict, 409, "invalid"),
    (InputTooLarge, 413, "invalid"),
    (UploadGone, 410, "invalid"),
    (UploadSlotsTaken, 429, "error"),
    (UploadsBusy, 503, "error"),
    (PreviewsBusy, 503, "error"),
    (DeclaredHashMismatch, 422, "invalid"),
    (InvalidInput, 422, "invalid"),
    (AlreadyExists, 409, "invalid"),
    (StorageError, 503, "error"),
]


#: what a person reads for the HTTP errors the web raises itself or Starlette raises (an
#: unknown address), in the page's language: the 401 and 403 of the API are a session that
#: ended and a missing CSRF token (the only ones raised), the 413 a chunk over the limit
_HTTP_MESSAGES = {
    401: "err_session_ended",
    403: "csrf",
    404: "err_page_not_found",
    413: "err_chunk_too_large",
}


def _status_of(exc: Exception) -> tuple[int, str]:
    for kind, status, key in _STATUS:
        if isinstance(exc, kind):
            return status, key
    return 400, "error"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(settings: Settings, config: WebConfig | None = None) -> FastAPI:
    """The app for one unit; opens (and migrates) its case database once."""
    state = WebState.build(settings, config or load_web_config(settings))
    app = FastAPI(
        title="lccu",
        version="1",
        summary="LCCU case management API",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    app.state.web = state

    app.add_middleware(LanguageAndHeaders)

    @app.exception_handler(LccuError)
    async def lccu_error(request: Request, exc: LccuError) -> Response:
        status, key = _status_of(exc)
        if _wants_json(request):
            # detail: the library's own words (scripts); message: what the web's own pages
            # (the upload page) show a person, in the page's language
            body: dict[str, object] = {
                "detail": str(exc),
                "message": user_message(exc, request.state.lang),
            }
            if isinstance(exc, UploadConflict):
                body["expected_offset"] = exc.expected
            return JSONResponse(body, status_code=status)
        return _error_page(request, status, key, user_message(exc, request.state.lang))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        """A form or body field the route's rules refuse: the page's language names the
        fields (FastAPI's own answer is English JSON, even for a page's form); the API
        keeps FastAPI's ``detail`` and adds ``message`` for the upload page."""
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        message = Translator(request.state.lang)["err_request_invalid"].format(
            fields=", ".join(fields) or "-"
        )
        if _wants_json(request):
            body = {"detail": jsonable_encoder(exc.errors()), "message": message}
            return JSONResponse(body, status_code=422)
        return _error_page(request, 422, "invalid", message)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return _error_page(request, 403, "forbidden", Translator(request.state.lang)["csrf"])

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        # pages meet only the 404 of an unknown address (they log in by redirect)
        page_error = exc.status_code == 404 and not _wants_json(request)
        said = _HTTP_MESSAGES.get(exc.status_code) if _wants_json(request) or page_error else None
        message = Translator(request.state.lang)[said] if said else str(exc.detail)
        if _wants_json(request) or exc.status_code == 405:
            body = {"detail": exc.detail, **({"message": message} if said else {})}
            return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
        return _error_page(request, exc.status_code, "error", message)

    app.include_router(api.router)
    app.include_router(case_actions.api)
    app.include_router(pages.router)
    app.include_router(audit_view.pages)
    app.include_router(case_actions.pages)
    app.include_router(timeline.pages)
    app.include_router(case_timeline.pages)
    app.include_router(links.pages)
    app.include_router(files.pages)  # before reports': its /evidence/{item}/{path} route
    app.include_router(files.api)
    app.include_router(case_files.pages)
    app.include_router(case_files.api)
    app.include_router(notable_pages.pages)  # before reports': /evidence/{item}/xzone
    app.include_router(xzone_pages.pages)
    app.include_router(reports.pages)
    app.include_router(reports.api)
    app.include_router(tags_api.api)
    app.include_router(xzone_api.api)
    app.include_router(workers.pages)
    app.include_router(workers.api)
    return app


def _error_page(request: Request, status: int, key: str, message: str) -> HTMLResponse:
    return pages.render(
        request, "error.html", {"status": status, "heading": key, "message": message}, status
    )
