"""A stalled S3 server is a timeout, not a hang.

A private SeaweedFS (ports of its own, never the shared 8333 server) is frozen with SIGSTOP:
it keeps its sockets, so connections are accepted by the kernel and requests are sent, but
nothing answers, as with a hung server. With ``LCCU_S3_TIMEOUT=5``, `lccu evidence add`, an
intake frozen in the middle of its upload and a processing stage each fail within a few
seconds with a message naming the stall, record nothing and store nothing; after SIGCONT
the same actions succeed.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lccu.config import Settings
from lccu.errors import StoreUnavailable
from lccu.storage import open_store
from lccu.testing.formats import BuiltContainers
from lccu.testing.keys import KEY_ENV
from lccu.testing.pytest_services import evidence_versions, s3_env
from lccu.testing.weed import PrivateWeed

pytestmark = pytest.mark.xdist_group("timed")  # stalls and restarts: one timed test at once

TIMEOUT = 5.0  # not less: a loaded machine's SeaweedFS may take seconds for a 16 MiB part
#: what a stalled call may take at most here: the timeout, an abort that stalls as long,
#: and a loaded machine (before the timeouts, a stalled intake took over 3 minutes)
BOUND = 4 * TIMEOUT + 10
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def lab_settings(lab_settings: Settings, weed: PrivateWeed, tmp_path: Path) -> Settings:
    """The unit's settings with the evidence store on the private server, a fresh bucket
    and a short S3 timeout."""
    return weed.settings(lab_settings, timeout=TIMEOUT)


@pytest.fixture
def thawed(weed: PrivateWeed) -> Iterator[PrivateWeed]:
    """The server, running again at the end of the test whatever happened."""
    yield weed
    weed.thaw()


def env_of(settings: Settings, user: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env.update(
        **KEY_ENV,
        LCCU_HOME=str(settings.home),
        LCCU_DATABASE_URL=settings.database_url,
        **s3_env(settings),
        LCCU_USER=user,
    )
    return env


def items_of(lab: Any, case_id: str) -> list[Any]:
    return list(lab.list_evidence(case_id))


@SQLITE_ONLY
def test_evidence_add_fails_within_the_timeout(
    make_lab: Callable[..., Any], lab_settings: Settings, thawed: PrivateWeed, tmp_path: Path
) -> None:
    """`lccu evidence add` against a frozen server exits 2 within the bound, naming the
    stall and LCCU_S3_TIMEOUT, no traceback; nothing is recorded or stored; after SIGCONT
    the same command takes the item in."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("stalled store")
    open_store(lab_settings)  # the buckets exist: the stall is the server's, not a setup
    image = tmp_path / "disk.raw"
    image.write_bytes(os.urandom(3 * 1024 * 1024))
    command = [
        sys.executable,
        "-m",
        "lccu.cli.main",
        "evidence",
        "add",
        case.id,
        str(image),
        "--description",
        "disk",
    ]
    env = env_of(lab_settings, "vlas_inv")
    thawed.freeze()
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - started
    thawed.thaw()
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert took < BOUND, took
    assert f"did not answer within {TIMEOUT:g} s (LCCU_S3_TIMEOUT)" in result.stderr
    assert "Traceback" not in result.stderr
    assert items_of(lab, case.id) == [] and evidence_versions(lab_settings) == []
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert len(items_of(lab, case.id)) == 1 and len(evidence_versions(lab_settings)) == 1


@SQLITE_ONLY
@pytest.mark.parametrize("size", [3 * 1024 * 1024, 40 * 1024 * 1024])
def test_intake_frozen_mid_upload(
    make_lab: Callable[..., Any],
    lab_settings: Settings,
    thawed: PrivateWeed,
    tmp_path: Path,
    size: int,
) -> None:
    """The server freezes while an intake streams (one PUT, and a multipart upload): the
    intake fails within the bound with the stall named, records no item, and once the
    server runs again no object version has appeared; the retry stores the item."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("stalled upload")
    image = tmp_path / "disk.raw"
    image.write_bytes(os.urandom(size))
    frozen: list[float] = []

    def freeze_once(_n: int) -> None:
        if not frozen:
            thawed.freeze()
            frozen.append(time.monotonic())

    with pytest.raises(StoreUnavailable, match=f"did not answer within {TIMEOUT:g} s"):
        lab.add_evidence(case.id, image, description="disk", progress=freeze_once)
    took = time.monotonic() - frozen[0]
    thawed.thaw()
    assert took < BOUND, took
    assert items_of(lab, case.id) == []
    time.sleep(3)  # what the server had buffered is handled now, if ever
    assert evidence_versions(lab_settings) == []
    item = lab.add_evidence(case.id, image, description="disk")
    assert item.size == size and len(evidence_versions(lab_settings)) == 1


@SQLITE_ONLY
def test_e01_intake_frozen_between_segments(
    make_lab: Callable[..., Any],
    lab_settings: Settings,
    thawed: PrivateWeed,
    media_containers: BuiltContainers,
) -> None:
    """An E01 in 3 segments: the server freezes once the first segment is staged, while the
    second streams (and libewf reads the media beside the upload): the intake fails within
    the bound naming the stall, records no item, leaves no object version; the retry after
    SIGCONT stores the 3 segments as one item with the disk's hashes."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("stalled E01 upload")
    files = media_containers.formats["ewf"]
    assert len(files) >= 3
    first = files[0].stat().st_size
    sent = [0]
    frozen: list[float] = []

    def freeze_in_segment_2(n: int) -> None:
        sent[0] += n
        if not frozen and sent[0] > first:
            thawed.freeze()
            frozen.append(time.monotonic())

    with pytest.raises(StoreUnavailable, match=f"did not answer within {TIMEOUT:g} s"):
        lab.add_evidence(case.id, files[0], description="disk", progress=freeze_in_segment_2)
    took = time.monotonic() - frozen[0]
    thawed.thaw()
    assert took < BOUND, took
    assert items_of(lab, case.id) == []
    time.sleep(3)  # what the server had buffered is handled now, if ever
    assert evidence_versions(lab_settings) == []
    item = lab.add_evidence(case.id, files[0], description="disk")
    assert item.size == media_containers.raw.stat().st_size and item.container_format == "ewf"
    assert len(evidence_versions(lab_settings)) == len(files)


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", ["raw", "ewf"])
def test_processing_read_fails_within_the_timeout(
    make_lab: Callable[..., Any],
    lab_settings: Settings,
    thawed: PrivateWeed,
    media_containers: BuiltContainers,
    fmt: str,
) -> None:
    """A processing stage reading the evidence from a frozen server (a raw image, and an
    E01 in 3 segments read through libewf with ranged GETs) fails within the bound with
    the stall named (the stage goes back to the queue, nothing is stored for it); after
    SIGCONT the run completes."""
    from lccu.tasks import drain, run_status, submit

    lab = make_lab("vlas_inv")
    case = lab.create_case("stalled processing")
    item = lab.add_evidence(case.id, media_containers.formats[fmt][0], description="disk")
    run = submit(lab, item.id, yara=False, carve="none", expand=False)
    store = open_store(lab_settings)
    before = set(evidence_versions(lab_settings))
    thawed.freeze()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="LCCU_S3_TIMEOUT"):
        drain(lab, store)
    took = time.monotonic() - started
    thawed.thaw()
    assert took < BOUND, took
    status = run_status(lab, run.run_id)
    assert status["state"] != "done" and status["report"] is None
    assert not any(s["state"] == "done" for s in status["stages"]), status["stages"]
    assert set(evidence_versions(lab_settings)) == before
    drain(lab, store)
    status = run_status(lab, run.run_id)
    assert status["state"] == "done", status


def test_silent_server_is_asked_once(s3_settings: Settings) -> None:
    """A server that accepts connections and never answers (a listening socket nobody
    reads) fails opening the store after one timeout, not one per retry, and the error
    names the stall; every request it received is counted."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    port = listener.getsockname()[1]
    settings = dataclasses.replace(s3_settings, s3_endpoint=f"127.0.0.1:{port}", s3_timeout=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable, match="did not answer within 1 s"):
            open_store(settings)
        took = time.monotonic() - started
    finally:
        listener.close()
        for conn in accepted:
            conn.close()
    assert 1.0 <= took < 2.5, took
    assert len(accepted) == 1
