"""An E01 in 3 segments kept in S3, processed by real workers on Redis (issue 12).

Intake stages each segment as an S3 multipart upload and commits them only once the media
hash is known; the workers open the stored segments through libewf with ranged GETs (no
local copy) and report what `lccu scan` of the raw disk does.
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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_e01_in_s3_processed_by_workers_matches_raw(
    unit: Unit, workers, s3_endpoint: S3Endpoint, media_containers: BuiltContainers, tmp_path: Path
) -> None:
    """A wrong declared hash leaves no object in S3; the E01 taken in is 3 segment objects
    whose media two workers process like the raw disk; `evidence verify` re-reads them."""
    settings = unit.settings
    unit.env.update(s3_env(settings))
    files = media_containers.formats["ewf"]
    assert len(files) >= 3
    lab = unit.lab("vlas_inv")
    case = lab.create_case("E01 in S3")
    with pytest.raises(DeclaredHashMismatch, match="nothing was stored"):
        lab.add_evidence(case.id, files[0], description="disk", declared={"md5": "0" * 32})
    assert _objects(settings, f"cases/{case.id}/") == []
    item = lab.add_evidence(case.id, files[0], description="disk")
    assert [c["storage_uri"].startswith("s3://") for c in item.containers] == [True] * len(files)
    rules = tmp_path / "jpeg.yar"
    rules.write_text(JPEG_RULE)
    want: dict[str, Any] = run_scan(
        media_containers.raw, tmp_path / "scan", ScanOptions(rules=[rules])
    )
    assert (item.size, item.sha256) == (want["image"]["size"], want["image"]["sha256"])
    workers()
    workers()
    sub = submit(lab, item.id, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    [status] = wait_runs(lab, [sub.run_id])
    assert status["state"] == "done", status
    got = load_report(lab, status["report"])
    assert (got["image"]["size"], got["image"]["sha256"]) == (item.size, item.sha256)
    assert got["image"]["format"] == "ewf"
    assert [c["name"] for c in got["image"]["containers"]] == [p.name for p in files]
    assert (file_set(got), carved_set(got), yara_set(got)) == (
        file_set(want),
        carved_set(want),
        yara_set(want),
    )
    outcome = lab.verify_evidence(item.id)
    assert outcome["match"] and len(outcome["containers"]) == len(files)
