"""One way to assemble a report: `lccu scan`, embedded `lccu process` and a worker run of
the same image give the same report, apart from run metadata."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lccu.tasks import run_status, submit
from lccu.testing.images import PlantedManifest
from tests.tasks.conftest import JPEG_RULE, SEGMENT, Unit, send_tokens, wait_runs
from tests.tasks.helpers import load_report

#: what may differ between runs of one image: when, by which lccu, the image's name
RUN_METADATA = ("generated_at", "tool")
#: a word that is no whole word: a letter right before it, at a YARA segment's first byte
BOUNDARY_RULE = 'rule edge_word { strings: $w = "lccu-edge" fullword condition: $w }\n'


def image_with_edge_word(planted: Path, tmp_path: Path) -> Path:
    """The planted disk with ``xlccu-edge`` across the edge of the first two segments (in
    free FAT space, zeros before): no hit for a whole scan, nor for a segment scanned with
    the byte before its edge (a window starting at the edge saw a false word boundary)."""
    image = tmp_path / "edge.img"
    data = bytearray(planted.read_bytes())
    assert data[SEGMENT - 512 : SEGMENT + 512] == bytes(1024)
    data[SEGMENT - 1 : SEGMENT + 9] = b"xlccu-edge"
    image.write_bytes(bytes(data))
    return image


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """The report without run metadata; exported paths relative to their stage folder (runs
    keep derived files under derived/<item>/<stage key>/, `lccu scan` under its --out)."""
    out = {k: v for k, v in report.items() if k not in RUN_METADATA}
    out["image"] = {k: v for k, v in report["image"].items() if k != "path"}
    text = json.dumps(out, sort_keys=True)
    text = re.sub(r'"exported": "[0-9a-f]{16}/', '"exported": "', text)
    return dict(json.loads(text))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_scan_embedded_process_and_worker_give_one_report(
    unit: Unit, workers, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """The same image (JPEG headers in files, carved and raw bytes; a word that is no whole
    word at a segment edge) through `lccu scan`, `lccu process` without Redis (embedded)
    and a worker process: equal reports but for run metadata and the image's name."""
    rules = tmp_path / "rules.yar"
    rules.write_text(JPEG_RULE + BOUNDARY_RULE)
    unit.env["LCCU_RULES"] = str(rules)
    image = image_with_edge_word(planted_disk.image, tmp_path)
    scan = unit.cli("scan", str(image), "--out", str(tmp_path / "scan"), timeout=300)
    assert scan.returncode == 0, scan.stderr
    scanned = json.loads((tmp_path / "scan" / "report.json").read_text())
    lab = unit.lab("vlas_inv")
    embedded_item = unit.add_image("vlas_inv", image, "E1")
    process = unit.cli("process", embedded_item, "--json", LCCU_REDIS_URL="", timeout=300)
    assert process.returncode == 0, process.stderr
    embedded = json.loads(process.stdout)["run"]
    worker_item = unit.add_image("vlas_inv", image, "E2")
    worker = submit(lab, worker_item, rules=[rules])
    workers()
    send_tokens(unit, worker.run_id, worker.queued)
    wait_runs(lab, [worker.run_id])
    reports = {"scan": scanned}
    for name, run in (("embedded", embedded), ("worker", worker.run_id)):
        status = run_status(lab, run)
        assert status["state"] == "done", status
        reports[name] = load_report(lab, status["report"])
    assert reports["embedded"]["image"]["path"] == "E1"
    want = comparable(reports["scan"])
    assert want["files"] and want["carved"] and want["yara"]
    assert not [h for h in want["yara"] if h["rule"] == "edge_word"]
    for name in ("embedded", "worker"):
        got = comparable(reports[name])
        assert sorted(got) == sorted(want), name
        for key in want:
            assert got[key] == want[key], (name, key)
