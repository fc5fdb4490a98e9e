"""The fair queue: which stage a free worker runs next, leases, and exactly-once completion.

Dramatiq messages are only *work tokens*; the choice of work is made here, when a worker is
free, in one serialised transaction: the queued stage with the best priority, then of the
zone with the fewest running stages, then of the zone served least recently (largest
``claim_seq`` oldest), then the oldest. So a zone with twenty items queued does not hold up
another zone's single item, whatever order the tokens sit in Redis.

Claims and completions are serialised by :func:`lock_queue` (a PostgreSQL advisory lock; on
SQLite the first statement takes the database write lock). They are short: no engine runs
while the lock is held.

These rules are functions of a session on the run state's ORM rows, so they live in
:mod:`lccu.evidence` (nothing outside it opens sessions or imports ORM models, issue 14);
:mod:`lccu.tasks.queue` re-exports them for the workers, and
:class:`~lccu.evidence.run_queue.RunQueue` runs each in its own transaction.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from lccu.config import current_settings
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.runstate import TERMINAL, ProcessingRun, StageResult, StageRun

#: stage -> the stages that must be finished (done or failed) before it may run
DEPENDS: dict[str, tuple[str, ...]] = {
    "hash": (), "files": (), "carve": (), "yara": (),
    "archives": ("files", "carve"), "yara-files": ("files", "carve", "archives"),
    "timeline": ("files",),
    "hashsets": ("files", "carve", "archives"),
    "thumbnails": ("files", "carve", "archives"),
    "report": ("hash", "files", "carve", "yara", "archives", "yara-files", "timeline",
               "hashsets", "thumbnails"),
}
_LOCK_ID = 0x1CC0


def lease_seconds() -> int:
    """A stage's lease (``LCCU_LEASE_SECONDS``)."""
    return current_settings().lease_seconds


def now_text() -> str:
    return format_time(utc_now())


def lock_queue(session: Session) -> None:
    """Serialise queue transactions across every worker process and server."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
    else:  # SQLite: a write as first statement takes the write lock now, not at commit
        session.execute(update(StageRun).where(StageRun.id == -1).values(attempts=0))


@dataclass(frozen=True)
class Claim:
    stage_id: int
    run_id: str
    evidence_id: str
    case_id: str
    stage: str
    segment: int
    seg_start: int
    seg_end: int
    token: str
    options: dict[str, Any]
    result_key: str | None  # set when a previous holder finished the work but not the record
    reused: bool = False  # that previous holder's result was a stored one, not computed


def token_grace() -> int:
    """How long a queued stage's work token may take to reach a free worker before the
    janitor sends it another one: half a lease (the janitor's own period)."""
    return max(1, lease_seconds() // 2)


def token_due() -> int:
    """``token_due`` of a stage queued now, with its token just sent."""
    return int(time.time()) + token_grace()


def recover(session: Session) -> int:
    """Put stages whose lease expired (their worker died or hung) back in the queue;
    returns how many, so the caller sends that many work tokens."""
    lock_queue(session)
    result = session.execute(update(StageRun).where(StageRun.state == "running",
                                                    StageRun.lease_until < int(time.time()))
                             .values(state="queued", claim_token=None, worker_host=None,
                                     token_due=token_due()))
    return int(getattr(result, "rowcount", 0) or 0)


def due_tokens(session: Session, limit: int) -> int:
    """Up to ``limit`` queued stages whose token is overdue (sent more than
    :func:`token_grace` ago and still not claimed: lost with a Redis that restarted empty,
    or held by a dead or busy worker); marks them as just sent and returns how many tokens
    the caller must send. Decided from the case database alone, so a dead worker's
    unacknowledged tokens in Redis never stand in for live ones."""
    if limit <= 0:
        return 0
    lock_queue(session)
    now = int(time.time())
    ids = list(session.scalars(
        select(StageRun.id).where(StageRun.state == "queued",
                                  (StageRun.token_due.is_(None)) | (StageRun.token_due <= now))
        .order_by(StageRun.priority, StageRun.id).limit(limit)))
    if ids:
        session.execute(update(StageRun).where(StageRun.id.in_(ids))
                        .values(token_due=now + token_grace()))
    return len(ids)


def queued_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(StageRun)
                              .where(StageRun.state == "queued")) or 0)


def claim(session: Session, host: str) -> Claim | None:
    """Pick and lease the next stage for a free worker, or None when nothing is runnable."""
    lock_queue(session)
    queued = list(session.scalars(select(StageRun).where(StageRun.state == "queued")
                                  .order_by(StageRun.priority, StageRun.id).limit(500)))
    if not queued:
        return None
    running = {zone: count for zone, count in session.execute(
        select(StageRun.zone, func.count()).where(StageRun.state == "running")
        .group_by(StageRun.zone))}
    served = {zone: seq for zone, seq in session.execute(
        select(StageRun.zone, func.max(StageRun.claim_seq)).group_by(StageRun.zone))}
    pick = min(queued, key=lambda s: (s.priority, running.get(s.zone, 0),
                                      served.get(s.zone) or 0, s.id))
    top = session.scalar(select(func.max(StageRun.claim_seq))) or 0
    pick.state, pick.claim_seq, pick.claim_token = "running", top + 1, str(uuid.uuid4())
    pick.worker_host, pick.attempts = host, pick.attempts + 1
    pick.started_at = pick.heartbeat_at = now_text()
    pick.lease_until = int(time.time()) + lease_seconds()
    run = session.get(ProcessingRun, pick.run_id)
    assert run is not None
    if run.state == "queued":
        run.state = "running"
    return Claim(pick.id, run.id, run.evidence_id, run.case_id, pick.stage, pick.segment,
                 pick.seg_start, pick.seg_end, pick.claim_token, json.loads(run.options),
                 pick.result_key, bool(pick.reused))


def holds(session: Session, claim: Claim) -> StageRun | None:
    """The stage row if this claim still holds it (its lease was not taken over)."""
    row = session.get(StageRun, claim.stage_id)
    if row is None or row.state != "running" or row.claim_token != claim.token:
        return None
    return row


def heartbeat(session: Session, claim: Claim, done: int, total: int | None) -> bool:
    row = holds(session, claim)
    if row is None:
        return False
    row.lease_until = int(time.time()) + lease_seconds()
    row.heartbeat_at = now_text()
    row.progress_done, row.progress_total = done, total
    return True


def max_attempts() -> int:
    """Claims before a stage with transient errors fails (``LCCU_MAX_ATTEMPTS``)."""
    return current_settings().max_attempts


def release(session: Session, claim: Claim, reason: str) -> int:
    """Give a stage back to the queue after a transient error (a token claims it anew), or
    fail it after ``LCCU_MAX_ATTEMPTS`` claims. Returns stages queued by that failure, -1
    when the stage went back to the queue (the caller re-raises so Dramatiq backs off)."""
    lock_queue(session)
    row = holds(session, claim)
    if row is None:
        return 0
    if row.attempts >= max_attempts():
        return finish(session, claim, state="failed",
                      reason=f"gave up after {row.attempts} attempts: {reason}")
    row.state, row.claim_token, row.reason = "queued", None, f"retrying: {reason}"
    row.token_due = token_due()
    return -1


def finish(session: Session, claim: Claim, *, state: str, reason: str | None = None,
           cache_key: str | None = None, result_key: str | None = None,
           result_digest: str | None = None, reused: bool = False,
           evidence_sha256: str | None = None, versions: dict[str, str] | None = None,
           findings: dict[str, Any] | None = None) -> int:
    """Mark a held stage done or failed; queue the stages that became runnable.

    ``findings`` (the report stage's :func:`lccu.report.findings`) are kept on the run for
    ``lccu status``. Returns how many stages were queued (one token each), or -1 when the
    claim was lost."""
    lock_queue(session)
    row = holds(session, claim)
    if row is None:
        return -1
    if findings is not None and row.stage == "report" and state == "done":
        run = session.get(ProcessingRun, claim.run_id)
        assert run is not None
        run.outcome = str(findings["outcome"])
        run.findings = json.dumps(findings, sort_keys=True)
    row.state, row.reason, row.finished_at = state, reason, now_text()
    row.lease_until = None
    row.result_key, row.result_digest, row.reused = result_key, result_digest, int(reused)
    row.cache_key = cache_key
    fresh = cache_key is not None and session.get(StageResult, cache_key) is None
    if state == "done" and fresh and result_key and result_digest and evidence_sha256:
        session.add(StageResult(cache_key=cache_key, evidence_sha256=evidence_sha256,
                                stage=row.stage, segment=row.segment,
                                versions=json.dumps(versions or {}, sort_keys=True),
                                result_key=result_key, result_digest=result_digest,
                                created_at=now_text()))
    session.flush()
    # this worker's thread is free again: it also takes over one overdue token, so stages
    # whose tokens were lost follow one another without waiting for the janitor's round
    return _promote(session, claim.run_id) + due_tokens(session, 1)


def _promote(session: Session, run_id: str) -> int:
    stages = list(session.scalars(select(StageRun).where(StageRun.run_id == run_id)))
    # a dependency without rows (``--carve none``, ``--no-yara``) is satisfied
    pending = {s.stage for s in stages if s.state not in TERMINAL}
    queued = 0
    for s in stages:
        if s.state == "waiting" and not pending.intersection(DEPENDS[s.stage]):
            s.state, s.queued_at, s.token_due = "queued", now_text(), token_due()
            queued += 1
    run = session.get(ProcessingRun, run_id)
    assert run is not None
    if all(s.state in TERMINAL for s in stages):
        report = next(s for s in stages if s.stage == "report")
        failed = sorted({s.stage for s in stages if s.state == "failed"})
        run.state = "done" if report.state == "done" else "failed"
        run.reason = f"failed stages: {', '.join(failed)}" if failed else None
        run.finished_at = now_text()
        run.report_key = report.result_key if report.state == "done" else None
    return queued


def cached(session: Session, key: str) -> StageResult | None:
    return session.get(StageResult, key)


def stage_results(session: Session, run_id: str) -> dict[str, list[StageRun]]:
    """Finished stage rows of a run by stage name, segments in order."""
    rows = session.scalars(select(StageRun).where(StageRun.run_id == run_id)
                           .order_by(StageRun.stage, StageRun.segment))
    out: dict[str, list[StageRun]] = {}
    for row in rows:
        out.setdefault(row.stage, []).append(row)
    return out
