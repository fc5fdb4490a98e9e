"""Fixtures for processing runs: a unit with cases in two zones, real Redis, real workers.

Workers are separate ``lccu worker`` processes sharing this test's LCCU_HOME (signing keys,
local evidence store) and database; they are killed when the test ends.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from lccu.config import Settings
from lccu.testing.images import PlantedManifest
from lccu.testing.keys import KEY_ENV
from tests.hashsets.test_scan_marks import PlantedSets, import_sets

#: a rule that hits JPEG headers: in the raw image, in extracted files and in carved files
JPEG_RULE = "rule jpeg_soi { strings: $soi = { FF D8 FF } condition: $soi }\n"
SEGMENT = 16 * 1024 * 1024


@dataclass
class Unit:
    """A bootstrapped unit: labs by user name, one case per zone, the settings to share."""

    settings: Settings
    make_lab: Callable[..., Any]
    rules: Path
    env: dict[str, str]
    cases: dict[str, str] = field(default_factory=dict)

    def lab(self, user: str) -> Any:
        return self.make_lab(user)

    def add_image(self, user: str, path: Path, exhibit: str) -> str:
        """Take an image in as evidence of ``user``'s zone case; returns its evidence id."""
        lab = self.lab(user)
        if user not in self.cases:
            self.cases[user] = lab.create_case(f"case of {user}").id
        return str(
            lab.add_evidence(self.cases[user], path, description=exhibit, exhibit_number=exhibit).id
        )

    def cli(
        self, *args: str, user: str = "vlas_inv", timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """``lccu ARGS`` in a child process as ``user``, with the unit's settings; ``env``
        overrides them, an empty value drops the variable (``LCCU_REDIS_URL=""``: no Redis,
        `lccu process` runs the stages itself)."""
        full = {**os.environ, **self.env, "LCCU_USER": user, **env}
        return subprocess.run(
            [sys.executable, "-m", "lccu.cli.main", *args],
            env={k: v for k, v in full.items() if v != ""},
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture
def unit(
    make_lab: Callable[..., Any],
    lab_settings: Settings,
    tmp_path: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Unit:
    rules = tmp_path / "jpeg.yar"
    rules.write_text(JPEG_RULE)
    env = {
        "LCCU_HOME": str(lab_settings.home),
        "LCCU_DATABASE_URL": lab_settings.database_url,
        "LCCU_REDIS_URL": redis_url,
        "LCCU_USER": "op",
        "LCCU_RULES": str(rules),
        "LCCU_SEGMENT_SIZE": str(SEGMENT),
        "LCCU_LEASE_SECONDS": "4",
        "LCCU_BROKER_HEARTBEAT_MS": "3000",
        "LCCU_BROKER_MAINTENANCE": "1000000",
        **KEY_ENV,
    }
    for name in (
        "LCCU_SEGMENT_SIZE",
        "LCCU_LEASE_SECONDS",
        "LCCU_BROKER_HEARTBEAT_MS",
        "LCCU_BROKER_MAINTENANCE",
    ):
        monkeypatch.setenv(name, env[name])
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("dramatiq:*"):  # tokens a previous test left behind
        client.delete(key)
    return Unit(lab_settings, make_lab, rules, env)


@pytest.fixture
def planted_sets(unit: Unit, planted_disk: PlantedManifest, tmp_path: Path) -> PlantedSets:
    """The unit's notable and known sets, made from planted files of ``planted_disk``."""
    return import_sets(unit.lab("admin"), tmp_path, planted_disk)


@pytest.fixture
def workers(unit: Unit, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """``start(threads=1)`` starts one ``lccu worker`` process; all are killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(threads: int = 1) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "lccu.cli.main", "worker", "--threads", str(threads)],
            env={**os.environ, **unit.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


def send_tokens(unit: Unit, run_id: str, count: int) -> None:
    """What `lccu process` does with workers: one work token per runnable stage."""
    from lccu.tasks.broker import declare, make_broker

    broker = make_broker(dataclasses.replace(unit.settings, redis_url=unit.env["LCCU_REDIS_URL"]))
    actor = declare(broker)
    for _ in range(count):
        actor.send(run_id)
    broker.close()


def wait_runs(lab: Any, run_ids: list[str], timeout: float = 90) -> list[dict[str, Any]]:
    """Poll until every run is done or failed; fail the test with the states otherwise."""
    from lccu.tasks import run_status

    deadline = time.monotonic() + timeout
    while True:
        states = [run_status(lab, r) for r in run_ids]
        if all(s["state"] in ("done", "failed") for s in states):
            return states
        if time.monotonic() > deadline:
            pending = [
                (
                    s["run"][:8],
                    [
                        (x["stage"], x["state"])
                        for x in s["stages"]
                        if x["state"] not in ("done", "failed")
                    ],
                )
                for s in states
                if s["state"] not in ("done", "failed")
            ]
            pytest.fail(f"runs not finished after {timeout} s: {pending}")
        time.sleep(0.3)
