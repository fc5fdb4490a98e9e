"""What a file's extension promises, for the file browser's "extension mismatch" filter
(issue 20): a picture renamed ``.txt`` is a classic way to hide it, and the sniffed MIME
type (libmagic, in the file index) gives it away. Only extensions whose content libmagic
names reliably are listed; others (``.bin``, ``.dat``, no extension) never mismatch.

The verdict is taken once per file when a run is indexed (:func:`mismatches`) and stored
in ``file_index.ext_mismatch`` with an index (migration 0023): as a condition over the
extension and MIME columns it could use no index, and a run where few files mismatch read
every row to fill a page (see ``docs/benchmarks.md``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import true

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


def mismatches(ext: str | None, mime: str | None) -> bool:
    """Whether the sniffed ``mime`` disagrees with what the extension ``ext`` promises
    (False when either is unknown, the type says nothing, or the extension promises
    nothing)."""
    accepted = EXPECTED.get(ext) if ext else None
    if accepted is None or mime is None or mime in UNINFORMATIVE:
        return False
    sniffed = mime.lower()
    return not any(sniffed.startswith(a) if a.endswith(("/", ".", "-")) else sniffed == a
                   for a in accepted)


def ext_mismatch() -> Any:
    """A condition on :class:`FileRow`: the stored verdict (``= true``, which the index
    on ``(run_id, ext_mismatch)`` serves; its negation is "agrees or cannot tell")."""
    return FileRow.ext_mismatch == true()
