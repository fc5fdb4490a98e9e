"""Two `lccu worker` processes appending to one case's custody log at the same time."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lccu.tasks import submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit, send_tokens, wait_runs

#: what a lost race on the per-case sequence number looks like in a worker's log
COLLISIONS = ("UNIQUE constraint failed", "IntegrityError", "duplicate key value",
              "UniqueViolation")


def custody_rows(lab: Any, case_id: str) -> list[dict[str, Any]]:
    """The case's custody events straight from the table, in sequence order."""
    from lccu.evidence.models import CustodyEvent

    with lab.db.session() as session:
        rows = session.scalars(select(CustodyEvent).where(CustodyEvent.case_id == case_id)
                               .order_by(CustodyEvent.seq))
        return [{"seq": r.seq, "action": r.action, "item": r.evidence_id, "reason": r.reason,
                 "details": json.loads(r.details)} for r in rows]


def test_two_workers_append_to_one_case_without_collisions(
        unit: Unit, workers: Callable[..., subprocess.Popen[bytes]],
        planted_disk: PlantedManifest, tmp_path: Path) -> None:
    """Two worker processes (two threads each) run two items of one case at once, the
    second a byte-identical copy of the first, then the first again: no worker log shows a
    sequence-number collision, the chain has no gap and verifies, every run that read the
    image has one `accessed` event per stage kind, and `reused` is true only where the
    result was computed by an earlier run of the same item."""
    copy = tmp_path / "copy.img"
    shutil.copyfile(planted_disk.image, copy)
    first = unit.add_image("vlas_inv", planted_disk.image, "E1")
    second = unit.add_image("vlas_inv", copy, "E2")
    case_id = unit.cases["vlas_inv"]
    lab = unit.lab("vlas_inv")
    procs = [workers(threads=2), workers(threads=2)]
    runs = []
    for item in (first, second):
        sub = submit(lab, item, rules=[unit.rules])
        send_tokens(unit, sub.run_id, sub.queued)
        runs.append(sub.run_id)
    states = wait_runs(lab, runs, timeout=240)
    assert [s["state"] for s in states] == ["done", "done"], states
    again = submit(lab, first, rules=[unit.rules])
    send_tokens(unit, again.run_id, again.queued)
    [rerun] = wait_runs(lab, [again.run_id], timeout=120)
    assert rerun["state"] == "done", rerun

    logs = "".join((tmp_path / f"worker-{i}.log").read_text(errors="replace")
                   for i in range(len(procs)))
    assert not [word for word in COLLISIONS if word in logs], logs[-4000:]

    events = custody_rows(lab, case_id)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert lab.verify_custody(case_id).ok

    stage_kinds = ("hash", "files", "timeline", "carve", "yara")  # the stages that read the image
    accessed = Counter(e["reason"] for e in events if e["action"] == "accessed")
    for run in runs:
        for stage in stage_kinds:
            assert accessed[f"processing run {run}: {stage}"] == 1, (run, stage, accessed)
    assert not [r for r in accessed if r.startswith(f"processing run {again.run_id}:")], \
        accessed  # every stage of the rerun reused a stored result: the image was not read

    processed = [e for e in events if e["action"] == "processed"]
    by_run: dict[str, list[dict[str, Any]]] = {}
    for event in processed:
        by_run.setdefault(event["details"]["run"], []).append(event)
    assert {run: len(by_run[run]) for run in (*runs, again.run_id)} == \
        {run: 15 for run in (*runs, again.run_id)}
    for run, item in zip(runs, (first, second), strict=True):  # first runs computed it all
        assert [e["details"]["reused"] for e in by_run[run]] == [False] * 15, run
        assert all(e["item"] == item for e in by_run[run])
        assert all(e["details"]["result"].startswith(f"{item}/") for e in by_run[run])
    computed = {(e["details"]["stage"], e["details"]["segment"]): e["details"]
                for e in by_run[runs[0]]}
    for event in by_run[again.run_id]:
        details = event["details"]
        origin = computed[(details["stage"], details["segment"])]
        if details["stage"] == "report":
            assert details["reused"] is False
            continue
        assert details["reused"] is True, details
        assert (details["result"], details["result_digest"]) == \
            (origin["result"], origin["result_digest"])
