"""Tags and notes on files of processed items: the tagging part of
:class:`~lccu.evidence.lab.Lab`.

A tag is case data: everyone who may read the case sees it; only those who may add to the
case (the owning zone, or a zone granted ``contribute``) tag and untag. Every decision goes
through the item's access check in the gate and is audited once (``tag.add``,
``tag.list``, ``tag.remove``); adding or removing a tag also appends a ``note`` custody
event to the item, so the examination shows in the chain of custody. The file is looked up
in the item's newest finished processing report.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lccu.errors import InvalidInput, LccuError, NotFound, NotVisible
from lccu.evidence.lab_base import LabBase, _now
from lccu.evidence.models import Case, EvidenceItem, new_uuid
from lccu.evidence.tags import (
    FileTag,
    TagInfo,
    TagLabel,
    check_label,
    check_text,
    find_file,
)

#: the fields of a report's file entry a tag keeps (and the court report shows)
FILE_FIELDS = (
    "volume",
    "path",
    "inode",
    "size",
    "allocated",
    "kind",
    "mtime",
    "atime",
    "ctime",
    "crtime",
    "md5",
    "sha1",
    "sha256",
    "mime",
    "description",
    "exported",
)


class LabTags(LabBase):
    """``lab.tag_file``, ``lab.tags``, ``lab.untag``."""

    def _refuse_input(
        self, operation: str, case: Case, item: EvidenceItem, exc: LccuError
    ) -> LccuError:
        """Audit an allowed user's request that cannot be done (bad input), once."""
        self.audit.write(
            self.actor,
            operation,
            allowed=False,
            case=case,
            object_type="evidence",
            object_id=item.id,
            detail={"why": str(exc)},
        )
        return exc

    def _report_files(self, session: Session, item: EvidenceItem) -> tuple[str, list[Any]]:
        """The run id and ``files`` of the item's newest finished processing report."""
        from lccu.evidence.runstate import ProcessingRun
        from lccu.storage import open_store

        run = session.scalar(
            select(ProcessingRun)
            .where(
                ProcessingRun.evidence_id == item.id,
                ProcessingRun.state == "done",
                ProcessingRun.report_key.is_not(None),
            )
            .order_by(ProcessingRun.submitted_at.desc())
            .limit(1)
        )
        if run is None or not run.report_key:
            raise NotFound(
                f"{item.exhibit_number} has no finished processing run to tag "
                f"files of; process it first",
                key="not_processed",
            )
        store = open_store(self.settings)
        try:
            with store.open_derived(str(run.report_key)) as fh:
                report = json.loads(fh.read())
        finally:
            store.close()
        return str(run.id), list(report.get("files") or [])

    def tag_file(
        self,
        evidence: str,
        file: str,
        *,
        label: str,
        note: str | None = None,
        volume: int | None = None,
    ) -> TagInfo:
        """Tag one file of ``evidence``, named by its path (``/dir/file.txt``; ``volume``
        when several volumes hold one), inode or SHA-256, as the item's newest finished
        processing report lists it."""
        label = check_label(label)
        note = check_text("note", note)
        check_text("file name", file)
        self._unlock_own_key("tag.add")  # tagging signs a custody note
        with self.db.session() as session:
            case, item = self.gate.item(session, evidence, "tag.add", write=True, audit=False)
            try:
                if case.status != "open":
                    raise InvalidInput(
                        f"case {case.number} is {case.status}",
                        key="case_not_open",
                        params={"case": case.number},
                    )
                label = _one_of(label, _labels(session, case.id), case.number)
                run_id, files = self._report_files(session, item)
                entry = find_file(files, file, volume, item.exhibit_number)
            except (InvalidInput, NotFound) as exc:
                raise self._refuse_input("tag.add", case, item, exc) from None
            kept = {name: entry.get(name) for name in FILE_FIELDS}
            tag_id = new_uuid()
            # audited before the writes: SQLite allows one writer, and this session is it
            self._allow(
                "tag.add",
                case=case,
                object_type="tag",
                object_id=tag_id,
                detail={"evidence": item.id, "path": entry["path"], "label": label, "run": run_id},
            )
            tag = FileTag(
                id=tag_id,
                case_id=case.id,
                evidence_id=item.id,
                run_id=run_id,
                volume=int(entry.get("volume") or 0),
                path=str(entry["path"]),
                inode=entry.get("inode"),
                sha256=entry.get("sha256"),
                file=json.dumps(kept, sort_keys=True),
                label=label,
                note=note,
                created_by=self.actor.username,
                created_at=_now(),
            )
            session.add(tag)
            session.flush()
            head = self._append(
                session,
                case,
                "note",
                evidence_id=item.id,
                reason=f"file tagged {label!r}: {tag.path}",
                details={
                    "tag": tag.id,
                    "label": label,
                    "note": note,
                    "volume": tag.volume,
                    "path": tag.path,
                    "inode": tag.inode,
                    "sha256": tag.sha256,
                    "run": run_id,
                },
            )
            info = TagInfo.of(tag, item.exhibit_number)
        self._anchor(head)
        return info

    def define_label(self, label: str, *, case: str | None = None) -> list[str]:
        """Add ``label`` to the tag labels of ``case`` (a zone that may add to it), or with
        no case to the unit's, which every case takes (the unit admin); returns the labels
        then in force there. Defining one twice changes nothing. Audited once as
        ``tag.label``."""
        label = check_label(label)
        with self.db.session() as session:
            if case is None:
                if self.actor.role != "admin":
                    raise self._deny("tag.label", "only the unit admin defines the unit's labels")
                self._allow("tag.label", detail={"label": label, "scope": "unit"})
                case_id = None
            else:
                found = self._case_for(session, case, "tag.label", write=True)
                case_id = found.id
            if label.casefold() not in {x.casefold() for x in _labels(session, case_id)}:
                session.add(
                    TagLabel(
                        case_id=case_id,
                        label=label,
                        defined_by=self.actor.username,
                        defined_at=_now(),
                    )
                )
                session.flush()
            return _labels(session, case_id)

    def tag_labels(self, ref: str) -> list[str]:
        """The labels a tag in case ``ref`` (or in an evidence item's case) takes: the
        unit's and the case's, oldest first (empty: any label). Audited once as
        ``tag.list``."""
        with self.db.session() as session:
            if self.gate.kind_of(session, ref, "tag.list") == "case":
                found = self._case_for(session, ref, "tag.list")
            else:
                found, _item = self.gate.item(session, ref, "tag.list")
            return _labels(session, found.id)

    def tags(self, ref: str, *, include_removed: bool = False) -> list[TagInfo]:
        """The tags of a case or of one evidence item, oldest first (removed ones only
        with ``include_removed``)."""
        with self.db.session() as session:
            kind = self.gate.kind_of(session, ref, "tag.list")
            query = select(FileTag, EvidenceItem.exhibit_number).join(
                EvidenceItem, EvidenceItem.id == FileTag.evidence_id
            )
            if kind == "case":
                case = self.gate.case(session, ref, "tag.list")
                query = query.where(FileTag.case_id == case.id)
            else:
                _case, item = self.gate.item(session, ref, "tag.list")
                query = query.where(FileTag.evidence_id == item.id)
            if not include_removed:
                query = query.where(FileTag.removed_at.is_(None))
            rows = session.execute(query.order_by(FileTag.created_at, FileTag.id))
            return [TagInfo.of(tag, exhibit) for tag, exhibit in rows]

    def untag(self, tag_id: str, *, reason: str | None = None) -> TagInfo:
        """Remove a tag (stamped as removed, by whom and why; never deleted)."""
        ref = tag_id.strip()
        reason = check_text("reason", reason)
        self._unlock_own_key("tag.remove")  # removing a tag signs a custody note
        with self.db.session() as session:
            tag = session.get(FileTag, ref) if ref else None
            if tag is None and len(ref) >= 8:
                found = list(
                    session.scalars(select(FileTag).where(FileTag.id.startswith(ref)).limit(2))
                )
                tag = found[0] if len(found) == 1 else None
            if tag is None or tag.removed_at is not None:
                raise self.gate.missing("tag.remove", "tag", ref, "tag")
            try:
                case, item = self.gate.item(
                    session, tag.evidence_id, "tag.remove", write=True, audit=False
                )
            except NotVisible:  # audited; answered as an unknown tag, not by its item's id
                raise NotVisible(f"no tag {ref!r}", key="no_such", params={"ref": ref}) from None
            if case.status != "open":
                raise self._refuse_input(
                    "tag.remove", case, item, InvalidInput(f"case {case.number} is {case.status}")
                )
            self._allow(
                "tag.remove",
                case=case,
                object_type="tag",
                object_id=tag.id,
                detail={"evidence": item.id, "path": tag.path, "label": tag.label},
            )
            tag.removed_by = self.actor.username
            tag.removed_at = _now()
            tag.removed_reason = reason
            head = self._append(
                session,
                case,
                "note",
                evidence_id=item.id,
                reason=f"tag {tag.label!r} removed: {tag.path}",
                details={
                    "tag": tag.id,
                    "label": tag.label,
                    "path": tag.path,
                    "removed_reason": tag.removed_reason,
                },
            )
            info = TagInfo.of(tag, item.exhibit_number)
        self._anchor(head)
        return info


def _labels(session: Session, case_id: str | None) -> list[str]:
    """The unit's labels, and with ``case_id`` that case's too, oldest first."""
    unit = TagLabel.case_id.is_(None)
    where = or_(unit, TagLabel.case_id == case_id) if case_id is not None else unit
    found = session.scalars(
        select(TagLabel.label).where(where).order_by(TagLabel.defined_at, TagLabel.label)
    )
    return list(dict.fromkeys(found))


def _one_of(label: str, defined: list[str], case_number: str) -> str:
    """``label`` as the case's labels spell it, or :class:`InvalidInput` when the case (or
    the unit) defines labels and it is none of them; any label when none are defined."""
    if not defined:
        return label
    for known in defined:
        if known.casefold() == label.casefold():
            return known
    raise InvalidInput(
        f"label {label!r} is not one of the tag labels of case {case_number}: {', '.join(defined)}",
        key="label_not_defined",
        params={"label": label, "case": case_number, "labels": ", ".join(defined)},
    )
