"""Disclosures: writing a case's custody log or its CASE/UCO export to a file, each recorded
as an ``exported`` custody event.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from lccu.evidence.chain import (
    COUNTERSIGN_ROLES,
    Problem,
    VerifyResult,
    named_party,
    verify_events,
)
from lccu.evidence.custody import (
    load_countersignatures,
    load_events,
    load_registry,
    signer_keys,
)
from lccu.evidence.lab_base import LabBase, unit_public_key
from lccu.evidence.models import EvidenceItem
from lccu.evidence.records import CaseInfo, EvidenceInfo


class LabExport(LabBase):
    """Exports (disclosures) of a case."""

    # -- exports -------------------------------------------------------------------------

    def export_custody(self, case_ref: str, path: str | os.PathLike[str], *,
                       recipient: str | None = None) -> VerifyResult:
        """Write the case's custody log as JSON Lines with the public keys needed to verify it.

        An export is a disclosure: ``recipient`` (court, defence, magistrate) goes into the
        audit entry and the ``exported`` custody event."""
        from lccu.evidence.export import write_export

        target = Path(path)
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "custody.export", justification=recipient,
                                  signs=True)
            head = self._append(session, case, "exported", reason="custody log exported",
                                details={"file": target.name, "recipient": recipient})
        self._anchor(head)
        with self.db.session() as session:
            case = self._find_case(session, head["case_id"])
            events = load_events(session, case.id)
            signatures = load_countersignatures(session, case.id)
            # actors, countersigners, and every party a hand-over names who is a user: a
            # party with a key line in the file is a user (pending, not unsignable)
            wanted = {e["actor"] for e in events} | {c["signer"] for c in signatures}
            wanted |= {p for e in events for r in COUNTERSIGN_ROLES
                       if (p := named_party(e, r)) is not None}
            keys = signer_keys(session, wanted)
            ring, registry_problems = self._key_ring(session)
            anchors, _ = self.anchors.read(case.id, ring)
            remote = self.anchors.read_remote(case.id, ring, self.settings)
            if remote is not None:  # other hosts' anchors too, each sequence number once
                by_seq = {a.seq: a for a in remote[0]} | {a.seq: a for a in anchors}
                anchors = sorted(by_seq.values(), key=lambda a: a.seq)
            write_export(target, CaseInfo.of(case), events, keys, anchors, self.actor.username,
                         countersignatures=signatures, registry=load_registry(session),
                         unit_key=unit_public_key(self.settings, self.keys))
        result = verify_events(events, ring, case_id=head["case_id"], anchors=anchors,
                               countersignatures=signatures)
        result.problems += [Problem(None, problem) for problem in registry_problems]
        return result

    def export_case_uco(self, case_ref: str, path: str | os.PathLike[str], *,
                        recipient: str | None = None) -> Path:
        """Write the case, its items, custody and the tags on their files as CASE/UCO
        JSON-LD (a disclosure: logged with its ``recipient``)."""
        from lccu.report.case_uco import write_case_export

        target = Path(path)
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "case.export", justification=recipient,
                                  signs=True)
            head = self._append(session, case, "exported", reason="CASE/UCO export",
                                details={"file": target.name, "format": "case-uco",
                                         "recipient": recipient})
        self._anchor(head)
        with self.db.session() as session:
            case = self._find_case(session, head["case_id"])
            items = [EvidenceInfo.of(i) for i in session.scalars(
                select(EvidenceItem).where(EvidenceItem.case_id == case.id)
                .order_by(EvidenceItem.exhibit_number))]
            from lccu.evidence.tags import FileTag, TagInfo

            by_id = {i.id: i.exhibit_number for i in items}
            tags = [TagInfo.of(t, by_id.get(t.evidence_id, "")) for t in session.scalars(
                select(FileTag).where(FileTag.case_id == case.id, FileTag.removed_at.is_(None))
                .order_by(FileTag.created_at, FileTag.id))]
            return write_case_export(target, CaseInfo.of(case), items,
                                     load_events(session, case.id), tags)
