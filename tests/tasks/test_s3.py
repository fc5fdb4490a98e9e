"""Workers with the S3 evidence store (SeaweedFS here, MinIO in production)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from lccu.config import Settings
from lccu.pipeline import ScanOptions, run_scan
from lccu.storage import open_store
from lccu.tasks import run_status, submit
from lccu.testing.images import PlantedManifest
from lccu.testing.netgate import TcpGate
from lccu.testing.pytest_services import S3Endpoint, on_s3, s3_env
from tests.tasks.conftest import Unit, send_tokens, wait_runs
from tests.tasks.helpers import carved_set, file_set, load_report, processed_events, yara_set


@pytest.fixture
def lab_settings(lab_settings: Settings, s3_endpoint: S3Endpoint) -> Settings:
    """The unit's settings with the evidence store on the test S3 server."""
    return on_s3(lab_settings, s3_endpoint)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_workers_on_s3_store_match_lccu_scan(
    unit: Unit, workers, s3_endpoint: S3Endpoint, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """With evidence in S3, two workers read it through ranged GETs and store every derived
    file and the report under derived/<evidence id>/ in S3; the report equals `lccu scan`'s
    and each exported file in S3 has the SHA-256 the report gives."""
    settings = unit.settings
    unit.env.update(s3_env(settings))
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    assert lab.get_evidence(evidence).storage_uri.startswith("s3://")
    workers()
    workers()
    sub = submit(lab, evidence, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    [status] = wait_runs(lab, [sub.run_id])
    assert status["state"] == "done", status
    got = load_report(lab, status["report"])
    want = run_scan(planted_disk.image, tmp_path / "scan", ScanOptions(rules=[unit.rules]))
    assert (file_set(got), carved_set(got), yara_set(got)) == (
        file_set(want),
        carved_set(want),
        yara_set(want),
    )
    store = open_store(lab.settings)
    exported = [f for f in got["files"] if f["exported"]] + [
        c for c in got["carved"] if c["exported"]
    ]
    assert exported
    for record in exported:
        with store.open_derived(f"{evidence}/{record['exported']}") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == record["sha256"]
    assert got["summary"] == want["summary"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_survives_s3_outage(
    unit: Unit, workers, s3_endpoint: S3Endpoint, planted_disk: PlantedManifest
) -> None:
    """S3 unreachable for 3 s mid-run: the stages that hit it are put back and retried with
    backoff (attempts > 1, nothing failed) and the run completes with one event per stage."""
    gate = TcpGate(str(unit.settings.s3_endpoint))
    gate.open()
    settings = unit.settings
    unit.env.update(s3_env(settings, f"127.0.0.1:{gate.port}"))
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    workers()
    sub = submit(lab, evidence, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    try:
        for _ in range(3000):
            if any(s["state"] == "done" for s in run_status(lab, sub.run_id)["stages"]):
                break
            time.sleep(0.01)
        gate.close()
        time.sleep(3)
        assert run_status(lab, sub.run_id)["state"] == "running"
        gate.open()
        [status] = wait_runs(lab, [sub.run_id], timeout=120)
    finally:
        gate.close()
    assert status["state"] == "done", status
    assert max(s["attempts"] for s in status["stages"]) > 1
    assert len(processed_events(lab, evidence)) == 15
