"""Versions of the expansion libraries, for the ``processed`` custody event and reports."""

from __future__ import annotations

from functools import cache
from importlib import metadata


def _dist(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unavailable"


@cache
def library_versions() -> dict[str, str]:
    versions = {name: _dist(name) for name in ("libarchive-c", "py7zr", "rarfile", "pikepdf")}
    try:
        import libarchive.ffi as ffi

        number = int(ffi.version_number())
        versions["libarchive"] = f"{number // 1000000}.{number // 1000 % 1000}.{number % 1000}"
    except (ImportError, OSError, AttributeError):
        versions["libarchive"] = "unavailable"
    try:
        import pikepdf

        versions["qpdf"] = str(pikepdf.__libqpdf_version__)
    except (ImportError, AttributeError):
        versions["qpdf"] = "unavailable"
    return versions
