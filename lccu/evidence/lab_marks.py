"""The unit's notable set grows from cases: an investigator marks a file as notable (with
a category and a reason), a unit admin approves (its hashes join a notable set, as a new
version) or rejects. Every step is decided by the gate and audited (``notable.mark``,
``notable.list``, ``notable.approve``, ``notable.reject``); marking also appends a ``note``
custody event to the item and offers the file for cross-zone hit/no-hit.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from lccu.errors import AccessDenied, InvalidInput, LccuError, NotFound
from lccu.evidence.access import CASE_CREATOR_ROLES
from lccu.evidence.gate import UNIT_ADMIN_ROLES, article
from lccu.evidence.lab_base import BOOTSTRAP, _now
from lccu.evidence.lab_tags import FILE_FIELDS, LabTags
from lccu.evidence.lab_xzone import offer_files
from lccu.evidence.marks import (
    APPROVED,
    DEFAULT_SET,
    PROPOSED,
    REJECTED,
    MarkInfo,
    NotableMark,
    check_category,
)
from lccu.evidence.models import Case, EvidenceItem, Zone, new_uuid
from lccu.evidence.tags import check_text, find_file
from lccu.hashsets.store import HashSetStore

_HEX = {"md5": 32, "sha1": 40, "sha256": 64}


def _hex(entry: dict[str, object], algorithm: str) -> str | None:
    value = entry.get(algorithm)
    if isinstance(value, str) and len(value) == _HEX[algorithm]:
        try:
            bytes.fromhex(value)
        except ValueError:
            return None
        return value.lower()
    return None


class LabNotableMarks(LabTags):
    """``lab.mark_notable``, ``lab.notable_marks``, ``lab.approve_mark``,
    ``lab.reject_mark``."""

    def mark_notable(
        self,
        evidence: str,
        file: str,
        *,
        category: str,
        reason: str,
        volume: int | None = None,
    ) -> MarkInfo:
        """Propose one file of ``evidence`` (by path, inode or SHA-256, as its newest
        finished report lists it) for the unit's notable set; an admin decides."""
        category = check_category(category)
        why = check_text("reason", reason)
        if not why:
            raise InvalidInput("a notable mark needs a reason", key="mark_reason_needed")
        check_text("file name", file)
        with self.db.session() as session:
            case, item = self.gate.item(session, evidence, "notable.mark", write=True, audit=False)
            if self.actor.role not in CASE_CREATOR_ROLES:
                # proposing a file for the whole unit is an investigative judgement: an
                # operator writes her zone's cases for the workers, not for this
                raise self.gate.deny(
                    "notable.mark",
                    f"{article(self.actor.role)} does not propose notable files",
                    case=case,
                    object_type="evidence",
                    object_id=item.id,
                )
            try:
                if case.status != "open":
                    raise InvalidInput(
                        f"case {case.number} is {case.status}",
                        key="case_not_open",
                        params={"case": case.number},
                    )
                run_id, files = self._report_files(session, item)
                entry = find_file(files, file, volume, item.exhibit_number)
                sha256 = _hex(entry, "sha256")
                if sha256 is None:
                    raise InvalidInput(
                        f"{entry.get('path')} has no SHA-256 in the report "
                        "(its content could not be read)",
                        key="file_no_sha256",
                        params={"file": entry.get("path")},
                    )
            except (InvalidInput, NotFound) as exc:
                raise self._refuse_input("notable.mark", case, item, exc) from None
            mark_id = new_uuid()
            self._allow(
                "notable.mark",
                case=case,
                object_type="notable_mark",
                object_id=mark_id,
                detail={
                    "evidence": item.id,
                    "path": entry["path"],
                    "sha256": sha256,
                    "category": category,
                    "run": run_id,
                },
            )
            mark = NotableMark(
                id=mark_id,
                case_id=case.id,
                evidence_id=item.id,
                zone_id=case.zone_id,
                run_id=run_id,
                volume=int(entry.get("volume") or 0),
                path=str(entry["path"]),
                md5=_hex(entry, "md5"),
                sha1=_hex(entry, "sha1"),
                sha256=sha256,
                file=json.dumps({k: entry.get(k) for k in FILE_FIELDS}, sort_keys=True),
                category=category,
                reason=why,
                proposed_by=self.actor.username,
                proposed_at=_now(),
                state=PROPOSED,
            )
            session.add(mark)
            session.flush()
            offer_files(session, case, item.id, mark.id, [sha256], "marked")
            head = self._append(
                session,
                case,
                "note",
                evidence_id=item.id,
                reason=f"file marked notable ({category}): {mark.path}",
                details={
                    "notable_mark": mark.id,
                    "category": category,
                    "reason": why,
                    "volume": mark.volume,
                    "path": mark.path,
                    "sha256": sha256,
                    "run": run_id,
                },
            )
            info = MarkInfo.of(mark, case.zone.name, item.exhibit_number)
        self._anchor(head)
        return info

    def notable_marks(self, ref: str | None = None, *, state: str | None = None) -> list[MarkInfo]:
        """The marks of a case or item (its readers: the full view), or, without ``ref``,
        the whole unit's for a unit admin (hashes, category, reason, zone and proposer; no
        case, item or path); ``state`` filters (proposed, approved, rejected)."""
        if state not in (None, PROPOSED, APPROVED, REJECTED):
            raise InvalidInput("state must be proposed, approved or rejected")
        with self.db.session() as session:
            query = (
                select(NotableMark, EvidenceItem.exhibit_number, Zone.name)
                .join(EvidenceItem, EvidenceItem.id == NotableMark.evidence_id)
                .join(Zone, Zone.id == NotableMark.zone_id)
            )
            if ref is None:
                self._require_mark_admin("notable.list")
                self._allow("notable.list", object_type="notable_mark", detail={"state": state})
                full = False
            elif self.gate.kind_of(session, ref, "notable.list") == "case":
                case = self.gate.case(session, ref, "notable.list")
                query = query.where(NotableMark.case_id == case.id)
                full = True
            else:
                _case, item = self.gate.item(session, ref, "notable.list")
                query = query.where(NotableMark.evidence_id == item.id)
                full = True
            if state is not None:
                query = query.where(NotableMark.state == state)
            rows = session.execute(query.order_by(NotableMark.proposed_at, NotableMark.id))
            return [MarkInfo.of(m, zone, exhibit if full else None) for m, exhibit, zone in rows]

    def _require_mark_admin(self, operation: str) -> None:
        if self.actor is BOOTSTRAP:
            raise AccessDenied("notable marks are decided by a unit admin: pass --as USER")
        if self.actor.role not in UNIT_ADMIN_ROLES:
            raise self._deny(
                operation,
                "the unit's notable set is decided by the unit admin (role admin), not "
                f"{article(self.actor.role)}",
                object_type="notable_mark",
            )

    def _proposed(self, session: Session, mark_id: str, operation: str) -> NotableMark:
        ref = mark_id.strip()
        mark = session.get(NotableMark, ref) if ref else None
        if mark is None and len(ref) >= 8:
            found = list(
                session.scalars(select(NotableMark).where(NotableMark.id.startswith(ref)).limit(2))
            )
            mark = found[0] if len(found) == 1 else None
        if mark is None:
            raise self.gate.missing(operation, "notable_mark", ref, "notable mark")
        if mark.state != PROPOSED:
            raise InvalidInput(
                f"notable mark {mark.id} is already {mark.state}",
                key="mark_decided",
                params={"mark_state": mark.state},
            )
        return mark

    def approve_mark(self, mark_id: str, *, set_name: str = DEFAULT_SET) -> MarkInfo:
        """Add a proposed file's hashes to the notable set ``set_name`` (a new version of
        it; created if needed) and record who approved it (unit admin)."""
        self._require_mark_admin("notable.approve")
        with self.db.session() as session:
            mark = self._proposed(session, mark_id, "notable.approve")
            digests = [
                (bytes.fromhex(h), mark.category) for h in (mark.md5, mark.sha1, mark.sha256) if h
            ]
            case = session.get(Case, mark.case_id)
            assert case is not None
            zone = case.zone.name
        try:
            info = HashSetStore(self.db.engine).extend(
                set_name,
                digests,
                entries=1,
                kind="notable",
                imported_by=self.actor.username,
                source="approved notable marks",
            )
        except LccuError as exc:
            self.audit.write(
                self.actor,
                "notable.approve",
                allowed=False,
                object_type="notable_mark",
                object_id=mark.id,
                detail={"why": str(exc)},
            )
            raise
        self._allow(
            "notable.approve",
            object_type="notable_mark",
            object_id=mark.id,
            detail={
                "set": info.name,
                "version": info.version,
                "sha256": mark.sha256,
                "md5": mark.md5,
                "sha1": mark.sha1,
                "category": mark.category,
                "proposed_by": mark.proposed_by,
                "zone": zone,
            },
        )
        return self._decided(mark.id, APPROVED, None, info.name, info.version, zone)

    def reject_mark(self, mark_id: str, *, reason: str) -> MarkInfo:
        """Keep a proposed file out of the unit's set, with the reason (unit admin). The
        mark stays, as rejected (the case's readers and the admin still list it); no set
        gets a new version."""
        self._require_mark_admin("notable.reject")
        why = check_text("reason", reason)
        if not why:
            raise InvalidInput("a rejection needs a reason", key="rejection_reason_needed")
        with self.db.session() as session:
            mark = self._proposed(session, mark_id, "notable.reject")
            case = session.get(Case, mark.case_id)
            assert case is not None
            zone = case.zone.name
        # the same facts as an approval's entry: the audit chain alone says which hashes
        # were kept out of the unit's set, of what category, proposed by whom
        self._allow(
            "notable.reject",
            object_type="notable_mark",
            object_id=mark.id,
            justification=why,
            detail={
                "sha256": mark.sha256,
                "md5": mark.md5,
                "sha1": mark.sha1,
                "category": mark.category,
                "proposed_by": mark.proposed_by,
                "zone": zone,
            },
        )
        return self._decided(mark.id, REJECTED, why, None, None, zone)

    def _decided(
        self,
        mark_id: str,
        state: str,
        why: str | None,
        set_name: str | None,
        version: int | None,
        zone: str,
    ) -> MarkInfo:
        with self.db.session() as session:
            mark = session.get(NotableMark, mark_id)
            assert mark is not None
            mark.state, mark.decided_by, mark.decided_at = state, self.actor.username, _now()
            mark.decision_reason, mark.set_name, mark.set_version = why, set_name, version
            session.flush()
            return MarkInfo.of(mark, zone, None)
