"""Reading and verifying the audit log, which only a data protection officer may do."""

from __future__ import annotations

from lccu.evidence.anchors import AuditAnchors
from lccu.evidence.lab_base import LabBase
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

    def verify_audit(self) -> list[str]:
        """Problems in the audit log's hash chain, including a tail cut off after its last
        anchor; empty when intact (dpo only)."""
        if self.actor.role != "dpo":
            raise self._deny("audit.verify", "only a data protection officer verifies the log")
        anchors, complaints = AuditAnchors(self.settings.anchor_dir).read(self.settings)
        with self.db.session() as session:
            return complaints + self.audit.verify(session, anchors)
