"""The janitor's arithmetic, from the case database alone: which queued stages are overdue
a work token (no Redis, no workers)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from lccu.evidence.runstate import StageRun
from lccu.tasks import queue, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_overdue_tokens_are_sent_once_per_grace_and_only_for_queued_stages(
    unit: Unit, planted_disk: PlantedManifest
) -> None:
    """Just submitted: no stage is overdue (its token is on its way). Once the grace has
    passed, up to ``limit`` queued stages are overdue, best priority and oldest first, and
    each is marked as sent; waiting stages never are. A stage whose lease expired goes back
    to the queue with a fresh grace."""
    lab = unit.lab("vlas_inv")
    sub = submit(lab, unit.add_image("vlas_inv", planted_disk.image, "E1"), rules=[unit.rules])
    with lab.db.session() as session:
        assert queue.due_tokens(session, 100) == 0
        session.execute(update(StageRun).where(StageRun.run_id == sub.run_id).values(token_due=0))
    with lab.db.session() as session:
        assert queue.due_tokens(session, 2) == 2
        assert queue.due_tokens(session, 100) == sub.queued - 2
        assert queue.due_tokens(session, 100) == 0
        rows = list(session.scalars(select(StageRun).where(StageRun.run_id == sub.run_id)))
        grace = queue.token_grace()
        assert all(
            time.time() < r.token_due <= time.time() + grace + 1
            for r in rows
            if r.state == "queued"
        )
        waiting = [r for r in rows if r.state == "waiting"]
        assert waiting and all(r.token_due == 0 for r in waiting)  # never counted as due
        held = rows[0]
        held.state, held.lease_until, held.claim_token = "running", int(time.time()) - 1, "x"
    with lab.db.session() as session:
        assert queue.recover(session) == 1
        assert queue.due_tokens(session, 100) == 0
    with lab.db.session() as session:
        back = session.get(StageRun, held.id)
        assert back is not None and back.state == "queued" and back.claim_token is None
        assert back.token_due is not None and back.token_due > time.time()
