"""A case's timeline: the stored timelines of its items merged, each row naming its item,
filtered, counted per day/month/year, paged or written whole in time order.

Works on rows of the CSV the ``timeline`` stage stores (:mod:`lccu.timeline.csvfile`),
handed over by a callable per item, and on what the item's processing report says of its
files (MIME type, hash-set hits) and the case's tags: nothing here reads the database or
the store. Memory: a page keeps the rows up to its end (like the item page); the whole
sorted timeline is merged from sorted runs on disk (:func:`sorted_rows`), so neither
grows with the size of the case.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import IO, Any

from lccu.timeline.csvfile import HEADER, _cell

Row = dict[str, str]
#: columns a merged row has besides the stored CSV's (see lccu.timeline.csvfile.HEADER)
ITEM_COLUMNS = ("exhibit", "evidence_id", "run")
FILE_COLUMNS = ("mime", "notable", "known")
#: the columns of a merged row, in the order ``lccu case timeline --format csv`` writes
COLUMNS = (*ITEM_COLUMNS, *HEADER, *FILE_COLUMNS)
KINDS = "macb"


@dataclass(frozen=True)
class FileMark:
    """What the processing report says of one file: its MIME type, whether a notable or a
    known hash set holds it."""

    mime: str = ""
    notable: bool = False
    known: bool = False


@dataclass(frozen=True)
class Source:
    """One item's stored timeline. ``marks`` and ``tagged`` are keyed by (volume, path)."""

    evidence_id: str
    exhibit: str
    run_id: str
    zone: str | None
    rows: Callable[[], Iterable[Row]]
    marks: Mapping[tuple[str, str], FileMark] = field(default_factory=dict)
    tagged: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Filters:
    """``kinds``: MACB letters, any of which; ``start``/``end``: ISO days, inclusive;
    ``text``: in the path (case-folded); ``mime``: a MIME type or its start (``image/``);
    ``deleted``: ``yes``/``no``; ``mark``: ``notable`` (tagged or in a notable hash set) or
    ``known`` (in a known hash set)."""

    kinds: str = ""
    start: str = ""
    end: str = ""
    text: str = ""
    mime: str = ""
    deleted: str = ""
    mark: str = ""

    def clean(self) -> Filters:
        return Filters("".join(k for k in KINDS if k in self.kinds.lower()), self.start,
                       self.end, self.text.strip().casefold(), self.mime.strip().lower(),
                       self.deleted if self.deleted in ("yes", "no") else "",
                       self.mark if self.mark in ("notable", "known") else "")


def when(row: Mapping[str, str]) -> str:
    """What a row is ordered and date-filtered by: its UTC instant, or for a local time of
    unknown zone its wall clock (there is no instant to compare)."""
    return row.get("utc") or row.get("wall_clock") or ""


def annotated(source: Source) -> Iterator[Row]:
    """The item's rows with its exhibit, id and run, and the file's type and marks."""
    for row in source.rows():
        key = (row.get("volume", ""), row.get("path", ""))
        mark = source.marks.get(key, FileMark())
        row.update(exhibit=source.exhibit, evidence_id=source.evidence_id, run=source.run_id,
                   mime=mark.mime,
                   notable="yes" if mark.notable or key in source.tagged else "no",
                   known="yes" if mark.known else "no")
        yield row


def _matches_but_type(row: Row, f: Filters) -> bool:
    if f.kinds and not set(row.get("macb", "")) & set(f.kinds):
        return False
    day = when(row)[:10]
    if f.start and (not day or day < f.start):
        return False
    if f.end and (not day or day > f.end):
        return False
    if f.deleted and row.get("deleted") != f.deleted:
        return False
    if f.mark and row.get(f.mark) != "yes":
        return False
    return not f.text or f.text in row.get("path", "").casefold()


def _type_matches(row: Row, f: Filters) -> bool:
    return not f.mime or row.get("mime", "").lower().startswith(f.mime)


@dataclass(frozen=True)
class Bar:
    label: str
    start: str  # first day of the bucket (ISO), for a date-range link
    end: str  # last day
    count: int


@dataclass(frozen=True)
class Histogram:
    """Events per ``unit`` (day, month or year: the finest that keeps the bars few), empty
    buckets included so the axis is continuous."""

    unit: str
    bars: list[Bar]

    @property
    def peak(self) -> int:
        return max((b.count for b in self.bars), default=0)


MAX_DAY_BARS = 92
MAX_MONTH_BARS = 120


def histogram(days: Mapping[str, int]) -> Histogram:
    """Buckets from counts per ISO day (``YYYY-MM-DD``); days that do not parse are left
    out (a row without a time has nothing to place)."""
    parsed: Counter[date] = Counter()
    for text, count in days.items():
        try:
            parsed[date.fromisoformat(text)] += count
        except ValueError:
            continue
    if not parsed:
        return Histogram("day", [])
    first, last = min(parsed), max(parsed)
    if (last - first).days < MAX_DAY_BARS:
        bars = []
        day = first
        while day <= last:
            bars.append(Bar(day.isoformat(), day.isoformat(), day.isoformat(), parsed[day]))
            day += timedelta(days=1)
        return Histogram("day", bars)
    months = (last.year - first.year) * 12 + last.month - first.month
    unit = "month" if months < MAX_MONTH_BARS else "year"
    counts: Counter[tuple[int, int]] = Counter()
    for day, count in parsed.items():
        counts[(day.year, day.month if unit == "month" else 1)] += count
    bars = []
    year, month = first.year, first.month if unit == "month" else 1
    while (year, month) <= (last.year, last.month if unit == "month" else 1):
        if unit == "month":
            start = date(year, month, 1)
            nxt = date(year + month // 12, month % 12 + 1, 1)
            bars.append(Bar(f"{year:04d}-{month:02d}", start.isoformat(),
                            (nxt - timedelta(days=1)).isoformat(), counts[(year, month)]))
            year, month = nxt.year, nxt.month
        else:
            bars.append(Bar(f"{year:04d}", f"{year:04d}-01-01", f"{year:04d}-12-31",
                            counts[(year, 1)]))
            year += 1
    return Histogram(unit, bars)


@dataclass
class CasePage:
    """One page of the filtered, merged timeline and what the whole selection holds."""

    rows: list[Row]
    total: int
    histogram: Histogram
    types: list[tuple[str, int]]  # MIME types of the events matching the other filters
    local_unknown: int  # matching events whose time is a wall clock of unknown zone


def _key(row: Row, seq: int) -> tuple[str, str, int]:
    return when(row), row.get("exhibit", ""), seq


def case_page(sources: Iterable[Source], filters: Filters, first: int, depth: int) -> CasePage:
    """Rows ``first``..``depth`` of the filtered timeline of every source in time order
    (then exhibit, then stored order), the number of matching events, their histogram and
    their MIME types, from one streamed pass over each stored timeline."""
    f = filters.clean()
    days: Counter[str] = Counter()
    types: Counter[str] = Counter()
    counted = {"total": 0, "unknown": 0}

    def matching() -> Iterator[tuple[tuple[str, str, int], Row]]:
        seq = itertools.count()
        for source in sources:
            for row in annotated(source):
                if not _matches_but_type(row, f):
                    continue
                types[row.get("mime") or ""] += 1
                if not _type_matches(row, f):
                    continue
                counted["total"] += 1
                counted["unknown"] += row.get("time_kind") == "local-unknown"
                days[when(row)[:10]] += 1
                yield _key(row, next(seq)), row

    kept = heapq.nsmallest(depth, matching(), key=lambda pair: pair[0])
    return CasePage([row for _k, row in kept[first:depth]], counted["total"], histogram(days),
                    types.most_common(), counted["unknown"])


def sorted_rows(sources: Iterable[Source], filters: Filters | None = None, *,
                run_rows: int = 100_000,
                check: Callable[[Row], None] | None = None) -> Iterator[Row]:
    """Every matching row of every source in time order, in bounded memory: runs of
    ``run_rows`` rows are sorted and spilled to temporary files, then merged. ``check`` is
    called on each row while the runs are made, before anything is yielded: a caller that
    must refuse some rows (a Timesketch file cannot hold a local time of unknown zone)
    raises there, with nothing written yet."""
    f = (filters or Filters()).clean()
    columns = COLUMNS
    spills: list[IO[str]] = []
    stack = ExitStack()
    batch: list[tuple[tuple[str, str, int], Row]] = []
    seq = itertools.count()

    def spill() -> None:
        nonlocal batch
        batch.sort(key=lambda pair: pair[0])
        fh = stack.enter_context(tempfile.TemporaryFile(  # noqa: SIM115 (closed by stack)
            "w+", encoding="utf-8", newline="", errors="surrogateescape"))
        writer = csv.writer(fh, lineterminator="\n")
        for key, row in batch:
            writer.writerow([str(key[2]), *(row.get(c, "") for c in columns)])
        fh.seek(0)
        spills.append(fh)
        batch = []

    def read(fh: IO[str]) -> Iterator[tuple[tuple[str, str, int], Row]]:
        for record in csv.reader(fh):
            row = dict(zip(columns, record[1:], strict=True))
            yield _key(row, int(record[0])), row

    try:
        for source in sources:
            for row in annotated(source):
                if not (_matches_but_type(row, f) and _type_matches(row, f)):
                    continue
                if check is not None:
                    check(row)
                batch.append((_key(row, next(seq)), row))
                if len(batch) >= run_rows:
                    spill()
        if not spills:
            batch.sort(key=lambda pair: pair[0])
            yield from (row for _k, row in batch)
            return
        if batch:
            spill()
        for pair in heapq.merge(*(read(fh) for fh in spills), key=lambda p: p[0]):
            yield pair[1]
    finally:
        stack.close()


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading ``'`` (exhibit numbers
    are typed by people, MIME types read from the evidence)."""
    return _cell(value)
