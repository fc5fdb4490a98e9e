"""Read what a processing run stored for an item's timeline: the ``timeline`` stage's CSV
rows, its result (the source time zone used) and, from the run's report, each file's MIME
type and hash-set hits. Takes an ``open_derived`` callable (a store's), so it knows nothing
of which store or of the database.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Protocol

from lccu.errors import NotFound
from lccu.timeline.caseview import FileMark, Row, Source


class Derived(Protocol):
    """A stored derived file as a store opens it (read, then closed by ``with``)."""

    def read(self, size: int = -1, /) -> bytes: ...
    def __enter__(self) -> Derived: ...
    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None, /) -> None: ...


OpenDerived = Callable[[str], Derived]
#: the stage result is a small JSON document; more is not a stage result
MAX_RESULT = 1024 * 1024


def lines(stream: Derived, block: int = 1024 * 1024) -> Iterator[str]:
    """Text lines with their ending (a quoted name holding a newline stays whole for
    :mod:`csv`), undecodable bytes kept as surrogates; the stream is closed at the end."""
    rest = b""
    with stream:
        while data := stream.read(block):
            rest += data
            *whole, rest = rest.split(b"\n")
            for line in whole:
                yield (line + b"\n").decode("utf-8", errors="surrogateescape")
    if rest:
        yield rest.decode("utf-8", errors="surrogateescape")


def stage_result(open_derived: OpenDerived, result_key: str) -> dict[str, Any]:
    with open_derived(result_key) as fh:
        result = json.loads(fh.read(MAX_RESULT))
    if not isinstance(result, dict) or not isinstance(result.get("timeline"), str):
        raise NotFound("this run's timeline stage stored no timeline")
    return result


def file_marks(open_derived: OpenDerived,
               report_key: str | None) -> dict[tuple[str, str], FileMark]:
    """(volume, path) -> MIME type and hash-set kinds, from the run's report files."""
    if not report_key:
        return {}
    with open_derived(report_key) as fh:
        report = json.loads(fh.read())
    marks: dict[tuple[str, str], FileMark] = {}
    for record in report.get("files") or ():
        kinds = {hit.get("kind") for hit in record.get("hashsets") or ()}
        marks[(str(record.get("volume")), str(record.get("path")))] = FileMark(
            str(record.get("mime") or ""), "notable" in kinds, "known" in kinds)
    return marks


def item_source(open_derived: OpenDerived, evidence_id: str, exhibit: str, run_id: str,
                result_key: str, report_key: str | None,
                tagged: Iterable[tuple[str, int, str]] = ()) -> Source:
    """One item's :class:`Source`; its rows are read from the store on each pass."""
    result = stage_result(open_derived, result_key)
    key = f"{evidence_id}/{result['timeline']}"

    def rows() -> Iterator[Row]:
        return iter(csv.DictReader(lines(open_derived(key))))

    return Source(evidence_id, exhibit, run_id, result.get("source_timezone"), rows,
                  file_marks(open_derived, report_key),
                  frozenset((str(v), p) for e, v, p in tagged if e == evidence_id))


def case_sources(timelines: Any, open_derived: OpenDerived) -> list[Source]:
    """The sources of a :class:`~lccu.evidence.lab_timelines.CaseTimelines`, by exhibit."""
    return [item_source(open_derived, i.evidence_id, i.exhibit_number, i.run_id, i.result_key,
                        i.report_key, timelines.tagged) for i in timelines.items]
