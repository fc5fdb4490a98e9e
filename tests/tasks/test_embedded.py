"""The embedded mode: no Redis, the same stages in this process, same report as lccu scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from lccu.pipeline import ScanOptions, run_scan
from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit
from tests.tasks.helpers import (
    carved_set,
    file_set,
    load_report,
    processed_events,
    result_rows,
    yara_set,
)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_embedded_run_matches_lccu_scan(unit: Unit, planted_disk: PlantedManifest,
                                        tmp_path: Path) -> None:
    """Without Redis, a run processed in-process (4 carve and 4 YARA segments) reports the
    same files, carved files and YARA hits as `lccu scan`, and a second run reuses every
    stage result instead of redoing it."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    store = open_store(lab.settings)
    first = submit(lab, evidence, rules=[unit.rules])
    # + timeline, archives, yara-files, thumbnails, report
    assert drain(lab, store) == 3 + 4 + 4 + 4
    status = run_status(lab, first.run_id)
    assert status["state"] == "done", status
    got = load_report(lab, status["report"])
    want = run_scan(planted_disk.image, tmp_path / "scan", ScanOptions(rules=[unit.rules]))
    assert got["image"]["sha256"] == want["image"]["sha256"]
    assert file_set(got) == file_set(want)
    assert carved_set(got) == carved_set(want)
    assert yara_set(got) == yara_set(want)
    assert {h["source"] for h in got["yara"]} == {"image", "file", "carved"}
    assert got["summary"] == want["summary"]

    second = submit(lab, evidence, rules=[unit.rules])
    drain(lab, store)
    again = run_status(lab, second.run_id)
    assert again["state"] == "done"
    assert [s["reused"] for s in again["stages"] if s["stage"] != "report"] == [True] * 14
    assert result_rows(lab, got["image"]["sha256"]) == 14 + 2  # + one report per run
    assert len(processed_events(lab, evidence)) == 2 * 15


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_urgent_item_is_served_before_queued_normal_ones(unit: Unit, tmp_path: Path) -> None:
    """An urgent item submitted after three normal ones of the same zone has all its stages
    run before any further normal stage, and is done first."""
    lab = unit.lab("vlas_inv")
    ids = []
    for i in range(4):
        path = tmp_path / f"item{i}.raw"
        path.write_bytes(bytes([i]) * (1024 * 1024))
        ids.append(unit.add_image("vlas_inv", path, f"N{i}"))
    normal = [submit(lab, e, rules=[unit.rules]).run_id for e in ids[:3]]
    urgent = submit(lab, ids[3], priority="urgent", rules=[unit.rules]).run_id
    store = open_store(lab.settings)
    drain(lab, store)
    finished = {r: run_status(lab, r)["finished_at"] for r in [*normal, urgent]}
    assert all(finished[urgent] < finished[r] for r in normal)
    urgent_stages = run_status(lab, urgent)["stages"]
    first_normal = min(s["started_at"] for r in normal for s in run_status(lab, r)["stages"])
    assert max(s["started_at"] for s in urgent_stages) < first_normal


def test_unknown_priority_is_refused(unit: Unit, planted_disk: PlantedManifest) -> None:
    """A priority other than urgent/normal is bad input, refused before anything is queued."""
    from lccu.errors import InvalidInput

    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    with pytest.raises(InvalidInput, match="priority must be one of urgent, normal"):
        submit(unit.lab("vlas_inv"), evidence, priority="asap")
