"""The typed records the carving engine yields, and a validator's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Verdict:
    """What a format validator concluded about one header: where the file ends and how sure.

    ``length`` counts from the header offset. ``kind``/``extension`` override the format's
    defaults when the content names a subtype (a ZIP that is a DOCX, a RIFF that is a WAV).
    """

    length: int
    validated: bool
    confidence: Confidence
    note: str | None = None
    kind: str | None = None
    extension: str | None = None


@dataclass(frozen=True)
class CarvedFile:
    """One carved file: ``length`` bytes at image ``offset``, hashed while carving (MD5, SHA-1
    and SHA-256 in one read pass).

    ``validated`` is True only when the format's own structure says where the file ends and
    every check on the way passed; otherwise ``note`` says why (truncated, corrupt).
    ``duplicate_of`` is filled by :func:`lccu.carve.engine.mark_duplicates` with the identity
    of an allocated file whose data starts at ``offset``.
    """

    offset: int
    length: int
    type: str
    extension: str
    validated: bool
    confidence: Confidence
    md5: str
    sha1: str
    sha256: str
    note: str | None = None
    duplicate_of: object | None = None
