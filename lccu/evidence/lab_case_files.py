"""The files of a whole case (issue 20): every file of every item of the case in one table,
for the case's file browser and ``lab.files(case=...)``.

Each item contributes the files of its newest finished run (its file index,
:mod:`lccu.evidence.file_index`); items never processed contribute nothing and are named
(``unprocessed``). One call is one decision of the gate on the case, audited once as
``file.list`` (with the runs and filters); a user of a zone that neither owns the case nor
has a valid grant is refused, and that is audited once too.

A page sorted across several runs is merged in the database: each run gives its first
``offset + limit`` rows in the order asked for (walking its ``(run_id, column)`` index),
and the union of those is sorted once more; a page therefore costs its depth times the
number of items, never a sort of every file of the case.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session

from lccu.errors import InvalidInput
from lccu.evidence.file_index import FileInfo, FileRow, IndexedRun
from lccu.evidence.lab_files import (
    COUNT_AHEAD,
    PAGE,
    SORTS,
    FileFilter,
    LabFiles,
    _page_rows,
    _where,
)
from lccu.evidence.models import Case, EvidenceItem
from lccu.evidence.records import CaseInfo


@dataclass(frozen=True)
class CaseFilePage:
    """One page of a case's files, and how many match in all."""

    case_id: str
    case_number: str
    #: every item of the case: evidence id -> exhibit number (in exhibit order)
    exhibits: dict[str, str]
    #: the run shown of each processed item: evidence id -> run id
    runs: dict[str, str]
    #: exhibit numbers of the items without a finished run (not in the table)
    unprocessed: list[str]
    total: int
    offset: int
    files: list[FileInfo]
    #: ``total`` is a lower bound (see :data:`lccu.evidence.lab_files.COUNT_AHEAD`)
    capped: bool = False


def _merged_ids(
    session: Session,
    run_ids: Sequence[str],
    filt: FileFilter,
    part: Any,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> list[int]:
    """The ids of one page over several runs in the order asked for (then by id)."""
    column = getattr(FileRow, sort)
    order = (column.desc() if descending else column.asc(), FileRow.id)
    branches = []
    for run_id in run_ids:
        each = _where(
            select(FileRow.id.label("id"), column.label("k")).where(FileRow.run_id == run_id, part),
            filt,
            None,
        )
        branches.append(select(each.order_by(*order).limit(offset + limit).subquery()))
    merged = union_all(*branches).subquery()
    key = merged.c.k.desc() if descending else merged.c.k.asc()
    return list(
        session.scalars(select(merged.c.id).order_by(key, merged.c.id).offset(offset).limit(limit))
    )


def _case_rows(
    session: Session,
    run_ids: Sequence[str],
    filt: FileFilter,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> list[FileRow]:
    """One page of the runs' files in the browser's order: notable files first, then the
    others (as :func:`lccu.evidence.lab_files._page_rows` for one run)."""
    if len(run_ids) == 1:
        return _page_rows(session, run_ids[0], filt, None, sort, descending, offset, limit)
    notable = FileRow.hashset == "notable"
    counted = (
        _where(select(FileRow.id).where(FileRow.run_id.in_(run_ids), notable), filt, None)
        .limit(offset + limit)
        .subquery()
    )
    notables = session.scalar(select(func.count()).select_from(counted)) or 0
    ids: list[int] = []
    if offset < notables:
        ids = _merged_ids(session, run_ids, filt, notable, sort, descending, offset, limit)
    if len(ids) < limit:
        rest = or_(FileRow.hashset.is_(None), FileRow.hashset != "notable")
        ids += _merged_ids(
            session,
            run_ids,
            filt,
            rest,
            sort,
            descending,
            max(0, offset - notables),
            limit - len(ids),
        )
    rows = {r.id: r for r in session.scalars(select(FileRow).where(FileRow.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


class LabCaseFiles(LabFiles):
    """``lab.case_file_page`` and ``lab.files(case=...)``."""

    def _case_runs(
        self, session: Session, case: Case
    ) -> tuple[dict[str, str], dict[str, str], list[str]]:
        """The case's items (exhibit order), the newest finished run of each processed one
        (its file index built if it was not yet), and the exhibits never processed."""
        from lccu.evidence.runstate import ProcessingRun

        items = list(
            session.scalars(
                select(EvidenceItem)
                .where(EvidenceItem.case_id == case.id)
                .order_by(EvidenceItem.exhibit_number)
            )
        )
        exhibits = {i.id: i.exhibit_number for i in items}
        newest: dict[str, ProcessingRun] = {}
        for run in session.scalars(
            select(ProcessingRun)
            .where(
                ProcessingRun.evidence_id.in_(list(exhibits)),
                ProcessingRun.state == "done",
                ProcessingRun.report_key.is_not(None),
            )
            .order_by(ProcessingRun.submitted_at.desc())
        ):
            newest.setdefault(run.evidence_id, run)
        runs: dict[str, str] = {}
        for item_id in exhibits:
            if (chosen := newest.get(item_id)) is None:
                continue
            if session.get(IndexedRun, chosen.id) is None:
                self._build_index(chosen.id, item_id, str(chosen.report_key))
            runs[item_id] = str(chosen.id)
        return exhibits, runs, [n for i, n in exhibits.items() if i not in runs]

    def case_file_page(
        self,
        case: str | CaseInfo,
        filters: FileFilter | None = None,
        *,
        exhibit: str | None = None,
        sort: str = "path",
        descending: bool = False,
        offset: int = 0,
        limit: int = 100,
    ) -> CaseFilePage:
        """One page of the files of every processed item of ``case`` (of ``exhibit`` only,
        when given: an item id or exhibit number of the case) that match ``filters``,
        sorted by ``sort`` across the items, with how many match (exact up to
        :data:`~lccu.evidence.lab_files.COUNT_AHEAD` past the page). Audited once as
        ``file.list``."""
        filt = (filters or FileFilter()).checked()
        if sort not in SORTS:
            raise InvalidInput(f"sort by one of {', '.join(SORTS)}, not {sort[:40]!r}")
        if offset < 0 or not 0 < limit <= 1000:
            raise InvalidInput("offset must be 0 or more and limit 1 to 1000")
        ref = case.id if isinstance(case, CaseInfo) else case
        with self.db.session() as session:
            found = self.gate.case(session, ref, "file.list", audit=False)
            exhibits, runs, unprocessed = self._case_runs(session, found)
            shown = runs
            if exhibit is not None and exhibit.strip():
                item = self.gate.find_item(session, exhibit, case=found)
                if item is None:
                    raise self.gate.missing(
                        "file.list", "evidence", exhibit, f"evidence item in case {found.number}"
                    )
                shown = {k: v for k, v in runs.items() if k == item.id}
            self._allow(
                "file.list",
                case=found,
                object_type="case",
                object_id=found.id,
                detail={"runs": shown, "filters": filt.given(), "offset": offset},
            )
            run_ids = list(shown.values())
            capped = False
            if not run_ids:
                total, rows = 0, []
            else:
                if filt == FileFilter():
                    total = (
                        session.scalar(
                            select(func.sum(IndexedRun.files)).where(IndexedRun.run_id.in_(run_ids))
                        )
                        or 0
                    )
                else:
                    bound = offset + limit + COUNT_AHEAD
                    counted = (
                        _where(select(FileRow.id).where(FileRow.run_id.in_(run_ids)), filt, None)
                        .limit(bound + 1)
                        .subquery()
                    )
                    total = session.scalar(select(func.count()).select_from(counted)) or 0
                    capped = total > bound
                    total = min(total, bound)
                rows = _case_rows(session, run_ids, filt, sort, descending, offset, limit)
            return CaseFilePage(
                found.id,
                found.number,
                exhibits,
                shown,
                unprocessed,
                int(total),
                offset,
                self._with_tags(session, rows),
                capped,
            )

    def files(
        self,
        evidence: str | None = None,
        *,
        case: str | CaseInfo | None = None,
        run: str | None = None,
        exhibit: str | None = None,
        **filters: Any,
    ) -> Iterator[FileInfo]:
        """Every file of ``evidence``'s newest finished run (or of ``run``), or with
        ``case=`` of every processed item of the case (``exhibit=`` one of them), that
        matches the keyword filters of :class:`~lccu.evidence.lab_files.FileFilter`; an
        item's files in path order (notable ones first), a case's item by item in exhibit
        order. Read from the database a page at a time; audited once as ``file.list``."""
        if (evidence is None) == (case is None):
            raise InvalidInput("name either an evidence item or a case=, not both")
        if case is None:
            assert evidence is not None
            if exhibit is not None:
                raise InvalidInput("exhibit= narrows a case=; for an item, name the item")
            yield from super().files(evidence, run=run, **filters)
            return
        if run is not None:
            raise InvalidInput("run= names a run of one item; a case shows each item's newest")
        try:
            filt = FileFilter(**filters).checked()
        except TypeError as exc:
            raise InvalidInput(f"unknown filter: {exc}") from None
        page = self.case_file_page(case, filt, exhibit=exhibit, limit=1)  # decided, audited
        for item_id, run_id in page.runs.items():
            seen = 0
            while True:
                with self.db.session() as session:
                    rows = _page_rows(session, run_id, filt, item_id, "path", False, seen, PAGE)
                    batch = self._with_tags(session, rows)
                yield from batch
                seen += len(batch)
                if len(batch) < PAGE:
                    break
