"""The explicit list of carvable formats; ``types=`` selects from it by name or extension."""

from __future__ import annotations

from collections.abc import Iterable

from lccu.carve import bmp, evtx, gif, jpeg, mp4, pdf, png, rar, riff, sevenzip, sqlite, zip
from lccu.carve.base import Format
from lccu.errors import InvalidInput

FORMATS: tuple[Format, ...] = (
    jpeg.FORMAT,
    png.FORMAT,
    gif.FORMAT,
    bmp.FORMAT,
    pdf.FORMAT,
    zip.FORMAT,
    sqlite.FORMAT,
    mp4.FORMAT,
    evtx.FORMAT,
    riff.FORMAT,
    sevenzip.FORMAT,
    rar.FORMAT,
)
_ALIASES = {"jpg": "jpeg", "docx": "zip", "xlsx": "zip", "odt": "zip", "mov": "mp4",
            "wav": "riff", "avi": "riff", "sevenzip": "7z", "db": "sqlite"}


def select(types: Iterable[str] | None) -> tuple[Format, ...]:
    """The formats named in ``types`` (all when None); an unknown name is an error."""
    if types is None:
        return FORMATS
    if isinstance(types, str):
        types = [types]
    by_name = {f.name: f for f in FORMATS}
    chosen: dict[str, Format] = {}
    for raw in types:
        name = _ALIASES.get(raw.lower(), raw.lower())
        if name not in by_name:
            known = ", ".join(sorted(by_name))
            raise InvalidInput(f"unknown carving type {raw!r}; choose from: {known}")
        chosen[name] = by_name[name]
    if not chosen:
        raise InvalidInput("types is empty; pass None to carve every format")
    return tuple(f for f in FORMATS if f.name in chosen)
