"""The standalone verifier in docs/examples (no lccu import) agrees with lccu's own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lccu.evidence.lab import Lab

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
