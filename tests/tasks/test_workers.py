"""Runs on real `lccu worker` processes over the real Redis broker."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lccu.imaging.ewf import EVF_SIGNATURE
from lccu.pipeline import ScanOptions, run_scan
from lccu.tasks import run_status, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit, send_tokens, wait_runs
from tests.tasks.helpers import (
    carved_set,
    file_set,
    load_report,
    processed_events,
    result_rows,
    yara_set,
)

#: the claim path on PostgreSQL is covered by test_workers_match_lccu_scan; the rest is
#: engine-independent, and the suite must stay within a few minutes on two shared cores
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_workers_match_lccu_scan(
    unit: Unit, workers, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """`lccu process --wait` on two worker processes gives the report `lccu scan` gives
    (files, carved, YARA), one signed `processed` event per stage with tool versions and a
    verifying custody chain; `lccu status --json` and `lccu results` read it back."""
    workers()
    workers()
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    done = unit.cli("process", evidence, "--wait", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["state"] == "done" and status["zone"] == "PZ Vlas"
    assert {s["worker"] for s in status["stages"]} != {None}
    lab = unit.lab("vlas_inv")
    got = load_report(lab, status["report"])
    want = run_scan(planted_disk.image, tmp_path / "scan", ScanOptions(rules=[unit.rules]))
    assert (file_set(got), carved_set(got), yara_set(got)) == (
        file_set(want),
        carved_set(want),
        yara_set(want),
    )
    events = processed_events(lab, evidence)
    assert len(events) == len(status["stages"]) == 15
    details = events[0]["details"]
    assert set(details["versions"]) == {"lccu", "tsk", "libyara", "yara-x", "libmagic"}
    assert details["rules"] and len(details["result_digest"]) == 64
    # the engine of each rule file, as `lccu scan` chose it, in the report and in custody
    engines = [
        {k: f[k] for k in ("namespace", "sha256", "engine", "engine_version", "reason", "split")}
        for f in want["yara_rules"]["files"]
    ]
    assert [f["engine"] for f in engines] and got["yara_rules"]["identity"] == want["yara_rules"][
        "identity"
    ]
    for event in events:
        if event["details"]["stage"] in ("yara", "yara-files"):
            assert event["details"]["rule_engines"] == engines
    assert lab.verify_custody(unit.cases["vlas_inv"]).ok

    listed = unit.cli("status", evidence, "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["run"] for r in json.loads(listed.stdout)] == [status["run"]]
    out = tmp_path / "report.json"
    written = unit.cli("report", evidence, "--format", "json", "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert json.loads(out.read_text())["image"]["sha256"] == want["image"]["sha256"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the queue decides, not
def test_zone_with_one_item_is_not_held_up_by_twenty(
    unit: Unit,
    workers,  # the database
    tmp_path: Path,
) -> None:
    """Zone A queues twenty items, zone B one item afterwards: B's run starts before A's
    twentieth and finishes before A's last item is even started (a FIFO queue would serve
    B last)."""
    images = []
    for i in range(21):
        path = tmp_path / f"item{i}.raw"
        path.write_bytes(os.urandom(64 * 1024) + b"\xff\xd8\xff" + bytes(2 * 1024 * 1024))
        images.append(path)
    vlas = [unit.add_image("vlas_inv", p, f"A{i}") for i, p in enumerate(images[:20])]
    polder = unit.add_image("polder_inv", images[20], "B1")
    lab_a, lab_b = unit.lab("vlas_inv"), unit.lab("polder_inv")
    workers()
    runs_a = []
    for evidence in vlas:
        sub = submit(lab_a, evidence, rules=[unit.rules])
        send_tokens(unit, sub.run_id, sub.queued)
        runs_a.append(sub.run_id)
    sub_b = submit(lab_b, polder, rules=[unit.rules])
    send_tokens(unit, sub_b.run_id, sub_b.queued)
    states = wait_runs(lab_a, runs_a, timeout=150)  # each zone reads its own runs only
    [b] = wait_runs(lab_b, [sub_b.run_id], timeout=150)
    assert all(s["state"] == "done" for s in [*states, b])
    a_last = states[19]
    a_last_start = min(s["started_at"] for s in a_last["stages"])
    assert min(s["started_at"] for s in b["stages"]) < a_last_start
    assert b["finished_at"] < a_last_start


@SQLITE_ONLY
def test_worker_killed_mid_stage_completes_once(
    unit: Unit, workers, planted_disk: PlantedManifest
) -> None:
    """A worker SIGKILLed while a stage runs: its token is redelivered / its lease expires,
    another worker finishes the run, and every stage has exactly one `processed` event and
    one stored result."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    victim = workers()
    sub = submit(lab, evidence, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    killed = None
    for _ in range(3000):
        running = [s for s in run_status(lab, sub.run_id)["stages"] if s["state"] == "running"]
        if running:
            killed = running[0]
            victim.kill()
            break
    assert killed is not None, "the worker never started a stage"
    victim.wait(timeout=10)
    workers()
    [status] = wait_runs(lab, [sub.run_id], timeout=90)
    assert status["state"] == "done"
    again = next(
        s
        for s in status["stages"]
        if (s["stage"], s["segment"]) == (killed["stage"], killed["segment"])
    )
    assert again["attempts"] == 2
    events = processed_events(lab, evidence)
    assert sorted(e["reason"] for e in events) == sorted(set(e["reason"] for e in events))
    assert len(events) == 15
    sha256 = lab.get_evidence(evidence).sha256
    assert result_rows(lab, sha256) == 14 + 1
    assert lab.verify_custody(unit.cases["vlas_inv"]).ok


@SQLITE_ONLY
def test_corrupt_image_fails_cleanly_while_others_complete(
    unit: Unit, workers, tmp_path: Path
) -> None:
    """A corrupt E01 fails each stage with the ImageFormatError recorded (no retries), the
    run is failed with the stages named, and a good item queued behind it completes."""
    bad = tmp_path / "bad.E01"
    bad.write_bytes(EVF_SIGNATURE + os.urandom(512 * 1024))
    good = tmp_path / "good.raw"
    good.write_bytes(b"\xff\xd8\xff" + bytes(1024 * 1024))
    bad_id = unit.add_image("vlas_inv", bad, "BAD")
    good_id = unit.add_image("polder_inv", good, "GOOD")
    lab_a, lab_b = unit.lab("vlas_inv"), unit.lab("polder_inv")
    workers()
    bad_run = submit(lab_a, bad_id, rules=[unit.rules])
    send_tokens(unit, bad_run.run_id, bad_run.queued)
    good_run = submit(lab_b, good_id, rules=[unit.rules])
    send_tokens(unit, good_run.run_id, good_run.queued)
    [failed] = wait_runs(lab_a, [bad_run.run_id])  # each zone reads its own runs only
    [done] = wait_runs(lab_b, [good_run.run_id])
    assert done["state"] == "done"
    assert failed["state"] == "failed"
    assert failed["reason"] == "failed stages: carve, files, hash, report, timeline, yara"
    by_stage = {s["stage"]: s for s in failed["stages"]}
    for stage in ("hash", "files", "carve", "yara"):
        assert by_stage[stage]["attempts"] == 1
        assert "ImageFormatError" in by_stage[stage]["reason"]
        assert "not a readable EWF image" in by_stage[stage]["reason"]
    assert "hash stage failed" in by_stage["report"]["reason"]
    # archives, yara-files, thumbnails: nothing to do
    assert len(processed_events(lab_a, bad_id)) == 3


@SQLITE_ONLY
def test_worker_run_with_carve_unallocated(
    unit: Unit, workers, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """On a worker, `lccu process --carve unallocated` carves what `lccu scan --carve
    unallocated` carves, stores a report.html with the same thumbnails, and appends one
    `accessed` event per stage kind."""
    from collections import Counter

    from sqlalchemy import select

    from lccu.evidence.models import CustodyEvent
    from lccu.storage import open_store

    workers()
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    done = unit.cli("process", evidence, "--carve", "unallocated", "--wait", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["state"] == "done", status
    lab = unit.lab("vlas_inv")
    got = load_report(lab, status["report"])
    want = run_scan(
        planted_disk.image, tmp_path / "scan", ScanOptions(rules=[unit.rules], carve="unallocated")
    )
    assert carved_set(got) == carved_set(want)
    assert not any(c["duplicate_of"] for c in got["carved"])
    with open_store(lab.settings).open_derived(status["report"][:-5] + ".html") as fh:
        page = fh.read().decode()
    thumbs = (tmp_path / "scan" / "report.html").read_text().count("data:image/")
    assert thumbs >= 4 and page.count("data:image/") == thumbs
    with lab.db.session() as session:
        accessed = Counter(
            session.scalars(
                select(CustodyEvent.reason).where(
                    CustodyEvent.evidence_id == evidence, CustodyEvent.action == "accessed"
                )
            )
        )
    assert accessed == Counter(
        {
            f"processing run {status['run']}: {stage}": 1
            for stage in ("hash", "files", "timeline", "carve", "yara")
        }
    )
