"""The planted disk in each container format kept in S3, processed by real workers on Redis
(issue 12): raw, split raw, E01 in 3 segments, VMDK, VHD, VHDX and QCOW2 (one variant each:
monolithic sparse VMDK, dynamic VHD; tests/tasks/test_media_items.py runs every variant
embedded).

Intake stages each container file as an S3 multipart upload and commits them only once the
media hash is known; the workers open the stored files through their reader with ranged
GETs (no local copy) and report what `lccu scan` of the raw disk does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lccu.config import Settings
from lccu.errors import DeclaredHashMismatch
from lccu.pipeline import ScanOptions, run_scan
from lccu.tasks import submit
from lccu.testing.formats import BuiltContainers
from lccu.testing.pytest_services import S3Endpoint, on_s3, s3_env
from tests.tasks.conftest import JPEG_RULE, Unit, send_tokens, wait_runs
from tests.tasks.helpers import carved_set, file_set, load_report, yara_set

#: format id (lccu.testing.formats) -> the format the report names
FORMATS = {"raw": "raw", "split": "split", "ewf": "ewf", "vmdk-sparse": "vmdk",
           "vhd-dynamic": "vhd", "vhdx": "vhdx", "qcow2": "qcow2"}  # fmt: skip


@pytest.fixture
def lab_settings(lab_settings: Settings, s3_endpoint: S3Endpoint) -> Settings:
    """The unit's settings with the evidence store on the test S3 server."""
    return on_s3(lab_settings, s3_endpoint)


def _objects(settings: Settings, prefix: str) -> list[str]:
    from lccu.storage.s3 import make_client

    client = make_client(settings)
    return [
        o.object_name
        for o in client.list_objects(
            settings.s3_bucket, prefix=prefix, recursive=True, include_version=True
        )
    ]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_format_in_s3_processed_by_workers_matches_raw(
    unit: Unit,
    workers,
    s3_endpoint: S3Endpoint,
    media_containers: BuiltContainers,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wrong declared hash leaves no object in S3; the disk taken in in every format (each
    its own item: stage results are never shared between items) is processed by two
    workers, and every report lists the files, carved files and YARA hits `lccu scan` of
    the raw disk does, over the media's size and hash, naming the format and its files;
    `evidence verify` re-reads the E01's 3 segment objects."""
    settings = unit.settings
    unit.env.update(s3_env(settings))
    # one carve and one YARA segment per run (the 53 MiB disk): seven runs of nine stages,
    # not fifteen; segment edges over every format are tests/tasks/test_media_items.py's
    monkeypatch.setenv("LCCU_SEGMENT_SIZE", str(64 * 1024 * 1024))
    lab = unit.lab("vlas_inv")
    case = lab.create_case("Every format in S3")
    with pytest.raises(DeclaredHashMismatch, match="nothing was stored"):
        lab.add_evidence(case.id, media_containers.formats["ewf"][0], description="disk",
                         declared={"md5": "0" * 32})  # fmt: skip
    assert _objects(settings, f"cases/{case.id}/") == []
    rules = tmp_path / "jpeg.yar"
    rules.write_text(JPEG_RULE)
    want: dict[str, Any] = run_scan(
        media_containers.raw, tmp_path / "scan", ScanOptions(rules=[rules])
    )
    assert want["files"] and want["carved"] and want["yara"] and want["errors"] == []
    items = {}
    for fmt in FORMATS:
        files = media_containers.formats[fmt]
        item = lab.add_evidence(case.id, files[0], description=f"disk as {fmt}",
                                declared={"sha256": want["image"]["sha256"]})  # fmt: skip
        assert (item.size, item.sha256) == (want["image"]["size"], want["image"]["sha256"])
        assert [c["storage_uri"].startswith("s3://") for c in item.containers] == [True] * len(
            files
        ), fmt
        items[fmt] = item
    assert len(items["ewf"].containers) >= 3
    workers()
    workers()
    runs = {}
    for fmt, item in items.items():
        sub = submit(lab, item.id, rules=[unit.rules])
        send_tokens(unit, sub.run_id, sub.queued)
        runs[fmt] = sub.run_id
    statuses = dict(zip(runs, wait_runs(lab, list(runs.values()), timeout=300), strict=True))
    for fmt, status in statuses.items():
        assert (status["state"], status["outcome"]) == ("done", "done"), (fmt, status)
        got = load_report(lab, status["report"])
        files = media_containers.formats[fmt]
        assert (got["image"]["size"], got["image"]["sha256"]) == (
            want["image"]["size"],
            want["image"]["sha256"],
        ), fmt
        assert got["image"]["format"] == FORMATS[fmt], fmt
        assert [c["name"] for c in got["image"]["containers"]] == [p.name for p in files], fmt
        assert (file_set(got), carved_set(got), yara_set(got)) == (
            file_set(want),
            carved_set(want),
            yara_set(want),
        ), fmt
        assert (got["errors"], got["read_errors"], got["warnings"]) == ([], [], []), fmt
    outcome = lab.verify_evidence(items["ewf"].id)
    assert outcome["match"] and len(outcome["containers"]) == len(media_containers.formats["ewf"])
