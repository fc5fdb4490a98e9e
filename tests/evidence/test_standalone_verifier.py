"""The standalone verifier in docs/examples (no lccu import) agrees with lccu's own."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lccu.evidence.lab import Lab
from lccu.testing.keys import sign_as

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "verify_custody_export.py"


def _run(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", str(SCRIPT), str(path), *extra],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_standalone_verifier(busy_case: tuple[Lab, str], tmp_path: Path) -> None:
    """An untouched export verifies (with the noted head); an edited event is named."""
    imports = [line for line in SCRIPT.read_text().splitlines()
               if line.startswith(("import ", "from "))]
    assert not any("lccu" in line for line in imports), "the verifier must stand alone"
    lab, case_id = busy_case
    path = tmp_path / "custody.jsonl"
    lab.export_custody(case_id, path)
    head = lab.get_case(case_id).head_hash
    ok = _run(path, "--head", head)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VERIFIED" in ok.stdout and head in ok.stdout
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record["type"] == "event" and record["seq"] == 4:
            record["location"] = "elsewhere"
            lines[i] = json.dumps(record)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    bad = _run(tampered)
    assert bad.returncode == 1
    assert "event 4: content does not match its hash" in bad.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_standalone_verifier_checks_countersignatures(make_lab: Callable[..., Lab],
                                                      image_file: Path,
                                                      tmp_path: Path) -> None:
    """A countersigned hand-over verifies in both verifiers, the unsigned plain-name witness
    is reported as pending; an edited countersignature is named by both at its event."""
    from lccu.evidence.export import verify_export

    vlas, op = make_lab("vlas_inv"), make_lab("op")
    case = vlas.create_case("Countersigned")
    item = vlas.add_evidence(case.id, image_file, description="disk")
    seq = vlas.transfer(case.id, item.id, received_by="op", witness="Jan Peeters",
                        to_location="locker 1")["seq"]
    op.countersign(case.id, seq)
    path = tmp_path / "custody.jsonl"
    vlas.export_custody(case.id, path)
    ok = _run(path)
    assert ok.returncode == 0, ok.stdout
    assert f"event {seq}: not countersigned by witness Jan Peeters (pending" in ok.stdout
    assert verify_export(path).ok
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record["type"] == "countersignature":
            record["signature"] = sign_as(vlas.keys.directory, "op", b"\0" * 32)
            lines[i] = json.dumps(record)
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(lines) + "\n")
    bad = _run(edited)
    assert bad.returncode == 1
    assert f"event {seq}: countersignature by op invalid" in bad.stdout
    result = verify_export(edited)
    assert not result.ok and result.first_problem is not None
    assert result.first_problem.seq == seq
