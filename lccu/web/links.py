"""Stable URLs that pages link to, in one place, and the route that follows them.

A timeline row knows its file by item, volume and path (and inode); the file browser's
page is by the id the run's file index gave it (``/evidence/{item}/files/{id}``).
``/evidence/{item}/file?volume=V&path=P[&inode=I][&run=R]`` finds that id through
:meth:`lccu.evidence.lab.Lab.files` (the gate decides, audited once as ``file.list``) and
redirects there, so a timeline never needs the index itself.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query
from fastapi.responses import RedirectResponse

from lccu.errors import NotFound
from lccu.web.auth import Principal
from lccu.web.deps import page_user, web
from lccu.web.state import WebState

pages = APIRouter(include_in_schema=False)
State = Annotated[WebState, Depends(web)]
PageUser = Annotated[Principal, Depends(page_user)]


def file_url(evidence_id: str, volume: str | int, path: str, inode: str | int | None,
             run: str | None = None) -> str:
    """``/evidence/<item>/file?volume=V&path=P[&inode=I][&run=R]``: the file's page."""
    query: dict[str, str] = {"volume": str(volume), "path": path}
    if inode not in (None, ""):
        query["inode"] = str(inode)
    if run:
        query["run"] = run
    return f"/evidence/{quote(evidence_id, safe='')}/file?{urlencode(query)}"


@pages.get("/evidence/{item_id}/file")
def file_by_location(
    item_id: str,
    user: PageUser,
    state: State,
    volume: Annotated[int, Query(ge=0, le=1_000_000)],
    path: Annotated[str, Query(min_length=1, max_length=4096)],
    inode: Annotated[int | None, Query(ge=0)] = None,
    run: Annotated[str | None, Query(max_length=64)] = None,
) -> RedirectResponse:
    """Redirect to the page of the file at ``volume``/``path`` (``inode`` when a deleted
    and an allocated name share the path) in the run's file index."""
    ref = item_id.strip()[:100]
    lab = state.lab(user)
    found = None
    for info in lab.files(ref, run=run, source="file", name=path):
        if info.volume == volume and info.path == path:
            found = info
            if inode is None or info.inode == inode:
                break
    if found is None:
        raise NotFound(f"no file {path!r} on volume {volume} in this item's processed files",
                       key="no_file_on_volume", params={"file": path, "volume": volume})
    return RedirectResponse(f"/evidence/{quote(ref, safe='')}/files/{found.id}",
                            status_code=303)
