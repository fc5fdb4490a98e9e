"""What a file's extension promises, for the file browser's "extension mismatch" filter
(issue 20): a picture renamed ``.txt`` is a classic way to hide it, and the sniffed MIME
type (libmagic, in the file index) gives it away. Only extensions whose content libmagic
names reliably are listed; others (``.bin``, ``.dat``, no extension) never mismatch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, func, not_, or_

from lccu.evidence.file_index import FileRow

_EXE = ("application/x-dosexec", "application/vnd.microsoft.portable-executable",
        "application/x-msdownload")
_OOXML = "application/vnd.openxmlformats-officedocument."
_OLE = ("application/msword", "application/vnd.ms-", "application/cdfv2",
        "application/x-ole-storage")
#: extension -> the sniffed MIME types that agree with it (a trailing "/" or "." is a prefix)
EXPECTED: dict[str, tuple[str, ...]] = {
    "jpg": ("image/jpeg",), "jpeg": ("image/jpeg",), "png": ("image/png",),
    "gif": ("image/gif",), "bmp": ("image/bmp", "image/x-ms-bmp"), "tif": ("image/tiff",),
    "tiff": ("image/tiff",), "webp": ("image/webp",), "heic": ("image/heic", "image/heif"),
    "pdf": ("application/pdf",), "zip": ("application/zip",),
    "gz": ("application/gzip", "application/x-gzip"), "7z": ("application/x-7z-compressed",),
    "rar": ("application/x-rar", "application/vnd.rar", "application/x-rar-compressed"),
    "mp3": ("audio/mpeg",), "wav": ("audio/x-wav", "audio/wav"), "mp4": ("video/mp4",),
    "avi": ("video/x-msvideo",), "mov": ("video/quicktime",), "exe": _EXE, "dll": _EXE,
    "txt": ("text/",), "csv": ("text/", "application/csv"), "log": ("text/",),
    "html": ("text/html",), "htm": ("text/html",),
    "docx": (_OOXML, "application/zip"), "xlsx": (_OOXML, "application/zip"),
    "pptx": (_OOXML, "application/zip"), "doc": _OLE, "xls": _OLE, "ppt": _OLE,
}
#: sniffed types that say nothing about the content (an empty file agrees with any name)
UNINFORMATIVE = ("application/x-empty", "inode/x-empty")


def _agrees(mime: Any, accepted: tuple[str, ...]) -> Any:
    return or_(*(mime.startswith(a, autoescape=True) if a.endswith(("/", ".", "-"))
                 else mime == a for a in accepted))


def ext_mismatch() -> Any:
    """A condition on :class:`FileRow`: the sniffed type disagrees with the extension
    (never NULL, so that its negation is "agrees or cannot tell")."""
    mime = func.lower(FileRow.mime)
    disagrees = or_(*(and_(FileRow.ext == ext, not_(_agrees(mime, accepted)))
                      for ext, accepted in EXPECTED.items()))
    told = and_(FileRow.mime.is_not(None), FileRow.ext.is_not(None),
                FileRow.mime.not_in(UNINFORMATIVE))
    return func.coalesce(and_(told, disagrees), false())
