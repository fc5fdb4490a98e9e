"""Service outages during a run: Redis restarted without persistence (a private server on
its own port; the machine's shared Redis is never touched)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from lccu.tasks import run_status, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit, send_tokens, wait_runs
from tests.tasks.helpers import processed_events

pytestmark = pytest.mark.xdist_group("timed")  # stalls and restarts: one timed test at once


class PrivateRedis:
    """A throw-away redis-server on a free loopback port, restartable on that port."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed (apt-get install -y redis-server)"
        self.binary, self.workdir = binary, workdir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"private redis-server on port {self.port} did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_survives_redis_restart_that_lost_every_token(
        unit: Unit, workers, private_redis: PrivateRedis,
        planted_disk: PlantedManifest) -> None:
    """Redis killed mid-run and restarted empty: the worker reconnects, its janitor re-sends
    tokens for the queued stages, and the run completes with one event per stage."""
    unit.env["LCCU_REDIS_URL"] = private_redis.url
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    lab = unit.lab("vlas_inv")
    workers()
    sub = submit(lab, evidence, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    for _ in range(2000):
        if any(s["state"] == "done" for s in run_status(lab, sub.run_id)["stages"]):
            break
        time.sleep(0.01)
    private_redis.kill()
    left = [s for s in run_status(lab, sub.run_id)["stages"] if s["state"] != "done"]
    assert left, "the run finished before Redis could be killed"
    time.sleep(1)
    private_redis.start()
    [status] = wait_runs(lab, [sub.run_id], timeout=90)
    assert status["state"] == "done"
    assert len(processed_events(lab, evidence)) == 15
