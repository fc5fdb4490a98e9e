"""Server mode: evidence taken in through the Lab lands in S3 (object lock), is read back by
ranged reads for TSK, and an unreachable S3 records nothing."""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from lccu.config import Settings, load_settings
from lccu.errors import StoreUnavailable
from lccu.evidence.lab import Lab
from lccu.fs import list_volumes, walk
from lccu.imaging.tsk import TskImage
from lccu.testing.corpus import corpus_file
from lccu.testing.keys import KEY_ENV
from lccu.testing.pytest_services import S3Endpoint, on_s3


@pytest.fixture
def lab_settings(tmp_path: Path, database_url: str, s3_endpoint: S3Endpoint) -> Settings:
    """Like the embedded settings, but with the evidence store on the real S3 server."""
    env = {"LCCU_HOME": str(tmp_path / "home"), "LCCU_DATABASE_URL": database_url, **KEY_ENV}
    return on_s3(load_settings(env), s3_endpoint)


def _fls(image: Path) -> set[tuple[int, str, bool]]:
    out = subprocess.run(
        ["fls", "-r", "-p", str(image)], capture_output=True, text=True, check=True
    ).stdout
    entries = set()
    for line in out.splitlines():
        head, _, path = line.partition("\t")
        inode = int(head.split()[-1].rstrip(":").replace("(realloc)", "").split("-")[0])
        entries.add((inode, "/" + path, "*" in head))
    return entries


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("corpus", [("pytsk", "image.raw"), ("sleuthkit", "image.E01")])
def test_intake_to_s3_and_listing_through_ranged_reads(
    make_lab: Callable[..., Lab], corpus: tuple[str, str]
) -> None:
    """An image taken in goes to S3 under object lock; TSK over the S3 reader lists exactly
    what Debian's `fls -r -p` lists on the local file; re-verification matches."""
    source = corpus_file(*corpus)
    lab = make_lab("vlas_inv")
    case = lab.create_case("Server mode")
    item = lab.add_evidence(case.id, source, description=source.name)
    assert item.storage_uri and item.storage_uri.startswith("s3://")
    assert item.storage_version_id and item.lock_mode == "GOVERNANCE"
    with lab.open_evidence_image(item.id, purpose="test listing") as (image, _label):
        tsk = TskImage(image, image.size)
        entries = [e for v in list_volumes(tsk) for e in walk(tsk, v)]
        tsk.clear_cache()
    assert {(e.inode, e.path, not e.allocated) for e in entries} == _fls(source)
    assert lab.verify_evidence(item.id)["match"] is True
    assert [e["action"] for e in lab.custody_log(case.id)][-3:] == [
        "intake",
        "accessed",
        "verified",
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unreachable_s3_records_nothing(
    make_lab: Callable[..., Lab], lab_settings: Settings, tmp_path: Path
) -> None:
    """With S3 down, intake fails with StoreUnavailable in bounded time; no item, no event."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("S3 down")
    lab.settings = dataclasses.replace(lab_settings, s3_endpoint="127.0.0.1:9")  # discard port
    image = tmp_path / "x.dd"
    image.write_bytes(b"x" * 65536)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        lab.add_evidence(case.id, image, description="never received")
    assert time.monotonic() - started < 30
    with lab.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM evidence_items")).scalar_one() == 0
        actions = [r[0] for r in conn.execute(text("SELECT action FROM custody_events"))]
    assert "intake" not in actions


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_verify_of_s3_item_rehashes_with_bounded_memory(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """`evidence verify` of a 48 MiB raw item in S3 re-reads it through the prefetched
    ranged GETs (the media's hash fed from the same blocks): it matches, and the traced peak
    stays below the item's size (through the block cache it kept every block it read)."""
    import random
    import tracemalloc

    mib = 1024 * 1024
    source = tmp_path / "disk.raw"
    source.write_bytes(random.Random(48).randbytes(48 * mib))
    lab = make_lab("vlas_inv")
    item = lab.add_evidence(lab.create_case("Verify from S3").id, source, description="disk")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        outcome = lab.verify_evidence(item.id)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcome["match"] is True, outcome
    assert peak < 40 * mib, f"peak {peak / mib:.1f} MiB"
