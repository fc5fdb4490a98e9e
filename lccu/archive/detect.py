"""Which container format a file is, from its content (libmagic's MIME type), never its name.

A zip renamed ``holiday.boo`` is still ``application/zip``; a ``.docx`` is a zip that
libmagic names as a Word document, and is opened as a document (its embedded media only).
"""

from __future__ import annotations

ZIP_MIMES = {
    "application/zip", "application/x-zip-compressed", "application/java-archive",
    "application/vnd.android.package-archive", "application/epub+zip",
    "application/x-xpinstall",
}
FORMATS = {
    "application/x-7z-compressed": "7z",
    "application/x-rar": "rar",
    "application/vnd.rar": "rar",
    "application/x-rar-compressed": "rar",
    "application/x-tar": "tar",
    "application/x-gtar": "tar",
    "application/x-ustar": "tar",
    "application/gzip": "gzip",
    "application/x-gzip": "gzip",
    "application/x-bzip2": "bzip2",
    "application/x-xz": "xz",
    "application/zstd": "zstd",
    "application/x-zstd": "zstd",
    "application/vnd.ms-cab-compressed": "cab",
    "application/x-iso9660-image": "iso9660",
    "application/pdf": "pdf",
}
#: single-stream compressors: their one member may itself be a tar (``.tar.gz``)
COMPRESSORS = ("gzip", "bzip2", "xz", "zstd")
DOCUMENT_PREFIXES = ("application/vnd.openxmlformats-officedocument.",
                     "application/vnd.ms-word.", "application/vnd.ms-excel.",
                     "application/vnd.ms-powerpoint.")
ODF_PREFIX = "application/vnd.oasis.opendocument."


def container_format(mime: str | None) -> str | None:
    """``zip``, ``ooxml``, ``odf``, ``7z``, ``rar``, ``tar``, ``gzip``, ``bzip2``, ``xz``,
    ``zstd``, ``cab``, ``iso9660``, ``pdf`` or None (not a container lccu opens)."""
    if not mime:
        return None
    mime = mime.split(";", 1)[0].strip().lower()
    if mime in ZIP_MIMES:
        return "zip"
    if mime.startswith(DOCUMENT_PREFIXES) and ("macroenabled" in mime
                                               or "officedocument" in mime):
        return "ooxml"
    if mime.startswith(ODF_PREFIX):
        return "odf"
    return FORMATS.get(mime)
