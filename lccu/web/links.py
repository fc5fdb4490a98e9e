"""Stable URLs that pages link to, in one place.

A file's detail page is addressed by its item, volume and path (the inode too, where the
file system has one): the form the timeline and the file browser share, so a link written
by one page stays valid whatever page serves it.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode


def file_url(evidence_id: str, volume: str | int, path: str, inode: str | int | None) -> str:
    """``/evidence/<item>/file?volume=V&path=P[&inode=I]``: the file's detail page."""
    query: dict[str, str] = {"volume": str(volume), "path": path}
    if inode not in (None, ""):
        query["inode"] = str(inode)
    return f"/evidence/{quote(evidence_id, safe='')}/file?{urlencode(query)}"
