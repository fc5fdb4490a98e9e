"""The typed records a scan yields: :class:`Hit` (one matched string) and :class:`ScanProblem`.

Records are plain data with ``to_dict()`` so the task layer can store them as JSON without
knowing YARA; they carry offsets and hex, never the whole matched buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["image", "file", "carved"]

#: Bytes of matched data kept in a hit (as hex); ``length`` still gives the full match length.
MATCHED_BYTES = 64


@dataclass(frozen=True)
class Hit:
    """One YARA string match (or one string-less rule match in a per-file scan).

    ``offset`` is in the image for image scans and in the file for per-file scans; it is
    None only for rules that matched on their condition alone (no string instance).
    ``file`` is filled by :func:`lccu.scan.mapping.map_hits` for image hits: a dict with
    ``volume``, ``path``, ``inode``, or ``"unallocated"``.
    """

    rule: str
    namespace: str
    tags: tuple[str, ...]
    meta: dict[str, Any]
    string: str | None
    offset: int | None
    matched: str
    length: int
    file: dict[str, Any] | str | None = None
    source: Source = "image"

    @property
    def key(self) -> tuple[str, str, str | None, int | None]:
        """Identity of the hit for comparisons: namespace, rule, string, offset."""
        return (self.namespace, self.rule, self.string, self.offset)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (tags as a list, meta copied)."""
        return {
            "rule": self.rule,
            "namespace": self.namespace,
            "tags": list(self.tags),
            "meta": dict(self.meta),
            "string": self.string,
            "offset": self.offset,
            "matched": self.matched,
            "length": self.length,
            "file": self.file,
            "source": self.source,
        }


ProblemKind = Literal["timeout", "too_many_matches", "max_hits", "read_error", "scan_error"]


@dataclass(frozen=True)
class ScanProblem:
    """Something a scan skipped or cut short, and why: never dropped silently.

    ``start``/``end`` bound the bytes concerned (image offsets for a segment, or the whole
    file); ``count`` carries a number when one matters (total hits for ``max_hits``).
    """

    kind: ProblemKind
    target: str
    message: str
    start: int | None = None
    end: int | None = None
    count: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "target": self.target,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "count": self.count,
            "details": dict(self.details),
        }
