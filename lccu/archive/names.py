"""Member names are data, never paths: what a hostile name says, and a safe file suffix.

lccu writes members under numbers it chooses (``3.jpg``); the stored name only appears in
the report. :func:`name_findings` flags names that would escape a naive extractor's folder.
"""

from __future__ import annotations

import re

_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,10}$")
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_extension(name: str | None) -> str:
    """``.jpg`` for ``holiday.JPG``; empty when the name has no plain short extension."""
    if not name or "." not in name:
        return ""
    ext = name.rsplit(".", 1)[1]
    return f".{ext.lower()}" if _EXTENSION.match(ext) else ""


def name_findings(name: str) -> list[str]:
    """``absolute-path`` and/or ``path-traversal`` for names that leave the folder."""
    found = []
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        found.append("absolute-path")
    if ".." in re.split(r"[/\\]", name):
        found.append("path-traversal")
    return found


def display_name(name: str) -> str:
    """The name as the report shows it: control characters escaped, never empty."""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)
    return shown or "(no name)"
