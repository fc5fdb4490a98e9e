"""A worker SIGKILLed mid-stage with no other worker running, then a fresh one: the run
completes within the lease plus the janitor's bounded delay (docs/workers.md), whatever the
dead worker's unacknowledged tokens in Redis say. Dramatiq's own requeueing of a dead
consumer's tokens is switched off here (heartbeat 10 min, no maintenance), so only lccu's
janitor, deciding from the case database, can bring the run to its end."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from lccu.config import Settings
from lccu.tasks import submit
from lccu.testing.images import PlantedManifest
from lccu.testing.pytest_services import S3Endpoint, on_s3, s3_env
from tests.tasks.conftest import Unit, send_tokens, wait_runs
from tests.tasks.helpers import processed_events

pytestmark = pytest.mark.xdist_group("timed")  # bounded delays: one timed test at once

LEASE = 4
#: docs/workers.md: a stage of a dead worker runs elsewhere at most 2.5 leases after the
#: death while a worker with a free thread runs; the fresh worker here needs time to start
BOUND = 2.5 * LEASE + 6


@pytest.fixture
def lab_settings(lab_settings: Settings, s3_endpoint: S3Endpoint) -> Settings:
    """The unit's settings with the evidence store on the test S3 server."""
    return on_s3(lab_settings, s3_endpoint)


def _kill_during(lab: Any, run_id: str, stage: str, victim: subprocess.Popen[bytes]) -> float:
    """SIGKILL ``victim`` as soon as it holds ``stage``; returns the time of the kill. Reads
    the stage rows directly (``lccu status`` is audited: a tight poll would flood the log)."""
    from lccu.evidence.runstate import StageRun

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lab.db.session() as session:
            states = set(
                session.scalars(
                    select(StageRun.state).where(StageRun.run_id == run_id, StageRun.stage == stage)
                )
            )
        if "running" in states:
            victim.kill()
            killed_at = time.time()
            victim.wait(timeout=10)
            return killed_at
        if "done" in states:
            pytest.fail(f"the {stage} stage finished before the worker could be killed")
        time.sleep(0.005)
    pytest.fail(f"the worker never started the {stage} stage")


def _unix(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("stage", ["hash", "files", "carve", "yara", "report"])
def test_worker_killed_mid_stage_alone_then_fresh_worker_completes(
    unit: Unit, workers, s3_endpoint: S3Endpoint, planted_disk: PlantedManifest, stage: str
) -> None:
    settings = unit.settings
    unit.env.update(
        {
            **s3_env(settings),
            "LCCU_LEASE_SECONDS": str(LEASE),
            # Dramatiq never gives the dead worker's tokens back in this test
            "LCCU_BROKER_HEARTBEAT_MS": "600000",
            "LCCU_BROKER_MAINTENANCE": "0",
        }
    )
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    victim = workers()
    sub = submit(lab, evidence, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    killed_at = _kill_during(lab, sub.run_id, stage, victim)
    workers()
    [status] = wait_runs(lab, [sub.run_id], timeout=BOUND + 60)
    assert status["state"] == "done", status
    retried = [s for s in status["stages"] if s["attempts"] == 2]
    assert [s["stage"] for s in retried] == [stage], status["stages"]
    # the dead worker's stage ran elsewhere within the documented delay
    assert _unix(retried[0]["started_at"]) - killed_at <= BOUND, retried
    events = processed_events(lab, evidence)
    assert len(events) == len(status["stages"])
    assert len({e["reason"] for e in events}) == len(events)
    assert lab.verify_custody(unit.cases["vlas_inv"]).ok
