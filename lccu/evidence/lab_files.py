"""The files of processed items for analysts and the file browser: the files part of
:class:`~lccu.evidence.lab.Lab`.

``lab.files(item, deleted=True, mime="image/")`` yields :class:`FileInfo` records of the
item's newest finished run (filters and paging done by the database over the run's file
index, :mod:`lccu.evidence.file_index`); ``lab.open_file(item, file_id)`` streams one
file's bytes read-only from the stored evidence. Each call is one decision of the gate on
the item, audited once (``file.list``, ``file.read``, refusals too). Reading a file for
review is recorded in the audit log (hash-chained), not as a custody event: it changes no
custody, and a page of previews would bury the custody log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import Select, and_, exists, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lccu.errors import InvalidInput, NotFound
from lccu.evidence.canonical import format_time
from lccu.evidence.file_index import FileInfo, FileRow, IndexedRun, index_report
from lccu.evidence.lab_base import LabBase, _now
from lccu.evidence.models import EvidenceItem
from lccu.evidence.tags import SHA256, FileTag, check_text

#: the orders a page may be sorted by (column, then id for a stable order)
SORTS = ("path", "name", "size", "mtime", "mime", "hits")
MD5 = SHA256.pattern.replace("64", "32")
PAGE = 1000
#: how far past a page the matches are counted: an exact count of a million rows costs
#: more than the page itself (0.4 s against 1 ms on PostgreSQL), so beyond it the total is
#: "at least" (``FilePage.capped``); without filters the index's own count is exact
COUNT_AHEAD = 10_000


@dataclass(frozen=True)
class FileFilter:
    """What the browser and ``lab.files`` filter on (None: no filter)."""

    deleted: bool | None = None
    source: str | None = None  # file | carved | member
    mime: str | None = None  # "image/" (prefix) or "image/png" (exact)
    visual: bool | None = None  # a picture or a video (the gallery's files)
    ext: str | None = None
    name: str | None = None  # part of the path, any case
    sha256: str | None = None
    md5: str | None = None
    yara_rule: str | None = None
    hits: bool | None = None  # any YARA hit
    ext_mismatch: bool | None = None  # sniffed MIME type disagrees with the extension
    tagged: bool | None = None
    hashset_kind: str | None = None  # notable | known
    min_size: int | None = None
    max_size: int | None = None
    modified_between: tuple[datetime | None, datetime | None] | None = None

    def checked(self) -> FileFilter:
        """The filter with its text normalised; :class:`InvalidInput` for a value that can
        never match (a malformed hash, an unknown kind)."""
        for name in ("mime", "ext", "name", "yara_rule"):
            check_text(name, getattr(self, name))
        if self.sha256 is not None and not SHA256.match(self.sha256.strip()):
            raise InvalidInput("sha256 must be 64 hexadecimal digits")
        import re

        if self.md5 is not None and not re.match(MD5, self.md5.strip()):
            raise InvalidInput("md5 must be 32 hexadecimal digits")
        if self.source not in (None, "file", "carved", "member"):
            raise InvalidInput("source must be file, carved or member")
        if self.hashset_kind not in (None, "notable", "known"):
            raise InvalidInput("hashset_kind must be notable or known")
        for bound in self.modified_between or ():
            if bound is not None and bound.tzinfo is None:
                raise InvalidInput("modified_between needs times with a time zone")
        return replace(
            self,
            sha256=self.sha256.strip().lower() if self.sha256 else None,
            md5=self.md5.strip().lower() if self.md5 else None,
            ext=self.ext.strip().lower().lstrip(".") or None if self.ext else None,
            mime=self.mime.strip().lower() or None if self.mime else None,
            name=self.name.strip() or None if self.name else None,
            yara_rule=self.yara_rule.strip() or None if self.yara_rule else None,
        )

    def given(self) -> dict[str, Any]:
        """The filters set (for the audit entry)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if getattr(self, f.name) is not None}
        if "modified_between" in out:
            out["modified_between"] = [b and format_time(b) for b in out["modified_between"]]
        return out


@dataclass(frozen=True)
class FilePage:
    """One page of an item's files, and how many match in all."""

    run_id: str
    total: int
    offset: int
    files: list[FileInfo]
    #: ``total`` is a lower bound: more match than were counted (see COUNT_AHEAD)
    capped: bool = False


def _tagged(evidence_id: str | None) -> Any:
    """The file has a (not removed) tag: of ``evidence_id``'s, or, with None (a case's
    table, rows of several items), of the row's own item."""
    item = FileTag.evidence_id == (evidence_id if evidence_id is not None
                                   else FileRow.evidence_id)
    return exists().where(
        item, FileTag.removed_at.is_(None),
        FileTag.volume == func.coalesce(FileRow.volume, 0), FileTag.path == FileRow.path)


def _where(query: Select[Any], filt: FileFilter, evidence_id: str | None) -> Select[Any]:
    conditions: list[Any] = []
    if filt.deleted is not None:
        conditions.append(FileRow.allocated.is_(not filt.deleted))
    if filt.source:
        conditions.append(FileRow.source == filt.source)
    if filt.mime:
        conditions.append(FileRow.mime.startswith(filt.mime, autoescape=True)
                          if filt.mime.endswith("/") or "/" not in filt.mime
                          else FileRow.mime == filt.mime)
    if filt.visual is not None:
        visual = or_(FileRow.mime.startswith("image/"), FileRow.mime.startswith("video/"))
        conditions.append(visual if filt.visual else not_(visual))
    if filt.ext:
        conditions.append(FileRow.ext == filt.ext)
    if filt.name:
        conditions.append(_path_contains(filt.name))
    if filt.sha256:
        conditions.append(FileRow.sha256 == filt.sha256)
    if filt.md5:
        conditions.append(FileRow.md5 == filt.md5)
    if filt.yara_rule:  # a rule's hits are among the files with hits (indexed: 0020)
        conditions.append(FileRow.hits > 0)
        conditions.append(FileRow.rules.contains(f"|{filt.yara_rule}|", autoescape=True))
    if filt.hits is not None:
        conditions.append(FileRow.hits > 0 if filt.hits else FileRow.hits == 0)
    if filt.ext_mismatch is not None:
        from lccu.evidence.file_types import ext_mismatch

        conditions.append(ext_mismatch() if filt.ext_mismatch else not_(ext_mismatch()))
    if filt.tagged is not None:
        conditions.append(_tagged(evidence_id) if filt.tagged else ~_tagged(evidence_id))
    if filt.hashset_kind:
        conditions.append(FileRow.hashset == filt.hashset_kind)
    if filt.min_size is not None:
        conditions.append(FileRow.size >= filt.min_size)
    if filt.max_size is not None:
        conditions.append(FileRow.size <= filt.max_size)
    start, end = filt.modified_between or (None, None)
    if start is not None:  # report times are RFC 3339 UTC; compare as parsed instants
        conditions.append(FileRow.mtime >= _utc_text(start))
    if end is not None:
        conditions.append(FileRow.mtime < _utc_text(end))
    return query.where(and_(*conditions)) if conditions else query


def _path_contains(text: str) -> Any:
    """``path ILIKE '%text%'`` (wildcards in ``text`` taken literally): on PostgreSQL the
    trigram index of migration 0021 serves it, where ``lower(path) LIKE`` read every row
    of the run; SQLite compiles it to ``lower(path) LIKE lower(...)``, as before."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return FileRow.path.ilike(f"%{escaped}%", escape="\\")


def _utc_text(moment: datetime) -> str:
    """``moment`` written like the report's UTC times (``...T..:..:..Z``), so that text
    order is time order."""
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _page_rows(session: Session, run_id: str, filt: FileFilter, evidence_id: str | None,
               sort: str, descending: bool, offset: int, limit: int) -> list[FileRow]:
    """One page in the browser's order: files of a notable hash set first (issue 18), then
    the others, each part in the order asked for. Two queries, so that each walks an index
    in order (one ``ORDER BY CASE ...`` would sort every matching row: 1,000,000 for the
    first page of a large item)."""
    column = getattr(FileRow, sort)
    order = (column.desc() if descending else column.asc(), FileRow.id)
    base = _where(select(FileRow).where(FileRow.run_id == run_id), filt, evidence_id)
    notable = FileRow.hashset == "notable"
    counted = _where(select(FileRow.id).where(FileRow.run_id == run_id, notable), filt,
                     evidence_id).limit(offset + limit).subquery()
    notables = session.scalar(select(func.count()).select_from(counted)) or 0
    rows: list[FileRow] = []
    if offset < notables:
        rows = list(session.scalars(base.where(notable).order_by(*order)
                                    .offset(offset).limit(limit)))
    if len(rows) < limit:
        rest = or_(FileRow.hashset.is_(None), FileRow.hashset != "notable")
        rows += session.scalars(base.where(rest).order_by(*order)
                                .offset(max(0, offset - notables)).limit(limit - len(rows)))
    return rows


class LabFiles(LabBase):
    """``lab.files``, ``lab.file_page``, ``lab.file``, ``lab.open_file``, ``lab.report``,
    ``lab.yara_hits``."""

    # -- the run and its index ---------------------------------------------------------------

    def _indexed_run(self, session: Session, item: EvidenceItem,
                     run_id: str | None) -> str:
        """The id of the run whose files are shown (``run_id``, else the newest finished),
        its file index built if it was not yet."""
        from lccu.evidence.runstate import ProcessingRun

        query = select(ProcessingRun).where(
            ProcessingRun.evidence_id == item.id, ProcessingRun.state == "done",
            ProcessingRun.report_key.is_not(None))
        if run_id is not None:
            query = query.where(or_(ProcessingRun.id == run_id.strip(),
                                    ProcessingRun.id.startswith(run_id.strip() or "-")))
        runs = list(session.scalars(query.order_by(ProcessingRun.submitted_at.desc())
                                    .limit(1 if run_id is None else 2)))
        if len(runs) != 1:
            which = f"run {run_id!r}" if run_id else "processing run"
            raise NotFound(f"{item.exhibit_number} has no finished {which}; process it first "
                           "(its files are listed once a run is done)", key="not_processed")
        run = runs[0]
        if session.get(IndexedRun, run.id) is None:
            self._build_index(run.id, item.id, str(run.report_key))
        return str(run.id)

    def _build_index(self, run_id: str, evidence_id: str, report_key: str) -> None:
        """Index a run's report, in a transaction of its own; another request doing the
        same at the same time wins harmlessly (the marker row's key)."""
        from lccu.storage import open_store

        store = open_store(self.settings)
        try:
            with store.open_derived(report_key) as fh:
                report = json.loads(fh.read())
        finally:
            store.close()
        try:
            with self.db.session() as session:
                if session.get(IndexedRun, run_id) is None:
                    index_report(session, report, run_id, evidence_id, _now())
        except IntegrityError:
            with self.db.session() as session:
                if session.get(IndexedRun, run_id) is None:
                    raise

    def _with_tags(self, session: Session, rows: list[FileRow]) -> list[FileInfo]:
        """Records with the labels of their (not removed) tags (rows of any items)."""
        paths = {r.path for r in rows}
        labels: dict[tuple[str, int, str], list[str]] = {}
        if paths:
            found = session.execute(
                select(FileTag.evidence_id, FileTag.volume, FileTag.path, FileTag.label).where(
                    FileTag.evidence_id.in_({r.evidence_id for r in rows}),
                    FileTag.removed_at.is_(None), FileTag.path.in_(paths))
                .order_by(FileTag.created_at))
            for evidence_id, volume, path, label in found:
                labels.setdefault((evidence_id, volume, path), []).append(label)
        return [FileInfo.of(r, tuple(dict.fromkeys(
            labels.get((r.evidence_id, r.volume or 0, r.path), [])))) for r in rows]

    # -- listing ------------------------------------------------------------------------------

    def file_page(self, evidence: str, filters: FileFilter | None = None, *,
                  run: str | None = None, sort: str = "path", descending: bool = False,
                  offset: int = 0, limit: int = 100) -> FilePage:
        """One page of the files of ``evidence``'s newest finished run (or of ``run``)
        that match ``filters``, sorted by ``sort`` (:data:`SORTS`), with how many match
        (exact up to :data:`COUNT_AHEAD` past the page, else a lower bound: ``capped``).
        Audited once as ``file.list``."""
        filt = (filters or FileFilter()).checked()
        if sort not in SORTS:
            raise InvalidInput(f"sort by one of {', '.join(SORTS)}, not {sort[:40]!r}")
        if offset < 0 or not 0 < limit <= 1000:
            raise InvalidInput("offset must be 0 or more and limit 1 to 1000")
        with self.db.session() as session:
            case, item = self.gate.item(session, evidence, "file.list", audit=False)
            try:
                run_id = self._indexed_run(session, item, run)
            except NotFound as exc:
                self.audit.write(self.actor, "file.list", allowed=False, case=case,
                                 object_type="evidence", object_id=item.id,
                                 detail={"why": str(exc)})
                raise
            self._allow("file.list", case=case, object_type="evidence", object_id=item.id,
                        detail={"run": run_id, "filters": filt.given(), "offset": offset})
            capped = False
            if filt == FileFilter():
                indexed = session.get(IndexedRun, run_id)
                total = indexed.files if indexed is not None else 0
            else:
                bound = offset + limit + COUNT_AHEAD
                counted = _where(select(FileRow.id).where(FileRow.run_id == run_id), filt,
                                 item.id).limit(bound + 1).subquery()
                total = session.scalar(select(func.count()).select_from(counted)) or 0
                capped = total > bound
                total = min(total, bound)
            rows = _page_rows(session, run_id, filt, item.id, sort, descending, offset, limit)
            return FilePage(run_id, int(total), offset, self._with_tags(session, rows),
                            capped)

    def files(self, evidence: str, *, run: str | None = None, **filters: Any
              ) -> Iterator[FileInfo]:
        """Every file of ``evidence``'s newest finished run (or of ``run``) that matches
        the keyword filters of :class:`FileFilter` (``deleted=True``, ``mime="image/"``,
        ``ext="docx"``, ``sha256=...``, ``md5=...``, ``yara_rule=...``, ``tagged=True``,
        ``hashset_kind="notable"``, ``modified_between=(start, end)`` ...), in path order,
        read from the database a page at a time. Audited once as ``file.list``."""
        try:
            filt = FileFilter(**filters)
        except TypeError as exc:
            raise InvalidInput(f"unknown filter: {exc}") from None
        page = self.file_page(evidence, filt, run=run, limit=PAGE)
        yield from page.files
        seen = len(page.files)
        while len(page.files) == PAGE and (seen < page.total or page.capped):
            with self.db.session() as session:  # decided above; same item, same run
                item_id = page.files[0].evidence_id
                rows = _page_rows(session, page.run_id, filt.checked(), item_id, "path",
                                  False, seen, PAGE)
                batch = self._with_tags(session, rows)
            if not batch:
                return
            yield from batch
            seen += len(batch)
            if len(batch) < PAGE:
                return

    def file(self, evidence: str, file_id: int, *, operation: str = "file.read") -> FileInfo:
        """One file of ``evidence`` by its id (as ``lab.files`` gave it); a file of another
        item, whatever its zone, is "no such file". Audited once as ``operation``."""
        with self.db.session() as session:
            case, item, row = self._file_row(session, evidence, file_id, operation)
            self._allow(operation, case=case, object_type="evidence", object_id=item.id,
                        detail={"file": row.id, "path": row.path, "run": row.run_id})
            return self._with_tags(session, [row])[0]

    def _file_row(self, session: Session, evidence: str, file_id: int,
                  operation: str) -> tuple[Any, EvidenceItem, FileRow]:
        case, item = self.gate.item(session, evidence, operation, audit=False)
        row = session.get(FileRow, file_id) if isinstance(file_id, int) else None
        if row is None or row.evidence_id != item.id:
            why = f"no file {str(file_id)[:40]} of evidence {item.exhibit_number}"
            self.audit.write(self.actor, operation, allowed=False, case=case,
                             object_type="evidence", object_id=item.id,
                             detail={"why": why, "file": str(file_id)[:40]})
            raise NotFound(why, key="no_file_of_item",
                           params={"exhibit": item.exhibit_number})
        return case, item, row

    # -- the run's report ---------------------------------------------------------------------

    def refuse_file(self, info: FileInfo, operation: str, why: str) -> None:
        """Audit, once and under the file's case, a refusal decided after the file was
        opened (the web's preview slots were all taken): the gate's refusals are audited by
        the gate itself."""
        from lccu.evidence.models import Case

        with self.db.session() as session:
            item = session.get(EvidenceItem, info.evidence_id)
            case = session.get(Case, item.case_id) if item is not None else None
            self.audit.write(self.actor, operation, allowed=False, case=case,
                             object_type="evidence", object_id=info.evidence_id,
                             detail={"why": why, "file": info.id, "path": info.path})

    def report(self, evidence: str, *, run: str | None = None) -> dict[str, Any]:
        """The processing report (report.json, :mod:`lccu.report.schema`) of ``evidence``'s
        newest finished run, or of its run ``run``. Audited once as ``report.read``."""
        from lccu.storage import open_store

        _run_id, key = self.finished_report(evidence, run, "json")
        store = open_store(self.settings)
        try:
            with store.open_derived(key) as fh:
                report: dict[str, Any] = json.loads(fh.read())
        finally:
            store.close()
        return report

    def yara_hits(self, evidence: str, *, run: str | None = None) -> list[dict[str, Any]]:
        """The YARA hits of that report: rule, namespace, tags, meta, offset, matched bytes
        (hex) and what was scanned (``source``: image, file, carved or member; ``file``:
        volume, path and inode). Audited once as ``report.read``."""
        return list(self.report(evidence, run=run).get("yara") or [])

    # -- content ------------------------------------------------------------------------------

    @contextmanager
    def open_file(self, evidence: str, file: int | FileInfo) -> Iterator[BinaryIO]:
        """A read-only stream of one file's bytes, read from the stored evidence a chunk
        at a time (never held whole): a file system's file through The Sleuth Kit by its
        inode, a carved item as its range of the image, an archive member (and an NTFS
        alternate stream) from the run's exported copy. Audited once as ``file.read``."""
        with self.opened_file(evidence, file) as (_info, stream):
            yield stream

    @contextmanager
    def opened_file(self, evidence: str, file: int | FileInfo,
                    purpose: str = "read") -> Iterator[tuple[FileInfo, BinaryIO]]:
        """:meth:`open_file` with the file's record (what a download names itself by);
        ``purpose`` (read, download, preview, thumbnail) goes into the audit entry."""
        from lccu.evidence.file_content import open_content_of
        from lccu.evidence.lab_items import container_refs
        from lccu.storage import open_store

        file_id = file.id if isinstance(file, FileInfo) else file
        with self.db.session() as session:
            case, item, row = self._file_row(session, evidence, file_id, "file.read")
            indexed = session.get(IndexedRun, row.run_id)
            assert indexed is not None
            volumes = {int(k): int(v) for k, v in json.loads(indexed.volumes).items()}
            info = self._with_tags(session, [row])[0]
            refs = container_refs(item)
            self._allow("file.read", case=case, object_type="evidence", object_id=item.id,
                        detail={"file": row.id, "path": row.path, "run": row.run_id,
                                "sha256": row.sha256, "purpose": purpose})
        store = open_store(self.settings)
        try:
            with open_content_of(store, refs, info, volumes) as stream:
                yield info, stream
        finally:
            store.close()
