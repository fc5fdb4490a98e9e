"""Disclosures: writing a case's custody log or its CASE/UCO export to a file, each recorded
as an ``exported`` custody event; and copying a run's processing report (with the exported
files its page links) out of lccu, recorded in the audit log (``report.export``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from lccu.errors import InvalidInput, NotFound, StorageError
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
from lccu.evidence.lab_runs import finished_of, item_runs
from lccu.evidence.models import EvidenceItem
from lccu.evidence.records import CaseInfo, EvidenceInfo
from lccu.outfile import output_file


@dataclass(frozen=True)
class ReportCopy:
    """What :meth:`LabExport.export_run_report` wrote: the run's report at ``path`` and
    ``files`` exported files (``bytes`` in all) beside it, of the ``linked`` it names."""

    run: str
    path: Path
    files: int
    bytes: int
    linked: int


class LabExport(LabBase):
    """Exports (disclosures) of a case."""

    # -- exports -------------------------------------------------------------------------

    def export_custody(
        self, case_ref: str, path: str | os.PathLike[str], *, recipient: str | None = None
    ) -> VerifyResult:
        """Write the case's custody log as JSON Lines with the public keys needed to verify it.

        An export is a disclosure: ``recipient`` (court, defence, magistrate) goes into the
        audit entry and the ``exported`` custody event."""
        from lccu.evidence.export import write_export

        target = Path(path)
        with self.db.session() as session:
            case = self._case_for(
                session, case_ref, "custody.export", justification=recipient, signs=True
            )
            head = self._append(
                session,
                case,
                "exported",
                reason="custody log exported",
                details={"file": target.name, "recipient": recipient},
            )
        self._anchor(head)
        with self.db.session() as session:
            case = self._find_case(session, head["case_id"])
            events = load_events(session, case.id)
            signatures = load_countersignatures(session, case.id)
            # actors, countersigners, and every party a hand-over names who is a user: a
            # party with a key line in the file is a user (pending, not unsignable)
            wanted = {e["actor"] for e in events} | {c["signer"] for c in signatures}
            wanted |= {
                p for e in events for r in COUNTERSIGN_ROLES if (p := named_party(e, r)) is not None
            }
            keys = signer_keys(session, wanted)
            ring, registry_problems = self._key_ring(session)
            anchors, _ = self.anchors.read(case.id, ring)
            remote = self.anchors.read_remote(case.id, ring, self.settings)
            if remote is not None:  # other hosts' anchors too, each sequence number once
                by_seq = {a.seq: a for a in remote[0]} | {a.seq: a for a in anchors}
                anchors = sorted(by_seq.values(), key=lambda a: a.seq)
            write_export(
                target,
                CaseInfo.of(case),
                events,
                keys,
                anchors,
                self.actor.username,
                countersignatures=signatures,
                registry=load_registry(session),
                unit_key=unit_public_key(self.settings, self.keys),
            )
        result = verify_events(
            events, ring, case_id=head["case_id"], anchors=anchors, countersignatures=signatures
        )
        result.problems += [Problem(None, problem) for problem in registry_problems]
        return result

    def export_case_uco(
        self, case_ref: str, path: str | os.PathLike[str], *, recipient: str | None = None
    ) -> Path:
        """Write the case, its items, custody and the tags on their files as CASE/UCO
        JSON-LD (a disclosure: logged with its ``recipient``)."""
        from lccu.report.case_uco import write_case_export

        target = Path(path)
        with self.db.session() as session:
            case = self._case_for(
                session, case_ref, "case.export", justification=recipient, signs=True
            )
            head = self._append(
                session,
                case,
                "exported",
                reason="CASE/UCO export",
                details={"file": target.name, "format": "case-uco", "recipient": recipient},
            )
        self._anchor(head)
        with self.db.session() as session:
            case = self._find_case(session, head["case_id"])
            items = [
                EvidenceInfo.of(i)
                for i in session.scalars(
                    select(EvidenceItem)
                    .where(EvidenceItem.case_id == case.id)
                    .order_by(EvidenceItem.exhibit_number)
                )
            ]
            from lccu.evidence.tags import FileTag, TagInfo

            by_id = {i.id: i.exhibit_number for i in items}
            tags = [
                TagInfo.of(t, by_id.get(t.evidence_id, ""))
                for t in session.scalars(
                    select(FileTag)
                    .where(FileTag.case_id == case.id, FileTag.removed_at.is_(None))
                    .order_by(FileTag.created_at, FileTag.id)
                )
            ]
            return write_case_export(
                target, CaseInfo.of(case), items, load_events(session, case.id), tags
            )

    def export_run_report(
        self,
        evidence: str,
        output: str | os.PathLike[str],
        *,
        run_id: str | None = None,
        fmt: str = "json",
        files: bool = True,
        recipient: str | None = None,
    ) -> ReportCopy:
        """Write the stored ``fmt`` (json or html) report of the newest finished run of
        ``evidence`` (or of its run ``run_id``) to the file ``output``.

        An HTML page gets the exported files it links copied beside it from the derived
        store (same relative paths; nothing outside its folder, nothing overwritten), so
        that its links resolve. With ``files=False`` nothing but the page is written: its
        links become plain text and a note on the page (Dutch and English) says the files
        were not copied and which command writes them. JSON is the stored report as it is:
        its ``exported`` paths stay relative to ``derived/<evidence id>/`` in the store and
        no file is ever copied with it.

        Evidence-derived data leaves lccu here, so it is audited once as ``report.export``
        before anything is written: the run, format, page, destination folder, whether
        files were copied, how many and how many bytes, with ``recipient`` as the
        justification. A refusal is audited by the gate; a failing audit log stops it."""
        from lccu.report.linked import (
            copy_files,
            linked_names,
            not_copied_note,
            plan_copy,
            without_file_links,
        )
        from lccu.storage import open_store

        if fmt not in ("json", "html"):
            raise InvalidInput(f"a processing report is json or html, not {fmt!r}")
        target = Path(output)
        if target.is_dir():
            raise InvalidInput(f"-o {target} is a directory; give a file name")
        folder = target.parent.resolve()
        copy = files and fmt == "html"
        store = open_store(self.settings)
        try:
            with self.db.session() as session:
                case, item, runs = item_runs(
                    self.gate, session, evidence, run_id, "report.export", audit=False
                )
                detail = {
                    "access": self.gate.decide(case).why,
                    "exhibit": item.exhibit_number,
                    "format": fmt,
                }
                try:
                    run, key = finished_of(runs, evidence, fmt)
                except NotFound:
                    self._allow(
                        "report.export",
                        case=case,
                        object_type="evidence",
                        object_id=item.id,
                        justification=recipient,
                        detail={**detail, "run": None, "written": False},
                    )
                    raise
                page: bytes | None = None
                planned = []
                linked = 0
                if fmt == "html":
                    with store.open_derived(key) as fh:
                        page = fh.read()
                    text = page.decode("utf-8", errors="surrogateescape")
                    linked = len(linked_names(text))
                    if copy:
                        planned = plan_copy(store, key, text, folder)
                    else:
                        note = not_copied_note(item.id, run, target.name)
                        page = without_file_links(text, note).encode("utf-8", "surrogateescape")
                self._allow(
                    "report.export",
                    case=case,
                    object_type="evidence",
                    object_id=item.id,
                    justification=recipient,
                    detail={
                        **detail,
                        "run": run,
                        "page": str(folder / target.name),
                        "destination": str(folder),
                        "files_copied": copy,
                        "files": len(planned),
                        "bytes": sum(p.size for p in planned),
                        "linked": linked,
                    },
                )
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot write {target}: {exc.strerror or exc}") from exc
            with output_file(target) as out:
                if page is not None:
                    out.write(page)
                else:
                    with store.open_derived(key) as fh:
                        shutil.copyfileobj(fh, out, 4 * 1024 * 1024)
            copied, size = copy_files(store, planned, folder) if planned else (0, 0)
        finally:
            store.close()
        return ReportCopy(run, target, copied, size, linked)
