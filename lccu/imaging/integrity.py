"""After a full pass over the media: was it read as acquired?

:func:`check_media` puts together what one hashing pass learned: the hashes the container
stored at acquisition (E01) against the hashes computed now, and the ranges the reader
could not read faithfully (:mod:`lccu.imaging.faults`). Every consumer (``lccu scan``,
``lccu hash``, the workers' hash stage) reports the same :class:`MediaCheck`, so a corrupt
chunk or a wrong stored hash is named the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lccu.hashing import Digests
from lccu.imaging.faults import ReadFault
from lccu.imaging.stream import ImageStream


@dataclass(frozen=True)
class MediaCheck:
    """Stored hashes (algorithm -> hex, only those the container holds), the hashes of
    this pass and the faults met while reading."""

    stored: dict[str, str]
    computed: Digests
    faults: tuple[ReadFault, ...]
    unreadable_bytes: int

    @property
    def mismatched(self) -> list[str]:
        """Algorithms whose stored hash differs from the computed one."""
        return sorted(a for a, v in self.stored.items() if getattr(self.computed, a) != v)

    @property
    def stored_match(self) -> bool | None:
        """``None`` when the container stores no hash, else whether all stored ones match."""
        return None if not self.stored else not self.mismatched

    @property
    def ok(self) -> bool:
        """Read as acquired: no faults, and every stored hash (if any) matches."""
        return not self.faults and self.stored_match is not False

    def image_fields(self) -> dict[str, Any]:
        """``stored_hashes`` and ``unreadable_bytes`` for a report's ``image`` block."""
        stored = None
        if self.stored:
            stored = {"md5": self.stored.get("md5"), "sha1": self.stored.get("sha1"),
                      "match": self.stored_match}  # fmt: skip
        return {"stored_hashes": stored, "unreadable_bytes": self.unreadable_bytes}

    def read_errors(self) -> list[dict[str, Any]]:
        return [fault.as_dict() for fault in self.faults]

    def errors(self) -> list[dict[str, str]]:
        """Report ``errors`` entries: stored hashes that differ, hashes over unreadable bytes."""
        found = []
        for algorithm in self.mismatched:
            found.append({"where": "image", "message": (
                f"the container's stored {algorithm.upper()} {self.stored[algorithm]} differs "
                f"from the {algorithm.upper()} of the media as read now "
                f"{getattr(self.computed, algorithm)}: the container changed or is corrupt "
                "since acquisition")})
        if self.faults:
            found.append({"where": "image", "message": (
                f"{len(self.faults)} range(s) ({self.unreadable_bytes} bytes) of the media "
                "could not be read and were read as zeros (see read_errors); the hashes cover "
                "those zeros and are not the hashes of the acquired media")})
        return found


def stored_hashes(image: ImageStream) -> dict[str, str]:
    """The acquisition hashes the container holds (E01: MD5, SHA-1), lower-case hex."""
    getter = getattr(image.source, "stored_hashes", None)
    return dict(getter()) if callable(getter) else {}


def check_media(image: ImageStream, digests: Digests) -> MediaCheck:
    """The check of a finished pass over ``image`` that produced ``digests``."""
    log = image.faults
    return MediaCheck(stored=stored_hashes(image), computed=digests,
                      faults=tuple(log.faults()), unreadable_bytes=log.unreadable_bytes())
