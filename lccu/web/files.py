"""The file browser of a processed item (issue 20): a paged, filtered table of its files,
a page per file (metadata, hashes, tags, hex and text preview), the file as a download,
and a picture gallery with thumbnails made here.

Everything goes through :class:`~lccu.evidence.lab.Lab` (``file_page``, ``file``,
``opened_file``): the gate decides and audits each request once, and a user of another
zone gets 404, as for an item that does not exist (and a file id that is not one of the
item's). File bytes come from the
stored evidence a chunk at a time; they are never rendered in this origin (a download is
``application/octet-stream`` in a sandbox), and a preview shows them escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from lccu.errors import AccessDenied, LccuError
from lccu.evidence.file_index import FileInfo
from lccu.evidence.lab import Lab
from lccu.evidence.lab_case_files import CaseFilePage
from lccu.evidence.lab_files import SORTS, FileFilter, FilePage
from lccu.thumbnail import ThumbnailError, thumbnail_png
from lccu.web.auth import Principal
from lccu.web.csrf import check_csrf
from lccu.web.deps import api_user, page_user, web
from lccu.web.file_filters import ApiFilters, TableFilters
from lccu.web.state import WebState
from lccu.web.strictjson import StrictJsonRoute
from lccu.web.thumbs import PreviewsBusy, large_preview, visual_kind

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"], route_class=StrictJsonRoute)
State = Annotated[WebState, Depends(web)]
PageUser = Annotated[Principal, Depends(page_user)]
ApiUser = Annotated[Principal, Depends(api_user)]
PAGE_SIZE = 100
GALLERY_SIZE = 48
MAX_PAGE = 100_000
PREVIEW_BYTES = 4096
#: the types offered in the table's filter (any MIME prefix also works in the URL)
TYPES = ("image/", "video/", "audio/", "text/", "application/pdf", "application/")


def _pages(total: int, capped: bool, size: int) -> int:
    """How many pages (at least one more when the count stopped short)."""
    return max(1, -(-total // size)) + (1 if capped else 0)


def table_page(
    request: Request,
    user: Principal,
    found: FilePage | CaseFilePage,
    page: int,
    *,
    gallery: bool,
    context: dict[str, Any],
) -> HTMLResponse:
    """The file table (with ``gallery``: the thumbnails) page of ``found``, an item's or a
    case's files; ``context`` says which (scope, address, query and filters shown)."""
    from lccu.web.pages import render

    size = GALLERY_SIZE if gallery else PAGE_SIZE
    return render(
        request,
        "gallery.html" if gallery else "files.html",
        {
            **context,
            "found": found,
            "page": page,
            "pages": _pages(found.total, found.capped, size),
            "types": TYPES,
            "sorts": SORTS,
        },
        user=user,
    )


def page_filter(table: TableFilters, *, gallery: bool) -> FileFilter:
    """The table's filter; the gallery's keeps pictures and videos only."""
    return replace(table.file_filter(), visual=True) if gallery else table.file_filter()


class ItemTable:
    """What an item's file table and gallery are asked for: the item, the filters and sort,
    and the page."""

    def __init__(
        self,
        request: Request,
        item_id: str,
        user: PageUser,
        state: State,
        table: Annotated[TableFilters, Depends()],
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    ) -> None:
        self.request, self.item_id, self.user, self.state = request, item_id, user, state
        self.table, self.page = table, page

    def render(self, *, gallery: bool) -> HTMLResponse:
        table, page = self.table, self.page
        ref = self.item_id.strip()[:100]
        size = GALLERY_SIZE if gallery else PAGE_SIZE
        found = self.state.lab(self.user).file_page(
            ref,
            page_filter(table, gallery=gallery),
            sort=table.sort,
            descending=table.desc,
            offset=(page - 1) * size,
            limit=size,
        )
        context = {
            "scope": "item",
            "base_url": f"/evidence/{ref}/{'gallery' if gallery else 'files'}",
            "item_id": ref,
            "query": table.query(),
            "filters": table.shown(),
        }
        return table_page(self.request, self.user, found, page, gallery=gallery, context=context)


@pages.get("/evidence/{item_id}/files", response_class=HTMLResponse)
def files_page(view: Annotated[ItemTable, Depends()]) -> HTMLResponse:
    """One page of the item's files, filtered and sorted by the database."""
    return view.render(gallery=False)


@pages.get("/evidence/{item_id}/gallery", response_class=HTMLResponse)
def gallery_page(view: Annotated[ItemTable, Depends()]) -> HTMLResponse:
    """The item's pictures and videos as thumbnails, with every filter of the table."""
    return view.render(gallery=True)


def _hex_rows(data: bytes) -> list[tuple[str, str, str]]:
    """``(offset, hex, ascii)`` rows of 16 bytes, as ``xxd`` shows them."""
    rows = []
    for at in range(0, len(data), 16):
        chunk = data[at : at + 16]
        shown = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append((f"{at:08x}", " ".join(f"{b:02x}" for b in chunk), shown))
    return rows


def _text_preview(data: bytes) -> str:
    """The bytes as UTF-8 text, control characters (but tab and newline) shown as U+FFFD:
    nothing from the evidence can steer the page or a terminal it is copied to."""
    text = data.decode("utf-8", errors="replace")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", "\ufffd", text)


def shown_times(entry: dict[str, Any]) -> dict[str, Any]:
    """The file's times as the page shows them: a file system's as report.json gives them
    (each says its kind); an archive member's ``mtime`` is text with a ``time_kind``, and an
    MS-DOS one (``local``, or none said) is a wall clock of unknown zone, never UTC."""
    times: dict[str, Any] = {}
    for key in ("mtime", "atime", "ctime", "crtime"):
        value = entry.get(key)
        if isinstance(value, str):
            utc = entry.get("time_kind") == "utc"
            value = {
                "utc": value if utc else None,
                "wall_clock": None if utc else value,
                "kind": "utc" if utc else "local-unknown",
                "zone": None,
            }
        times[key] = value
    return times


@pages.get("/evidence/{item_id}/files/{file_id:int}", response_class=HTMLResponse)
def file_detail(
    request: Request, item_id: str, file_id: int, user: PageUser, state: State
) -> HTMLResponse:
    """A file's metadata, hashes, tags, notable marks and the start of its content (hex
    and text)."""
    from lccu.web.pages import render

    ref = item_id.strip()[:100]
    lab = state.lab(user)
    info = lab.file(ref, file_id)  # decided and audited (a refusal stops here)
    head = b""
    unreadable: str | None = None
    try:
        with lab.opened_file(ref, file_id, purpose="preview") as (_info, stream):
            head = stream.read(PREVIEW_BYTES) or b""
    except AccessDenied:
        raise
    except (OSError, LccuError) as exc:  # deleted and overwritten, not exported...
        unreadable = str(exc)
    tags = (
        [t for t in lab.tags(ref) if t.path == info.path and t.volume == (info.volume or 0)]
        if info.source == "file"
        else []
    )
    marks = [m for m in lab.notable_marks(ref) if m.path == info.path and m.sha256 == info.sha256]
    labels = lab.tag_labels(ref) if info.source == "file" else []
    times = shown_times(info.entry)
    return render(
        request,
        "file.html",
        {
            "item_id": ref,
            "f": info,
            "tags": tags,
            "labels": labels,
            "marks": marks,
            "times": times,
            "hex_rows": _hex_rows(head),
            "text": _text_preview(head),
            "shown": len(head),
            "unreadable": unreadable,
            "visual": visual_kind(info.mime),
        },
        user=user,
    )


def _disposition(name: str) -> str:
    """``attachment`` named by the file's own name: an ASCII fallback and the UTF-8 name
    (RFC 6266); no quote, slash or control character reaches the header."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:150] or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name[:200], safe='')}"


@pages.post("/evidence/{item_id}/files/{file_id:int}/tags")
def tag_from_page(
    item_id: str,
    file_id: int,
    user: PageUser,
    state: State,
    path: Annotated[str, Form(min_length=1, max_length=4096)],
    label: Annotated[str, Form(min_length=1, max_length=60)],
    volume: Annotated[int | None, Form(ge=0, le=1_000_000)] = None,
    note: Annotated[str, Form(max_length=10_000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Tag the file shown (``lab.tag_file``: the gate decides, audited, a custody note),
    then show its page again."""
    check_csrf(user, csrf)
    ref = item_id.strip()[:100]
    state.lab(user).tag_file(ref, path, label=label, note=note or None, volume=volume)
    return RedirectResponse(f"/evidence/{quote(ref)}/files/{file_id}#tags", status_code=303)


@pages.get("/evidence/{item_id}/files/{file_id:int}/download")
def file_download(item_id: str, file_id: int, user: PageUser, state: State) -> Response:
    """The file's bytes as a download (a copy of the evidence, streamed from it; audited
    as ``file.read``), named by the file's own name, with its hashes and origin in the
    headers."""
    stack = ExitStack()
    info, stream = stack.enter_context(
        state.lab(user).opened_file(item_id.strip()[:100], file_id, purpose="download")
    )

    def blocks() -> Iterator[bytes]:
        with stack:
            while block := stream.read(1024 * 1024):
                yield block

    origin = f"volume {info.volume} inode {info.inode}" if info.source == "file" else info.path
    return StreamingResponse(
        blocks(),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": _disposition(info.name),
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Lccu-Sha256": info.sha256 or "",
            "X-Lccu-Origin": f"evidence {info.evidence_id} run {info.run_id} {origin}"[:300],
        },
    )


@pages.get("/evidence/{item_id}/files/{file_id:int}/thumbnail")
def file_thumbnail(
    request: Request,
    item_id: str,
    file_id: int,
    user: PageUser,
    state: State,
    placeholder: bool = False,
) -> Response:
    """The PNG processing stored for a picture or a video (read from the derived store, not
    the evidence), or why there is none (422); for a run processed before thumbnails were
    made during processing, a PNG made here with bounded memory (see :mod:`lccu.web.thumbs`).
    ``placeholder`` (the gallery's images): a file without a thumbnail is a small picture
    saying so, with the reason as its title, instead of a broken image."""
    lab = state.lab(user)
    stored = lab.stored_thumbnail(item_id.strip()[:100], file_id)
    if stored is not None:
        if stored.png is None:
            return _no_thumbnail(request, stored.note or "", placeholder)
        return Response(stored.png, media_type="image/png")
    with lab.opened_file(item_id.strip()[:100], file_id, purpose="thumbnail") as (info, fh):
        try:
            png = thumbnail_png(fh, info.size)
        except ThumbnailError as exc:
            return _no_thumbnail(request, str(exc), placeholder)
    return Response(png, media_type="image/png")


@pages.get("/evidence/{item_id}/files/{file_id:int}/preview")
def file_preview(
    request: Request,
    item_id: str,
    file_id: int,
    user: PageUser,
    state: State,
    placeholder: bool = False,
) -> Response:
    """A large PNG (at most 1600 pixels on its long side) of a picture, or of a video's
    first key frame, made here on request by the thumbnail engine and not stored; read from
    the evidence (audited as ``file.read``, purpose ``picture-preview``). What is served is
    Pillow's re-encode, never the evidence's own bytes. Anything else, or a picture over
    the engine's limits: 422 with the reason (``placeholder``: a picture saying so). A
    video when every preview slot stays taken: 503 with Retry-After (audited, refused)."""
    lab = state.lab(user)
    ref = item_id.strip()[:100]
    with lab.opened_file(ref, file_id, purpose="picture-preview") as (info, fh):
        try:
            png = large_preview(fh, info.size, info.mime, _scratch(state), state.video_previews)
        except ThumbnailError as exc:
            return _no_thumbnail(request, str(exc), placeholder, "no_preview")
        except PreviewsBusy as exc:
            _audit_busy(lab, info, exc)
            return _busy(request, exc, placeholder)
    return Response(png, media_type="image/png")


def _audit_busy(lab: Lab, info: FileInfo, exc: PreviewsBusy) -> None:
    """The refusal in the audit log, once, under the file's case (as the gate's are)."""
    lab.refuse_file(info, "file.preview", str(exc))


def _busy(request: Request, exc: PreviewsBusy, placeholder: bool) -> Response:
    """503 in the page's language, with when to try again (``placeholder``: as a picture,
    which the file page shows in place of the preview)."""
    from xml.sax.saxutils import escape

    from lccu.web.i18n import Translator

    t = Translator(request.state.lang)
    message = t["preview_busy"].format(slots=exc.slots, seconds=exc.retry_after)
    headers = {"Retry-After": str(exc.retry_after)}
    if not placeholder:
        return Response(message, status_code=503, media_type="text/plain", headers=headers)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="96" viewBox="0 0 256 96">'
        f"<title>{escape(message)}</title>"
        '<rect width="256" height="96" fill="#eeeeee"/>'
        f'<text x="128" y="54" font-family="sans-serif" font-size="16" text-anchor="middle" '
        f'fill="#333333">{escape(t["preview_busy_short"])}</text></svg>'
    )
    return Response(svg, status_code=503, media_type="image/svg+xml", headers=headers)


def _scratch(state: WebState) -> Path:
    """Where a video is copied for ffmpeg (beside the web's other scratch files)."""
    return Path(state.settings.home) / "web" / "scratch"


def _no_thumbnail(
    request: Request, note: str, placeholder: bool, key: str = "no_thumbnail"
) -> Response:
    """Why a file has no thumbnail (or no preview: ``key``): plain text (422), or for the
    gallery an SVG that says so in the page's language (the note, from the stage or the
    picture's decoder, is only its escaped title)."""
    if not placeholder:
        return Response(note, status_code=422, media_type="text/plain")
    from xml.sax.saxutils import escape

    from lccu.web.i18n import Translator

    label = escape(Translator(request.state.lang)[key])
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="96" viewBox="0 0 256 96">'
        f"<title>{escape(note[:500])}</title>"
        '<rect width="256" height="96" fill="#eeeeee"/>'
        f'<text x="128" y="54" font-family="sans-serif" font-size="16" text-anchor="middle" '
        f'fill="#333333">{label}</text></svg>'
    )
    return Response(svg, media_type="image/svg+xml")


@api.get("/evidence/{item_id}/files")
def files_api(
    item_id: str,
    user: ApiUser,
    state: State,
    filters: Annotated[ApiFilters, Depends()],
    sort: Annotated[str, Query(pattern="^(" + "|".join(SORTS) + ")$")] = "path",
    desc: bool = False,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """One page of the item's files (``lab.file_page``), with the total that match;
    ``modified_since`` (included) and ``modified_before`` (excluded) need a time zone."""
    found = state.lab(user).file_page(
        item_id.strip()[:100],
        filters.filter,
        sort=sort,
        descending=desc,
        offset=offset,
        limit=limit,
    )
    return {
        "run": found.run_id,
        "total": found.total,
        "total_is_lower_bound": found.capped,
        "offset": found.offset,
        "files": [f.as_dict() for f in found.files],
    }
