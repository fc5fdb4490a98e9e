"""Reading and verifying the audit log, which only a data protection officer may do."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from lccu.errors import InvalidInput
from lccu.evidence.anchors import AuditAnchors
from lccu.evidence.audit_query import AuditFilter, AuditRow, audit_page
from lccu.evidence.lab_base import LabBase
from lccu.evidence.models import AuditEntry
from lccu.evidence.records import AuditRecord


class LabAudit(LabBase):
    """The audit log, for the data protection officer."""

    # -- audit --------------------------------------------------------------------------------

    def audit_log(self, *, zone: str | None = None,
                  limit: int | None = None) -> list[AuditRecord]:
        """The audit log: all zones for a data protection officer, nobody else (detached
        records: no database object leaves the library)."""
        if self.actor.role != "dpo":
            raise self._deny("audit.read", "only a data protection officer reads the audit log")
        self._allow("audit.read", detail={"zone": zone})
        with self.db.session() as session:
            return [AuditRecord.of(e) for e in self.audit.entries(session, zone=zone,
                                                                 limit=limit)]

    def audit_page(self, filters: AuditFilter | None = None, *, offset: int = 0,
                   limit: int = 100) -> tuple[int, list[AuditRow]]:
        """One page of the audit log, newest first, filtered in the database, with case
        numbers, exhibit numbers and users' names beside the ids; and how many entries
        match. A data protection officer only; audited as ``audit.read`` with the
        filters."""
        filt = filters or AuditFilter()
        if self.actor.role != "dpo":
            raise self._deny("audit.read", "only a data protection officer reads the audit log")
        if offset < 0 or not 0 < limit <= 10_000:
            raise InvalidInput("offset must be 0 or more and limit 1 to 10000")
        shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                 for k, v in vars(filt).items() if v is not None}
        self._allow("audit.read", detail={"filters": shown, "offset": offset})
        with self.db.session() as session:
            return audit_page(session, filt, offset, limit)

    def audit_export(self, filters: AuditFilter | None = None) -> Iterator[AuditRow]:
        """Every entry that matches, newest first, read a page at a time (the CSV the DPO
        hands over). A data protection officer only; audited once as ``audit.export``."""
        filt = filters or AuditFilter()
        if self.actor.role != "dpo":
            raise self._deny("audit.export", "only a data protection officer exports the "
                             "audit log")
        shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                 for k, v in vars(filt).items() if v is not None}
        self._allow("audit.export", detail={"filters": shown})
        with self.db.session() as session:
            first = session.scalar(select(func.max(AuditEntry.seq))) or 0
        offset = 0
        while True:
            with self.db.session() as session:
                _total, rows = audit_page(session, filt, offset, 1000, up_to=first)
            yield from rows
            if len(rows) < 1000:
                return
            offset += len(rows)

    def verify_audit(self) -> list[str]:
        """Problems in the audit log's hash chain, including a tail cut off after its last
        anchor; empty when intact (dpo only)."""
        if self.actor.role != "dpo":
            raise self._deny("audit.verify", "only a data protection officer verifies the log")
        anchors, complaints = AuditAnchors(self.settings.anchor_dir).read(self.settings)
        with self.db.session() as session:
            return complaints + self.audit.verify(session, anchors)
