"""Processing runs and their reports, reached through their evidence item: the runs part
of :class:`~lccu.evidence.lab.Lab`.

A run, its report and its derived files belong to one item; every read goes through the
item's access check in the gate (:mod:`lccu.evidence.gate`), a run id that is not one of
the named item's is "no such run" whatever zone it belongs to, and every read is audited.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lccu.errors import NotFound
from lccu.evidence.gate import Gate
from lccu.evidence.lab_base import LabBase
from lccu.evidence.models import Case, CustodyEvent, EvidenceItem
from lccu.evidence.run_queue import RunQueue

if TYPE_CHECKING:
    from lccu.evidence.runstate import ProcessingRun


def item_runs(
    gate: Gate,
    session: Session,
    evidence: str,
    run_id: str | None,
    operation: str,
    *,
    audit: bool = True,
) -> tuple[Case, EvidenceItem, list[ProcessingRun]]:
    """The item's run ``run_id`` (refused unless it is one of the item's), else all its runs
    newest first: the one access decision on the item, audited once as ``operation``, that
    each read of a run's timeline or report starts with. With ``audit=False`` only a
    refusal is audited here; the caller audits the allowed access with what it read."""
    from lccu.evidence.runstate import ProcessingRun

    if run_id is not None:
        case, item, run = gate.run(session, evidence, run_id, operation, audit=audit)
        return case, item, [run]
    case, item = gate.item(session, evidence, operation, audit=audit)
    runs = session.scalars(
        select(ProcessingRun)
        .where(ProcessingRun.evidence_id == item.id)
        .order_by(ProcessingRun.submitted_at.desc())
    )
    return case, item, list(runs)


def finished_of(runs: list[ProcessingRun], evidence: str, fmt: str) -> tuple[str, str]:
    """The run id and stored key of the ``fmt`` (json or html) report of the first of
    ``runs`` (newest first) that finished; :class:`NotFound` when none did."""
    for run in runs:
        if run.state == "done" and run.report_key:
            key = str(run.report_key)  # report-<run>.json (older: <run>/report.json)
            if fmt == "html":
                key = key.removesuffix(".json") + ".html"
            return str(run.id), key
    raise NotFound(
        f"no finished processing run for {evidence}; see `lccu status {evidence}`",
        key="not_processed",
    )


def timeline_key(session: Session, run_id: str) -> str | None:
    """The stored result key of the run's finished ``timeline`` stage, None before."""
    from lccu.evidence.runstate import StageRun

    key = session.scalar(
        select(StageRun.result_key).where(
            StageRun.run_id == run_id,
            StageRun.stage == "timeline",
            StageRun.state == "done",
        )
    )
    return str(key) if key else None


def newest_timeline(
    session: Session, runs: list[ProcessingRun], evidence: str
) -> tuple[ProcessingRun, str]:
    """The first of ``runs`` (newest first) with a finished ``timeline`` stage, and that
    stage's result key; :class:`NotFound` when none has one."""
    for run in runs:
        key = timeline_key(session, run.id)
        if key:
            return run, key
    raise NotFound(
        f"no finished timeline for {evidence}; see `lccu status {evidence}`",
        key="not_processed",
    )


def _status(run: Any, stages: Any) -> dict[str, Any]:
    from lccu.evidence.runstate import PRIORITIES

    options = json.loads(run.options or "{}")  # runs from before the options: defaults
    return {
        "run": run.id,
        "evidence": run.evidence_id,
        "zone": run.zone,
        "state": run.state,
        "priority": next(k for k, v in PRIORITIES.items() if v == run.priority),
        "submitted_by": run.submitted_by,
        "submitted_at": run.submitted_at,
        "finished_at": run.finished_at,
        "reason": run.reason,
        "report": run.report_key,
        "outcome": run.outcome if run.state == "done" else None,
        "findings": json.loads(run.findings) if run.findings else None,
        "options": {
            "yara": options.get("yara", True),
            "carve": options.get("carve", "all"),
            "expand": options.get("expand", False),
        },
        "stages": [
            {
                "stage": s.stage,
                "segment": s.segment,
                "range": [s.seg_start, s.seg_end],
                "state": s.state,
                "progress": [s.progress_done, s.progress_total],
                "worker": s.worker_host,
                "attempts": s.attempts,
                "reason": s.reason,
                "started_at": s.started_at,
                "finished_at": s.finished_at,
                "reused": bool(s.reused),
            }
            for s in stages
        ],
    }


def _hashset_findings(session: Session, run: Any) -> dict[str, Any] | None:
    """What the run's hashsets stage found (the set versions, how many known and notable
    files), from its ``processed`` custody event: there as soon as that stage is done,
    before the report; None before (or when no hash set was active)."""
    details = session.scalar(
        select(CustodyEvent.details)
        .where(
            CustodyEvent.evidence_id == run.evidence_id,
            CustodyEvent.action == "processed",
            # lccu.tasks.runner.stage_reason of the one hashsets stage of this run
            CustodyEvent.reason == f"stage hashsets segment 0 of processing run {run.id}",
        )
        .limit(1)
    )
    if details is None:
        return None
    found = json.loads(details).get("hashsets")
    return found if isinstance(found, dict) else None


class LabRuns(LabBase):
    """Processing runs and reports, behind their item's access check."""

    def queue_run(
        self,
        evidence: str,
        *,
        priority: int,
        options: str,
        stages: list[tuple[str, int, int, int, bool]],
        token_due: int | None,
    ) -> str:
        """Record a new processing run of ``evidence`` and its stage rows (stage, segment,
        start, end, runnable now) under the queue lock; returns the run id. The submitter
        needs to be able to add to the item's case (``run.submit``: processing appends
        custody events), decided and audited by the gate. The plan itself is
        :func:`lccu.tasks.submit.submit`'s."""
        from lccu.evidence.fair_queue import lock_queue, now_text
        from lccu.evidence.runstate import ProcessingRun, StageRun

        now = now_text()
        with self.db.session() as session:
            case, item = self.gate.item(session, evidence, "run.submit", write=True)
            lock_queue(session)
            run = ProcessingRun(
                evidence_id=item.id,
                case_id=case.id,
                zone=self.actor.zone or "",
                priority=priority,
                state="queued",
                submitted_by=self.actor.username,
                submitted_at=now,
                options=options,
            )
            session.add(run)
            session.flush()
            for stage, segment, start, end, ready in stages:
                session.add(
                    StageRun(
                        run_id=run.id,
                        stage=stage,
                        segment=segment,
                        seg_start=start,
                        seg_end=end,
                        zone=run.zone,
                        priority=run.priority,
                        state="queued" if ready else "waiting",
                        queued_at=now,
                        token_due=token_due if ready else None,
                        attempts=0,
                        progress_done=0,
                        reused=0,
                    )
                )
            return str(run.id)

    @property
    def run_queue(self) -> RunQueue:
        """The work queue's database steps (:class:`~lccu.evidence.run_queue.RunQueue`),
        for the workers' runner."""
        return RunQueue(self.db)

    def recover_stages(self) -> int:
        """Put stages whose lease expired (their worker died or hung, or an interrupted
        ``lccu process``) back in the queue; returns how many (one work token each).
        Queue bookkeeping, no case contents: no access decision."""
        from lccu.evidence.fair_queue import recover

        with self.db.session() as session:
            return recover(session)

    def overdue_tokens(self, limit: int) -> int:
        """Up to ``limit`` queued stages whose work token is overdue, marked as sent now;
        returns how many tokens to send (:func:`lccu.evidence.fair_queue.due_tokens`)."""
        from lccu.evidence.fair_queue import due_tokens

        with self.db.session() as session:
            return due_tokens(session, limit)

    def check_unit_view(
        self, operation: str = "workers.read", *, audit_allowed: bool = True
    ) -> None:
        """Refuse (audited) anyone but an operator the view of the workers and queues of
        every zone; audit an operator's look (unless ``audit_allowed`` is false)."""
        self.gate.unit_view(operation, audit_allowed=audit_allowed)

    def run_status(self, run_id: str, *, evidence: str | None = None) -> dict[str, Any]:
        """A run and its stages as plain data (what ``lccu status --json`` prints).

        With ``evidence`` the run must be one of that item's (else :class:`NotFound`, the
        same whether the run is another zone's or does not exist); either way the run's
        case must be visible to the acting user. Audited as ``run.read``."""
        from lccu.evidence.runstate import StageRun

        with self.db.session() as session:
            if evidence is not None:
                _case, _item, run = self.gate.run(session, evidence, run_id)
            else:
                _case, _item, run = self.gate.run_by_id(session, run_id)
            stages = session.scalars(
                select(StageRun).where(StageRun.run_id == run.id).order_by(StageRun.id)
            )
            return {**_status(run, stages), "hashsets": _hashset_findings(session, run)}

    def runs_of(self, evidence: str | None = None) -> list[str]:
        """Run ids, newest first: of one evidence item (its access checked and audited as
        ``run.list``), or of every run submitted from the acting user's zone."""
        from lccu.evidence.runstate import ProcessingRun

        with self.db.session() as session:
            query = select(ProcessingRun.id).order_by(ProcessingRun.submitted_at.desc())
            if evidence is not None:
                _case, item = self.gate.item(session, evidence, "run.list")
                query = query.where(ProcessingRun.evidence_id == item.id)
            else:
                query = query.where(ProcessingRun.zone == (self.actor.zone or ""))
            return list(session.scalars(query))

    def case_runs(self, case_ref: str) -> dict[str, dict[str, Any]]:
        """The newest run of each item of a case, by item id (``run``, ``state``,
        ``outcome``, ``submitted_at``, ``finished_at``, ``report``: whether it wrote one):
        what the case page shows per item, read in one decision on the case (audited once
        as ``run.list``) rather than one per item."""
        from lccu.evidence.runstate import ProcessingRun

        with self.db.session() as session:
            case = self._case_for(session, case_ref, "run.list")
            runs = session.scalars(
                select(ProcessingRun)
                .where(ProcessingRun.case_id == case.id)
                .order_by(ProcessingRun.submitted_at.desc())
            )
            newest: dict[str, dict[str, Any]] = {}
            for run in runs:
                newest.setdefault(
                    run.evidence_id,
                    {
                        "run": run.id,
                        "state": run.state,
                        "outcome": run.outcome if run.state == "done" else None,
                        "submitted_at": run.submitted_at,
                        "finished_at": run.finished_at,
                        "report": run.state == "done" and run.report_key is not None,
                    },
                )
            return newest

    def timeline_result(self, evidence: str, run_id: str | None = None) -> tuple[str, str, str]:
        """The item id, run id and stored stage-result key of the finished ``timeline``
        stage of the newest run of ``evidence`` that has one (or of its run ``run_id``);
        :class:`NotFound` when there is none. Audited once as ``derived.read``."""
        with self.db.session() as session:
            _case, item, runs = item_runs(self.gate, session, evidence, run_id, "derived.read")
            run, key = newest_timeline(session, runs, evidence)
            return str(item.id), str(run.id), key

    def linked_file_key(self, evidence: str, relative: str) -> str:
        """The derived-store key of ``relative`` (an exported file a report of ``evidence``
        links: ``<stage>/files/...``, checked by the caller), audited once as
        ``derived.read`` with that path, so that the audit log says which file was
        consulted, not only that the item was."""
        with self.db.session() as session:
            case, item = self.gate.item(session, evidence, "derived.read", audit=False)
            self.gate.allow(
                "derived.read",
                case=case,
                object_type="evidence",
                object_id=item.id,
                detail={"path": relative[:4096]},
            )
            return f"{item.id}/{relative}"

    def finished_report(
        self, evidence: str, run_id: str | None = None, fmt: str = "json"
    ) -> tuple[str, str]:
        """The run id and stored key of the ``fmt`` (json or html) report of the newest
        finished run of ``evidence``, or of its run ``run_id`` (which must be one of this
        item's); :class:`NotFound` when there is none. Audited as ``report.read``."""
        with self.db.session() as session:
            _case, _item, runs = item_runs(self.gate, session, evidence, run_id, "report.read")
            return finished_of(runs, evidence, fmt)
