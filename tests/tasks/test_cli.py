"""The command line: `lccu process` without servers, `lccu results`, `lccu worker` refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import Unit

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_process_without_redis_runs_in_process(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """With no LCCU_REDIS_URL, `lccu process` runs every stage itself and `lccu results`
    writes the HTML report naming the image's SHA-256."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    done = unit.cli("process", evidence, "--json", LCCU_REDIS_URL="")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["state"] == "done"
    assert {s["state"] for s in status["stages"]} == {"done"}
    out = tmp_path / "report.html"
    written = unit.cli("report", evidence, "--format", "html", "-o", str(out))
    assert written.returncode == 0, written.stderr
    sha256 = unit.lab("vlas_inv").get_evidence(evidence).sha256
    assert sha256 in out.read_text()


@SQLITE_ONLY
def test_worker_refuses_without_redis_or_operator(unit: Unit) -> None:
    """`lccu worker` exits 2 with what to set when Redis is not configured, and when the
    acting user is not an operator."""
    no_redis = unit.cli("worker", LCCU_REDIS_URL="", LCCU_USER="op")
    assert no_redis.returncode == 2
    assert "set LCCU_REDIS_URL" in no_redis.stderr
    not_operator = unit.cli("worker", LCCU_USER="vlas_inv")
    assert not_operator.returncode == 2
    assert "workers act as an operator" in not_operator.stderr


@SQLITE_ONLY
def test_results_before_any_run_is_a_clear_error(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """`lccu report` for an item never processed says so and points at `lccu status`."""
    evidence = unit.add_image("vlas_inv", planted_disk.image, "E1")
    result = unit.cli("report", evidence, "-o", str(tmp_path / "r.json"))
    assert result.returncode == 2
    assert "no finished processing run" in result.stderr
