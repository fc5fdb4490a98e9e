"""Processing runs look every file up in the unit's active hash sets: the embedded `lccu
process` path (the very stage code workers run) marks exactly the planted files, the
``processed`` event of the hashsets stage names the set versions, and `lccu status` shows
a notable hit as soon as that stage is done, before the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from lccu.testing.images import PlantedManifest
from tests.hashsets.test_scan_marks import PlantedSets, check_marks
from tests.tasks.conftest import Unit
from tests.tasks.helpers import load_report, processed_events


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_embedded_run_marks_planted_files(
    unit: Unit, planted_disk: PlantedManifest, planted_sets: PlantedSets
) -> None:
    notable, known = planted_sets.notable, planted_sets.known
    admin = unit.lab("admin")
    bad = admin.hashset_import("unit notable", planted_sets.sums, kind="notable")  # version 2
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    store = open_store(lab.settings)
    run = submit(lab, evidence, rules=[unit.rules])
    early: dict[str, Any] = {}

    def on_stage(label: str) -> None:
        if label == "hashsets":
            early.update(run_status(lab, run.run_id))

    drain(lab, store, on_stage=on_stage)
    status = run_status(lab, run.run_id)
    assert status["state"] == "done", status
    report = load_report(lab, status["report"])
    check_marks(report, notable, known)
    assert {(s["name"], s["version"], s["kind"]) for s in report["hashsets"]} == {
        ("unit notable", bad.version, "notable"),
        ("NSRL", 1, "known"),
    }
    # shown as soon as the hashsets stage finished, while the report was still to come
    assert early["hashsets"]["notable"] == report["summary"]["notable"]
    assert early["hashsets"]["known"] == report["summary"]["known"]
    assert next(s for s in early["stages"] if s["stage"] == "report")["state"] != "done"
    events = [e for e in processed_events(lab, evidence) if e["details"]["stage"] == "hashsets"]
    assert len(events) == 1
    assert events[0]["details"]["hashsets"]["sets"] == [
        {"name": "NSRL", "version": 1, "kind": "known"},
        {"name": "unit notable", "version": 2, "kind": "notable"},
    ]
    shown = unit.cli("status", evidence)
    assert shown.returncode == 0, shown.stderr
    assert (
        f"hash sets NSRL v1 (known), unit notable v2 (notable): NOTABLE "
        f"{report['summary']['notable']} file(s), known {report['summary']['known']}"
        in shown.stdout
    ), shown.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_without_sets_has_no_hashsets_stage(unit: Unit, tmp_path: Path) -> None:
    """No active set: no hashsets stage, every record's list empty, no set named."""
    path = tmp_path / "zeros.raw"
    path.write_bytes(bytes(1024 * 1024))
    evidence = unit.add_image("vlas_inv", path, "Z1")
    lab = unit.lab("vlas_inv")
    run = submit(lab, evidence, rules=[unit.rules])
    drain(lab, open_store(lab.settings))
    status = run_status(lab, run.run_id)
    assert status["state"] == "done" and status["hashsets"] is None
    assert "hashsets" not in {s["stage"] for s in status["stages"]}
    report = load_report(lab, status["report"])
    assert report["hashsets"] == [] and report["summary"]["notable"] == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_workers_mark_planted_files_in_server_mode(
    unit: Unit, workers: Any, planted_disk: PlantedManifest, planted_sets: PlantedSets
) -> None:
    """A worker process (Redis, PostgreSQL) runs the hashsets stage: the same marks as
    `lccu scan`, and `lccu status --json` carries what it found."""
    workers()
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    done = unit.cli("process", evidence, "--wait", "--json", "--no-yara")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["state"] == "done", status
    hashsets_stage = next(s for s in status["stages"] if s["stage"] == "hashsets")
    assert hashsets_stage["worker"] is not None
    report = load_report(unit.lab("vlas_inv"), status["report"])
    check_marks(report, planted_sets.notable, planted_sets.known)
    assert status["hashsets"]["notable"] == report["summary"]["notable"]
