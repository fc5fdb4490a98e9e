"""Pictures for the HTML report, read from the output directory and embedded as data: URIs.

Exported paths come from the report and are derived from evidence, so they are treated as
hostile: a path is followed only if, after resolving symlinks, it stays inside the output
directory. The picture type is sniffed from the bytes, never taken from the report, so a
file that claims to be a JPEG but holds HTML or SVG is never embedded.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

DEFAULT_LIMIT = 200
DEFAULT_MAX_BYTES = 256 * 1024  # per picture: the HTML must stay openable
DEFAULT_BUDGET = 32 * 1024 * 1024  # all pictures together

_PICTURE_MIMES = {"image/jpeg", "image/png", "image/gif", "image/bmp", "image/x-ms-bmp"}
_PICTURE_TYPES = {"jpeg", "jpg", "png", "gif", "bmp"}
_PICTURE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".bmp"}


@dataclass(frozen=True)
class Thumbnail:
    """One picture ready for the template."""

    label: str
    origin: str  # "file", "carved" or "member"
    deleted: bool
    size: int
    data_uri: str


@dataclass
class ThumbnailSet:
    """The embedded pictures and why the others were left out."""

    items: list[Thumbnail] = field(default_factory=list)
    candidates: int = 0
    too_large: int = 0
    unsafe: int = 0
    missing: int = 0
    not_picture: int = 0
    over_limit: int = 0


def sniff_picture(head: bytes) -> str | None:
    """Return the MIME type of a JPEG/PNG/GIF/BMP from its first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"BM") and len(head) >= 26:
        return "image/bmp"
    return None


def _lexically_safe(exported: str) -> bool:
    """False for empty paths, NUL bytes, absolute paths, drive letters and ``..`` segments."""
    if not exported or "\x00" in exported:
        return False
    for flavour in (PurePosixPath(exported), PureWindowsPath(exported)):
        if flavour.is_absolute() or flavour.drive or flavour.root or ".." in flavour.parts:
            return False
    return True


def _locate(out_dir: Path, exported: str) -> tuple[Path | None, str]:
    """Return (path, "ok") or (None, "unsafe" | "missing")."""
    if not _lexically_safe(exported):
        return None, "unsafe"
    root = out_dir.resolve()
    try:
        target = (root / exported).resolve(strict=True)
    except FileNotFoundError:
        return None, "missing"
    except (OSError, RuntimeError):  # a symlink loop, a permission problem
        return None, "unsafe"
    if not target.is_relative_to(root) or target == root:
        return None, "unsafe"  # a symlink pointing out of the output directory
    if not target.is_file():
        return None, "missing"
    return target, "ok"


def resolve_exported(out_dir: Path, exported: str) -> Path | None:
    """Return the regular file ``exported`` names inside ``out_dir``, or None.

    Refuses absolute paths, drive letters, ``..`` segments and NUL bytes outright, then
    resolves symlinks and checks the result is still under ``out_dir``.
    """
    return _locate(out_dir, exported)[0]


def _looks_like_picture(declared: Iterable[str | None]) -> bool:
    for value in declared:
        if not value:
            continue
        low = value.lower()
        if low in _PICTURE_MIMES or low in _PICTURE_TYPES:
            return True
        if PurePosixPath(low).suffix in _PICTURE_SUFFIXES:
            return True
    return False


def _candidates(report: Mapping[str, Any]) -> list[tuple[str, str, bool, str]]:
    """(label, origin, deleted, exported) for every exported item declared as a picture."""
    out: list[tuple[str, str, bool, str]] = []
    files = [f for f in report.get("files") or [] if f.get("exported")]
    # Deleted pictures first: they are what an investigator cannot see by mounting the image.
    files.sort(key=lambda f: bool(f.get("allocated", True)))
    for f in files:
        if _looks_like_picture([f.get("mime"), f.get("path"), f.get("exported")]):
            deleted = not f.get("allocated", True)
            out.append((str(f.get("path")), "file", deleted, str(f["exported"])))
    for c in report.get("carved") or []:
        if c.get("exported") and _looks_like_picture([c.get("type"), c.get("exported")]):
            offset = c.get("offset")
            label = f"offset {offset:,}" if isinstance(offset, int) else "unknown offset"
            out.append((label, "carved", True, str(c["exported"])))
    for m in report.get("members") or []:  # pictures inside archives and documents
        if m.get("exported") and _looks_like_picture([m.get("mime"), m.get("exported")]):
            out.append((str(m.get("provenance")), "member", False, str(m["exported"])))
    return out


def collect_thumbnails(
    report: Mapping[str, Any],
    out_dir: Path,
    *,
    limit: int = DEFAULT_LIMIT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    budget: int = DEFAULT_BUDGET,
) -> ThumbnailSet:
    """Embed up to ``limit`` exported pictures of at most ``max_bytes`` each."""
    result = ThumbnailSet()
    spent = 0
    candidates = _candidates(report)
    result.candidates = len(candidates)
    for label, origin, deleted, exported in candidates:
        if len(result.items) >= limit:
            result.over_limit += 1
            continue
        path, status = _locate(out_dir, exported)
        if path is None:
            if status == "unsafe":
                result.unsafe += 1
            else:
                result.missing += 1
            continue
        try:
            size = path.stat().st_size
            if size > max_bytes or spent + size > budget:
                result.too_large += 1
                continue
            data = path.read_bytes()
        except OSError:
            result.missing += 1
            continue
        mime = sniff_picture(data[:32])
        if mime is None:
            result.not_picture += 1
            continue
        spent += len(data)
        uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        result.items.append(Thumbnail(label, origin, deleted, len(data), uri))
    return result
