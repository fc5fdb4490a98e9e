"""The processing queue's database steps as a service: each opens its own transaction.

The queue's rules (claiming fairly, leases, finishing and releasing stages, the result
cache) are :mod:`lccu.evidence.fair_queue`'s, as functions of a session; this service is
how the workers' runner reaches them without opening database sessions itself (nothing
outside :mod:`lccu.evidence` does). None of these steps reads case contents, so none is an access
decision: the stages themselves read evidence through the Lab's gate (``processing=True``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lccu.evidence import fair_queue as queue
from lccu.evidence.db import Database
from lccu.evidence.fair_queue import Claim
from lccu.evidence.models import CustodyEvent
from lccu.evidence.runstate import StageResult, StageRun


class RunQueue:
    """The work queue's bookkeeping in the case database (one transaction per step)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, host: str) -> Claim | None:
        """The next stage for worker ``host``, fairest zone first, or None."""
        with self.db.session() as session:
            return queue.claim(session, host)

    def heartbeat(self, claim: Claim, done: int, total: int | None) -> bool:
        """Renew the lease of a held stage with its progress."""
        with self.db.session() as session:
            return queue.heartbeat(session, claim, done, total)

    def cached(self, key: str) -> StageResult | None:
        """A stored result of equal work (the key names the item), or None."""
        with self.db.session() as session:
            return queue.cached(session, key)

    def stage_results(self, run_id: str) -> dict[str, list[StageRun]]:
        """A run's stage rows by stage (detached: read after the transaction)."""
        with self.db.session() as session:
            return queue.stage_results(session, run_id)

    def keep_result(self, claim: Claim, result_key: str, reused: bool) -> bool:
        """Note the result on the held stage row (a successor then finishes without
        redoing it); False when the lease was lost."""
        with self.db.session() as session:
            row = queue.holds(session, claim)
            if row is None:
                return False
            row.result_key, row.reused = result_key, int(reused)
            return True

    def processed_recorded(self, evidence_id: str, reason: str) -> bool:
        """Whether the item already has a ``processed`` custody event with ``reason``."""
        with self.db.session() as session:
            found = session.scalar(
                select(CustodyEvent.id)
                .where(
                    CustodyEvent.evidence_id == evidence_id,
                    CustodyEvent.action == "processed",
                    CustodyEvent.reason == reason,
                )
                .limit(1)
            )
            return found is not None

    def finish(self, claim: Claim, **fields: Any) -> int:
        """End a held stage (done or failed); returns how many stages became runnable."""
        with self.db.session() as session:
            return queue.finish(session, claim, **fields)

    def release(self, claim: Claim, reason: str) -> int:
        """Give a held stage back after a transient error (see :func:`queue.release`)."""
        with self.db.session() as session:
            return queue.release(session, claim, reason)
