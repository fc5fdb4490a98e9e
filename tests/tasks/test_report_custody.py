"""The stored report of a run (links and thumbnails) and its `accessed` custody events."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lccu.cli.process import write_run_report
from lccu.evidence.models import CustodyEvent
from lccu.pipeline import ScanOptions, run_scan
from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit
from tests.tasks.helpers import load_report

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def accessed_reasons(lab: Any, evidence_id: str) -> Counter[str]:
    """How many ``accessed`` custody events the item has, by reason."""
    with lab.db.session() as session:
        return Counter(session.scalars(select(CustodyEvent.reason).where(
            CustodyEvent.evidence_id == evidence_id, CustodyEvent.action == "accessed")))


@SQLITE_ONLY
def test_stored_report_links_resolve_and_embeds_thumbnails(
        unit: Unit, planted_disk: PlantedManifest, tmp_path: Path) -> None:
    """The run's report.html sits in derived/<evidence id>/ where every exported path of the
    report resolves, embeds as many picture thumbnails as `lccu scan`'s page does, and is
    what `lccu report --format html` writes."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    store = open_store(lab.settings)
    run = submit(lab, evidence, rules=[unit.rules])
    drain(lab, store)
    status = run_status(lab, run.run_id)
    assert status["state"] == "done", status
    folder, name = status["report"].rsplit("/", 1)
    assert (folder, name) == (evidence, f"report-{run.run_id}.json")
    report = load_report(lab, status["report"])
    exported = [r["exported"] for part in ("files", "carved") for r in report[part]
                if r["exported"]]
    assert len(exported) > 4
    for path in exported:
        with store.open_derived(f"{folder}/{path}") as fh:
            assert fh.read(1)
    with store.open_derived(f"{folder}/report-{run.run_id}.html") as fh:
        page = fh.read().decode()
    run_scan(planted_disk.image, tmp_path / "scan", ScanOptions(rules=[unit.rules]))
    want = (tmp_path / "scan" / "report.html").read_text().count("data:image/")
    assert want >= 4  # holiday.jpg, picture.png and the two unpartitioned pictures
    assert page.count("data:image/") == want
    written = write_run_report(lab, evidence, None, "html", tmp_path / "copy.html")
    assert written == run.run_id
    assert (tmp_path / "copy.html").read_text() == page


@SQLITE_ONLY
def test_one_accessed_event_per_run_and_stage_kind(unit: Unit,
                                                   planted_disk: PlantedManifest) -> None:
    """A run with four carve and four YARA segments records one `accessed` event for each
    stage kind that reads the image, not one per segment job."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    before = accessed_reasons(lab, evidence)
    run = submit(lab, evidence, rules=[unit.rules])
    # + timeline, archives, thumbnails
    assert drain(lab, open_store(lab.settings)) == 3 + 4 + 4 + 4
    assert run_status(lab, run.run_id)["state"] == "done"
    added = accessed_reasons(lab, evidence) - before
    assert added == Counter({f"processing run {run.run_id}: {stage}": 1
                             for stage in ("hash", "files", "timeline", "carve", "yara")})
