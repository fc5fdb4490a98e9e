"""Metrics and health: the Prometheus endpoints of `lccu worker --processes 2` and `lccu
serve` are scraped during a run and their counters move with it; `lccu status --workers`
and the web's workers view show the workers and the queue."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lccu.tasks import run_status, submit
from lccu.testing.browser import serve_in_thread
from lccu.testing.images import PlantedManifest
from lccu.web.app import create_app
from lccu.web.auth import Tokens
from lccu.web.config import WebConfig
from tests.tasks.conftest import Unit, send_tokens

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.slow,
    pytest.mark.redis,
]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, token: str | None = None) -> Samples:
    """Every sample of a Prometheus text exposition, keyed by name and labels."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(
        v for (n, lab), v in samples.items() if n == name and set(labels.items()) <= set(lab)
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def supervised(unit: Unit, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`lccu worker --processes 2` serving metrics on a free loopback port."""
    port = free_port()
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lccu.cli.main", "worker", "--processes", "2"],
        env={**os.environ, **unit.env, "LCCU_WORKER_METRICS_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield proc, f"http://127.0.0.1:{port}/metrics"
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture
def serve(unit: Unit) -> Iterator[tuple[str, str]]:
    """`lccu serve`'s app on a loopback port, and an operator's API token for scraping."""
    settings = dataclasses.replace(unit.settings, redis_url=unit.env["LCCU_REDIS_URL"])
    app = create_app(settings, WebConfig(secret_key="m" * 48, secure_cookies=False))
    _, token = Tokens(app.state.web.db).create(unit.lab("op").actor, "prometheus")
    with serve_in_thread(app) as base:
        yield base, token
    app.state.web.db.dispose()


def until(condition: Any, what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def test_both_endpoints_move_with_a_run(
    unit: Unit, supervised: Any, serve: tuple[str, str], planted_disk: PlantedManifest
) -> None:
    """During a run the worker supervisor's endpoint (the sum of its two children) counts
    stages, their seconds and the image bytes they covered, and the web's endpoint shows
    the zone's queue and the intake; afterwards both agree with the run's rows and the
    image's size on disk."""
    proc, worker_url = supervised
    base, token = serve
    web_url = f"{base}/metrics"
    until(
        lambda: total(scrape(web_url, token), "lccu_workers_alive") == 2,
        "both worker children registered and alive",
    )
    before_worker, before_web = scrape(worker_url), scrape(web_url, token)
    assert total(before_worker, "lccu_stages_done_total") == 0

    evidence = unit.add_image("vlas_inv", planted_disk.image, "M1")
    lab = unit.lab("vlas_inv")
    sub = submit(lab, evidence, rules=[unit.rules])
    send_tokens(unit, sub.run_id, sub.queued)
    done_seen: list[float] = []
    queued_seen: list[float] = []
    while run_status(lab, sub.run_id)["state"] not in ("done", "failed"):
        done_seen.append(total(scrape(worker_url), "lccu_stages_done_total"))
        web = scrape(web_url, token)
        queued_seen.append(total(web, "lccu_queue_stages", zone="PZ Vlas"))
        time.sleep(0.1)
        assert len(done_seen) < 1500, "the run did not finish"
    status = run_status(lab, sub.run_id)
    assert status["state"] == "done", status
    stages = len(status["stages"])
    size = planted_disk.image.stat().st_size

    after_worker, after_web = scrape(worker_url), scrape(web_url, token)
    assert total(after_worker, "lccu_stages_done_total") == stages
    assert done_seen == sorted(done_seen)  # counters only go up
    assert any(0 < n < stages for n in done_seen), f"no scrape mid-run: {done_seen}"
    assert max(queued_seen) > 0  # the zone's unfinished stages were visible
    assert total(after_web, "lccu_queue_stages", zone="PZ Vlas") == 0
    assert total(after_worker, "lccu_stage_bytes_total", stage="hash") == size
    carved = total(after_worker, "lccu_stage_bytes_total", stage="carve")
    assert carved == size  # the segments cover the image exactly once
    assert total(after_worker, "lccu_stage_duration_seconds_count") == stages
    assert total(after_worker, "lccu_stage_failures_total") == 0
    assert (
        total(after_web, "lccu_intake_bytes_total", zone="PZ Vlas")
        - total(before_web, "lccu_intake_bytes_total", zone="PZ Vlas")
        == size
    )

    shown = unit.cli("--as", "op", "status", "--workers", user="op")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count(" alive ") == 2 and worker_url in shown.stdout
    refused = unit.cli("--as", "vlas_inv", "status", "--workers", user="op")
    assert refused.returncode == 1
    request = urllib.request.Request(
        f"{base}/api/v1/workers", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        view = json.loads(response.read())
    assert sorted(w["alive"] for w in view["workers"]) == [True, True]
    assert {w["metrics_url"] for w in view["workers"]} == {worker_url}

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert total(scrape(web_url, token), "lccu_workers_alive") == 0  # a clean stop unregisters


def test_metrics_need_an_operator_token(unit: Unit, serve: tuple[str, str]) -> None:
    """Without a token /metrics is 401, with an investigator's token 403."""
    base, _ = serve
    app_db = unit.lab("vlas_inv")
    _, token = Tokens(app_db.db).create(app_db.actor, "not an operator")
    for header, status in ((None, 401), (token, 403)):
        request = urllib.request.Request(f"{base}/metrics")
        if header:
            request.add_header("Authorization", f"Bearer {header}")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
        assert caught.value.code == status
