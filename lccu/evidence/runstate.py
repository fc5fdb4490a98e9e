"""Run state of the processing queue, kept in the case database (tables from migration 0002).

The ORM models live in :mod:`lccu.evidence` with the others (nothing outside it imports
them; the queue's rules that use them are :mod:`lccu.evidence.fair_queue`);
:mod:`lccu.tasks.state` re-exports only the constants.

A :class:`ProcessingRun` is one request to process one evidence item; its
:class:`StageRun` rows are the units a worker claims (one per stage, or one per segment
for carving and YARA). :class:`StageResult` remembers finished work by what determines it
(evidence SHA-256, stage, segment, tool and rule versions) so a rerun reuses it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lccu.evidence.models import Base, new_uuid

PRIORITIES = {"urgent": 0, "normal": 1}
STAGE_STATES = ("waiting", "queued", "running", "done", "failed")
TERMINAL = ("done", "failed")


class ProcessingRun(Base):
    __tablename__ = "processing_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    zone: Mapped[str] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40))
    options: Mapped[str] = mapped_column(Text, default="{}")
    report_key: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # migration 0010: the report's outcome and findings (lccu.report.findings), as JSON
    outcome: Mapped[str | None] = mapped_column(String(30))
    findings: Mapped[str | None] = mapped_column(Text)


class StageRun(Base):
    __tablename__ = "stage_runs"
    __table_args__ = (UniqueConstraint("run_id", "stage", "segment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("processing_runs.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    segment: Mapped[int] = mapped_column(Integer, default=0)
    seg_start: Mapped[int] = mapped_column(BigInteger, default=0)
    seg_end: Mapped[int] = mapped_column(BigInteger, default=0)
    # copied from the run so the claim query needs no join
    zone: Mapped[str] = mapped_column(String(100), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="waiting", index=True)
    queued_at: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[str | None] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40))
    claim_seq: Mapped[int | None] = mapped_column(BigInteger)  # global turn counter (fairness)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    worker_host: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[int | None] = mapped_column(BigInteger)  # unix seconds
    # migration 0009: while queued, when the janitor may send it another token (unix seconds)
    token_due: Mapped[int | None] = mapped_column(BigInteger)
    heartbeat_at: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress_done: Mapped[int] = mapped_column(BigInteger, default=0)
    progress_total: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    cache_key: Mapped[str | None] = mapped_column(String(64))
    result_key: Mapped[str | None] = mapped_column(Text)
    result_digest: Mapped[str | None] = mapped_column(String(64))
    reused: Mapped[int] = mapped_column(Integer, default=0)


class StageResult(Base):
    __tablename__ = "stage_results"

    cache_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    evidence_sha256: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    segment: Mapped[int] = mapped_column(Integer)
    versions: Mapped[str] = mapped_column(Text)
    result_key: Mapped[str] = mapped_column(Text)
    result_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))


class WorkerProcess(Base):
    """One running `lccu worker` process (migration 0006): registered at start, its heartbeat
    renewed by the janitor, removed on a clean stop (a killed one goes stale)."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(40))
    threads: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[str] = mapped_column(String(40))
    heartbeat_at: Mapped[str] = mapped_column(String(40))
    heartbeat_unix: Mapped[int] = mapped_column(BigInteger, index=True)
    metrics_url: Mapped[str | None] = mapped_column(Text)
