"""A case's timelines (issue #17): where each processed item's stored timeline is, and
which of its files are tagged: the case-wide timeline part of :class:`~lccu.evidence.lab.Lab`.

One gate decision on the case (``derived.read``), audited once, covers every item of it: a
user of another zone without a share is refused once, whatever the number of items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from lccu.evidence.lab_base import LabBase
from lccu.evidence.lab_runs import item_runs, newest_timeline
from lccu.evidence.models import EvidenceItem


@dataclass(frozen=True)
class ItemTimeline:
    """One item's newest finished timeline stage: its stored CSV (``timeline_key``) and
    stage result (``result_key``), and the run's report (for file types and hash-set hits)
    when the run finished."""

    evidence_id: str
    exhibit_number: str
    run_id: str
    result_key: str
    report_key: str | None


@dataclass(frozen=True)
class CaseTimelines:
    """The items of a case that have a timeline, by exhibit number, and the files tagged
    in it as ``(evidence id, volume, path)``; ``missing`` names the items without one."""

    case_id: str
    case_number: str
    items: list[ItemTimeline]
    missing: list[str]
    tagged: frozenset[tuple[str, int, str]] = field(default_factory=frozenset)


class LabTimelines(LabBase):
    """``lab.case_timelines`` and ``lab.item_timeline``."""

    def item_timeline(self, evidence: str, run_id: str | None = None) -> CaseTimelines:
        """One item's newest finished ``timeline`` stage (or that of its run ``run_id``) as a
        one-item :class:`CaseTimelines`, with its run's report and the item's tagged files, so
        the item page filters by type, deleted and notable/known like the case page. One
        access decision on the item, audited once as ``derived.read``; NotFound without one."""
        from lccu.evidence.tags import FileTag

        with self.db.session() as session:
            case, item, runs = item_runs(self.gate, session, evidence, run_id, "derived.read")
            run, key = newest_timeline(session, runs, evidence)
            report = run.report_key if run.state == "done" and run.report_key else None
            tagged = frozenset(
                (str(e), int(v), str(p))
                for e, v, p in session.execute(
                    select(FileTag.evidence_id, FileTag.volume, FileTag.path).where(
                        FileTag.evidence_id == item.id, FileTag.removed_at.is_(None)
                    )
                )
            )
            found = ItemTimeline(
                str(item.id),
                item.exhibit_number,
                str(run.id),
                key,
                str(report) if report else None,
            )
            return CaseTimelines(str(case.id), case.number, [found], [], tagged)

    def case_timelines(self, case_ref: str) -> CaseTimelines:
        """Every item of the case with the newest of its runs that finished a ``timeline``
        stage; access decided on the case and audited once as ``derived.read``."""
        from lccu.evidence.runstate import ProcessingRun, StageRun
        from lccu.evidence.tags import FileTag

        with self.db.session() as session:
            case = self.gate.case(session, case_ref, "derived.read")
            items = list(
                session.scalars(
                    select(EvidenceItem)
                    .where(EvidenceItem.case_id == case.id)
                    .order_by(EvidenceItem.exhibit_number, EvidenceItem.id)
                )
            )
            found: list[ItemTimeline] = []
            missing: list[str] = []
            for item in items:
                row = session.execute(
                    select(
                        ProcessingRun.id,
                        ProcessingRun.state,
                        ProcessingRun.report_key,
                        StageRun.result_key,
                    )
                    .join(StageRun, StageRun.run_id == ProcessingRun.id)
                    .where(
                        ProcessingRun.evidence_id == item.id,
                        StageRun.stage == "timeline",
                        StageRun.state == "done",
                        StageRun.result_key.is_not(None),
                    )
                    .order_by(ProcessingRun.submitted_at.desc())
                    .limit(1)
                ).first()
                if row is None:
                    missing.append(item.exhibit_number)
                    continue
                run_id, state, report_key, result_key = row
                found.append(
                    ItemTimeline(
                        str(item.id),
                        item.exhibit_number,
                        str(run_id),
                        str(result_key),
                        str(report_key) if state == "done" and report_key else None,
                    )
                )
            tagged = frozenset(
                (str(e), int(v), str(p))
                for e, v, p in session.execute(
                    select(FileTag.evidence_id, FileTag.volume, FileTag.path).where(
                        FileTag.case_id == case.id, FileTag.removed_at.is_(None)
                    )
                )
            )
            return CaseTimelines(str(case.id), case.number, found, missing, tagged)
