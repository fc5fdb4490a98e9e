"""What a SIGKILLed `lccu serve` leaves of its uploads is removed when it starts again, and
nothing else: real `lccu serve` processes on one database and one store (local, and S3 on
the test SeaweedFS). Server A takes in a finished item, then is killed mid-upload with a
raw image half sent (a partial file / an S3 multipart upload in the evidence area) and an
E01 half sent (a staging copy); server B has an upload in progress all along. Restarted
after the grace period, A removes its own leftovers (each audited as the server), leaves
B's (its intake renews its lease) and the evidence alone; B's upload then resumes and is
taken in with hashlib's hashes."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from lccu.config import Settings
from lccu.evidence.lab import Lab
from lccu.evidence.upload_cleanup import OPERATION, SERVER_ACTOR
from lccu.storage import open_store
from lccu.storage.leftovers import find
from lccu.testing.formats import run, tool
from tests.web.helpers import login, web_keys

MIB = 1024 * 1024
GRACE_MINUTES = 0.05  # 3 s: a lease is renewed every 0.75 s
REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.xdist_group("timed"),
]


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lab_settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """The unit embedded (local evidence store) or on the test S3 server."""
    if request.param == "s3":
        s3: Settings = request.getfixturevalue("s3_settings")
        return web_keys(dataclasses.replace(s3, database_url=database_url))
    from lccu.config import load_settings

    env = {"LCCU_HOME": str(tmp_path / "home"), "LCCU_DATABASE_URL": database_url}
    return web_keys(load_settings(env))


def server_env(settings: Settings) -> dict[str, str]:
    """The environment that gives `lccu serve` these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    names = (
        "home",
        "database_url",
        "s3_endpoint",
        "s3_access_key",
        "s3_secret_key",
        "s3_secure",
        "s3_bucket",
        "s3_derived_bucket",
        "s3_retention_days",
        "passphrase",
        "new_passphrase",
        "unit_passphrase",
        "key_kdf",
    )
    for name in names:
        value = getattr(settings, name)
        if value is not None:
            env[f"LCCU_{name.upper()}"] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    env.update(LCCU_WEB_SECRET="test-key-" + "x" * 40, LCCU_UPLOAD_GRACE_MINUTES=str(GRACE_MINUTES))
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def servers(
    settings: Settings, log_dir: Path
) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Start `lccu serve` processes (each in its own session, stopped at the end)."""
    started: list[subprocess.Popen[bytes]] = []
    env = server_env(settings)

    def start(name: str) -> subprocess.Popen[bytes]:
        port = free_port()
        with (log_dir / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lccu.cli.main", "serve", "--port", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        proc.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
        started.append(proc)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(proc.base + "/login", timeout=5).status_code == 200:  # type: ignore[attr-defined]
                    return proc
            assert proc.poll() is None, (log_dir / f"{name}.log").read_text()
            time.sleep(0.3)
        raise AssertionError((log_dir / f"{name}.log").read_text())

    try:
        yield start
    finally:
        for proc in started:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=20)


def start_upload(
    client: httpx.Client, csrf: str, case_id: str, files: list[tuple[str, int]]
) -> str:
    answer = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers={"X-CSRF-Token": csrf},
        json={
            "filename": files[0][0],
            "size": sum(s for _n, s in files),
            "description": "seized disk",
            "files": [{"name": n, "size": s} for n, s in files] if len(files) > 1 else None,
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["upload_id"])


def send(
    client: httpx.Client, csrf: str, upload_id: str, data: bytes, start: int, end: int
) -> None:
    for offset in range(start, end, 4 * MIB):
        chunk = data[offset : min(end, offset + 4 * MIB)]
        answer = client.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": offset},
            content=chunk,
            headers={"X-CSRF-Token": csrf},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text


def wait_until(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not seen within {timeout} s")


def test_killed_server_leftovers_are_removed_at_restart_live_upload_resumes(
    unit: Settings, make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """SIGKILL mid-upload, restart after the grace period: the killed server's partial
    evidence file or multipart upload and its staging copy are gone, each audited once as
    the server; the committed item still verifies; the other server's upload, idle but
    renewing its lease, keeps its leftovers and completes with hashlib's hashes."""
    vlas = make_lab("vlas_inv")
    cases = {
        name: vlas.create_case(f"Cleanup {name}").id for name in ("done", "raw", "e01", "live")
    }
    rng = random.Random(7)
    raw = rng.randbytes(40 * MIB)
    live = rng.randbytes(40 * MIB)
    disk = tmp_path / "disk.raw"
    disk.write_bytes(rng.randbytes(5 * MIB))
    run(
        tool("ewfacquire", "ewf-tools"),
        "-u",
        "-q",
        "-c",
        "none",
        "-S",
        str(2 * MIB),
        "-t",
        str(tmp_path / "disk"),
        str(disk),
    )
    e01 = [(p.name, p.read_bytes()) for p in sorted(tmp_path.glob("disk.E0*"))]
    assert len(e01) == 3
    store = open_store(unit)

    def leftovers(case: str) -> list[str]:
        return [f"{x.kind} {x.key}" for x in find(store) if x.case_id == cases[case]]

    with servers(unit, tmp_path) as start:
        server_a, server_b = start("a"), start("b")
        a = httpx.Client(base_url=server_a.base, timeout=60)  # type: ignore[attr-defined]
        b = httpx.Client(base_url=server_b.base, timeout=60)  # type: ignore[attr-defined]
        csrf_a, csrf_b = login(a, "vlas_inv"), login(b, "vlas_inv")  # type: ignore[arg-type]
        small = rng.randbytes(MIB)
        done = start_upload(a, csrf_a, cases["done"], [("kept.raw", len(small))])
        send(a, csrf_a, done, small, 0, len(small))
        item = a.post(f"/api/v1/uploads/{done}/complete", headers={"X-CSRF-Token": csrf_a})
        assert item.status_code == 201, item.text
        send(
            a,
            csrf_a,
            start_upload(a, csrf_a, cases["raw"], [("half.raw", len(raw))]),
            raw,
            0,
            24 * MIB,
        )
        joined = b"".join(body for _n, body in e01)
        send(
            a,
            csrf_a,
            start_upload(a, csrf_a, cases["e01"], [(n, len(body)) for n, body in e01]),
            joined,
            0,
            len(e01[0][1]) + MIB,
        )
        upload_b = start_upload(b, csrf_b, cases["live"], [("live.raw", len(live))])
        send(b, csrf_b, upload_b, live, 0, 24 * MIB)
        wait_until(
            "A's and B's leftovers", lambda: all(leftovers(c) for c in ("raw", "e01", "live"))
        )
        wait_until(
            "A's staging copy of the first segment",
            lambda: any(
                x.endswith("/disk.E01") and x.startswith("staging copy") for x in leftovers("e01")
            ),
        )
        before = {c: leftovers(c) for c in ("raw", "e01", "live")}
        kind = "multipart upload" if unit.s3_endpoint else "partial file"
        assert any(x.startswith(kind) for x in before["raw"]), before

        os.killpg(server_a.pid, signal.SIGKILL)
        server_a.wait(timeout=30)
        time.sleep(GRACE_MINUTES * 60 + 2)
        assert {c: leftovers(c) for c in ("raw", "e01")} == {
            c: before[c] for c in ("raw", "e01")
        }  # a dead server removes nothing
        start("a-again")

        assert leftovers("raw") == [] and leftovers("e01") == []
        assert leftovers("live") == before["live"]
        audited = [e for e in make_lab("dpo").audit_log() if e.operation == OPERATION]
        assert {e.username for e in audited} == {SERVER_ACTOR}
        details = [json.loads(e.detail) if isinstance(e.detail, str) else e.detail for e in audited]
        removed = [f"{d['kind']} {d.get('key')}" for d in details]
        assert set(before["raw"] + before["e01"]) <= set(removed)
        assert len(removed) == len(set(removed))  # each once
        assert {d["case_id"] for d in details} == {cases["raw"], cases["e01"]}
        assert "removed" in (tmp_path / "a-again.log").read_text()
        kept = make_lab("vlas_inv").verify_evidence(item.json()["id"])
        assert kept["match"], kept

        send(b, csrf_b, upload_b, live, 24 * MIB, len(live))
        finished = b.post(f"/api/v1/uploads/{upload_b}/complete", headers={"X-CSRF-Token": csrf_b})
        assert finished.status_code == 201, finished.text
        assert finished.json()["sha256"] == hashlib.sha256(live).hexdigest()
        wait_until("no leftover at all", lambda: find(store) == [], timeout=10)
