"""Processing an item reads its media, whatever container carries it (issue 12).

The planted disk in each container format (made in the test run: ``split``, ``ewfacquire``
in 3 segments, ``qemu-img``) is taken in as evidence and processed; the report lists the
same files, carved files and YARA hits as ``lccu scan`` of the raw disk, over the media's
size and hashes, and shows the container format and its files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lccu.pipeline import ScanOptions, run_scan
from lccu.storage import open_store
from lccu.tasks import drain, run_status, submit
from lccu.testing.formats import BuiltContainers
from tests.tasks.conftest import JPEG_RULE, Unit
from tests.tasks.helpers import carved_set, file_set, load_report, yara_set

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MEDIA_FORMAT = {
    "raw": "raw",
    "split": "split",
    "ewf": "ewf",
    "ewf-deflate": "ewf",
    "vmdk-sparse": "vmdk",
    "vmdk-split-flat": "vmdk",
    "vhd-fixed": "vhd",
    "vhd-dynamic": "vhd",
    "vhdx": "vhdx",
    "qcow2": "qcow2",
}


@pytest.fixture(scope="module")
def raw_scan(
    media_containers: BuiltContainers, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """`lccu scan` of the raw disk with the unit's rules: what every container must give."""
    rules = tmp_path_factory.mktemp("rules") / "jpeg.yar"
    rules.write_text(JPEG_RULE)  # the unit fixture's rule
    report = run_scan(
        media_containers.raw, tmp_path_factory.mktemp("raw-scan"), ScanOptions(rules=[rules])
    )
    # something to compare: files, carved files, YARA hits in the image, files and carved
    assert report["files"] and report["carved"] and report["outcome"] == "done"
    assert {h["source"] for h in report["yara"]} == {"image", "file", "carved"}
    return report


def _same_as_raw(got: dict[str, Any], want: dict[str, Any], fmt: str, files: list[Path]) -> None:
    assert got["image"]["size"] == want["image"]["size"]
    assert got["image"]["sha256"] == want["image"]["sha256"]
    assert got["image"]["format"] == MEDIA_FORMAT[fmt]
    assert [c["name"] for c in got["image"]["containers"]] == [p.name for p in files]
    assert [c["size"] for c in got["image"]["containers"]] == [p.stat().st_size for p in files]
    assert file_set(got) == file_set(want)
    assert carved_set(got) == carved_set(want)
    assert yara_set(got) == yara_set(want)
    assert got["summary"]["files"] == want["summary"]["files"]
    assert (got["errors"], got["read_errors"], got["warnings"]) == ([], [], [])


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", list(MEDIA_FORMAT))
def test_embedded_run_over_each_container_matches_raw(
    unit: Unit, media_containers: BuiltContainers, raw_scan: dict[str, Any], fmt: str
) -> None:
    """`lccu process` (embedded) of the disk taken in as ``fmt`` reports what `lccu scan`
    of the raw disk does: every stage saw the media, not the container bytes."""
    files = media_containers.formats[fmt]
    evidence = unit.add_image("vlas_inv", files[0], fmt)
    lab = unit.lab("vlas_inv")
    assert lab.get_evidence(evidence).sha256 == raw_scan["image"]["sha256"]
    store = open_store(lab.settings)
    sub = submit(lab, evidence, rules=[unit.rules])
    drain(lab, store)
    status = run_status(lab, sub.run_id)
    assert (status["state"], status["outcome"]) == ("done", "done"), status
    _same_as_raw(load_report(lab, status["report"]), raw_scan, fmt, files)


@SQLITE_ONLY
def test_uploaded_e01_is_processed_over_its_media(
    unit: Unit, media_containers: BuiltContainers, raw_scan: dict[str, Any]
) -> None:
    """An E01 in 3 segments taken in the web's way (``Lab.begin_intake``: the segments'
    bytes one after the other in 1 MiB chunks, then ``finish``) has the raw disk's hashes
    and is processed over its media: the same report as `lccu scan` of the raw disk."""
    from lccu.evidence.intake import ItemFacts

    files = media_containers.formats["ewf"]
    lab = unit.lab("vlas_inv")
    case = lab.create_case("uploaded E01")
    intake = lab.begin_intake(
        case.id,
        source_name=files[0].name,
        size=sum(p.stat().st_size for p in files),
        facts=ItemFacts(description="uploaded E01"),
        files=[(p.name, p.stat().st_size) for p in files],
    )
    for path in files:
        data = path.read_bytes()
        for offset in range(0, len(data), 1 << 20):
            intake.write(data[offset : offset + (1 << 20)])
    item = intake.finish()
    assert (item.sha256, item.container_format) == (raw_scan["image"]["sha256"], "ewf")
    store = open_store(lab.settings)
    sub = submit(lab, item.id, rules=[unit.rules])
    drain(lab, store)
    status = run_status(lab, sub.run_id)
    assert (status["state"], status["outcome"]) == ("done", "done"), status
    _same_as_raw(load_report(lab, status["report"]), raw_scan, "ewf", files)
