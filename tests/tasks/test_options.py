"""Run options like `lccu scan`'s: `--no-yara` and `--carve all|unallocated|none`."""

from __future__ import annotations

import json

import pytest

from lccu.errors import InvalidInput
from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit
from tests.tasks.helpers import load_report

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_process_without_carving_or_yara(unit: Unit, planted_disk: PlantedManifest) -> None:
    """`lccu process --carve none --no-yara` plans no carve or YARA stage rows and its report
    has files but no carved entries and no YARA hits."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    done = unit.cli(
        "process", evidence, "--carve", "none", "--no-yara", "--json", LCCU_REDIS_URL=""
    )
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["state"] == "done", status
    assert [s["stage"] for s in status["stages"]] == [
        "hash",
        "files",
        "timeline",
        "archives",
        "thumbnails",
        "report",
    ]
    assert status["options"] == {"yara": False, "carve": "none", "expand": True}
    report = load_report(unit.lab("vlas_inv"), status["report"])
    assert report["files"]
    assert report["carved"] == []
    assert report["yara"] == []


@SQLITE_ONLY
def test_carve_unallocated_skips_allocated_pictures(
    unit: Unit, planted_disk: PlantedManifest
) -> None:
    """`carve="unallocated"` finds the two pictures written after the partitions but not the
    copies of pictures inside them, and a later `carve="all"` run does not reuse its carve
    results (it finds those copies)."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    store = open_store(lab.settings)
    tail = {f.raw_offset for f in planted_disk.files if f.raw_offset is not None}
    assert len(tail) == 2

    narrow = submit(lab, evidence, carve="unallocated", yara=False)
    drain(lab, store)
    status = run_status(lab, narrow.run_id)
    assert status["state"] == "done", status
    assert sum(s["stage"] == "carve" for s in status["stages"]) == 4
    carved = load_report(lab, status["report"])["carved"]
    assert tail <= {c["offset"] for c in carved}
    assert [c for c in carved if c["duplicate_of"]] == []

    wide = submit(lab, evidence, carve="all", yara=False)
    drain(lab, store)
    again = run_status(lab, wide.run_id)
    assert [s["reused"] for s in again["stages"] if s["stage"] == "carve"] == [False] * 4
    assert [s["reused"] for s in again["stages"] if s["stage"] in ("hash", "files")] == [True, True]
    everything = load_report(lab, again["report"])["carved"]
    copies = {c["offset"] for c in everything if c["duplicate_of"]}
    assert len(copies) >= 2
    assert tail <= {c["offset"] for c in everything}
    assert not copies & {c["offset"] for c in carved}


def test_unknown_carve_mode_is_refused(unit: Unit, planted_disk: PlantedManifest) -> None:
    """A carve mode other than all/unallocated/none is bad input, refused before queueing."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    with pytest.raises(InvalidInput, match="carve must be one of all, unallocated, none"):
        submit(unit.lab("vlas_inv"), evidence, carve="free")
