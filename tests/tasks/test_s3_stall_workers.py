"""Workers and a stalled S3 server: a stage that reads the evidence from a server frozen
with SIGSTOP (a private SeaweedFS, never the shared one) gives up within LCCU_S3_TIMEOUT,
goes back to the queue saying why, and the run completes once the server runs again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lccu.config import Settings
from lccu.tasks import run_status, submit
from lccu.testing.images import PlantedManifest
from lccu.testing.pytest_services import s3_env
from lccu.testing.weed import PrivateWeed
from tests.tasks.conftest import Unit, send_tokens, wait_runs

pytestmark = pytest.mark.xdist_group("timed")  # stalls and restarts: one timed test at once

TIMEOUT = 5.0  # not less: a loaded machine's SeaweedFS may take seconds for a 16 MiB part


@pytest.fixture
def lab_settings(lab_settings: Settings, weed: PrivateWeed) -> Settings:
    return weed.settings(lab_settings, timeout=TIMEOUT)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_stage_on_frozen_s3(unit: Unit, workers: Callable[..., object],
                                   weed: PrivateWeed, planted_disk: PlantedManifest,
                                   tmp_path: Path) -> None:  # fmt: skip
    settings = unit.settings
    unit.env.update(s3_env(settings))
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    workers()
    log = tmp_path / "worker-0.log"  # the worker has opened the store when it registers
    deadline = time.monotonic() + 60
    while "registered as" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.1)
    weed.freeze()
    try:
        frozen = time.monotonic()
        sub = submit(lab, evidence, rules=[unit.rules], yara=False, carve="none",
                     expand=False)  # fmt: skip
        send_tokens(unit, sub.run_id, sub.queued)
        reasons: list[str] = []
        while time.monotonic() - frozen < 60 and not reasons:
            stages = run_status(lab, sub.run_id)["stages"]
            reasons = [s["reason"] for s in stages if s["reason"]]
            time.sleep(0.2)
        took = time.monotonic() - frozen
        assert reasons, "no stage gave up on the frozen server within 60 s"
        assert took < 4 * TIMEOUT + 10, took  # the old 60 s read timeout, retried: minutes
        assert any("did not answer" in r and "LCCU_S3_TIMEOUT" in r for r in reasons), reasons
        status = run_status(lab, sub.run_id)
        assert status["state"] != "done" and status["report"] is None
    finally:
        weed.thaw()
    [status] = wait_runs(lab, [sub.run_id], timeout=120)
    assert status["state"] == "done", status
    assert max(s["attempts"] for s in status["stages"]) > 1
