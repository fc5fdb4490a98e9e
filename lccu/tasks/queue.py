"""The fair queue as the workers see it: which stage a free worker runs next, leases, and
exactly-once completion.

Dramatiq messages are only *work tokens*; the choice of work is made in the case database
when a worker is free (fairest zone first). The rules read and write the run state's ORM
rows, so they live behind the evidence package, in :mod:`lccu.evidence.fair_queue`; this
module keeps their names for the tasks and delegates to them (the same functions). The
runner reaches them one transaction per step through the Lab's
:class:`~lccu.evidence.run_queue.RunQueue`, and opens no database session itself.
"""

from __future__ import annotations

from lccu.evidence.fair_queue import (
    DEPENDS,
    Claim,
    cached,
    claim,
    due_tokens,
    finish,
    heartbeat,
    holds,
    lease_seconds,
    lock_queue,
    max_attempts,
    now_text,
    queued_count,
    recover,
    release,
    stage_results,
    token_due,
    token_grace,
)

__all__ = [
    "DEPENDS",
    "Claim",
    "cached",
    "claim",
    "due_tokens",
    "finish",
    "heartbeat",
    "holds",
    "lease_seconds",
    "lock_queue",
    "max_attempts",
    "now_text",
    "queued_count",
    "recover",
    "release",
    "stage_results",
    "token_due",
    "token_grace",
]
