"""The CASE/UCO export conforms to the ontology under case-utils' offline validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from lccu.evidence.lab import Lab
from lccu.testing.corpus import corpus_dir

pytestmark = pytest.mark.slow


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("case_validate")
    assert exe, "case_validate (pip install case-utils) is needed for this test"
    return subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_case_export_validates(make_lab: Callable[..., Lab], image_file: Path,
                               tmp_path: Path) -> None:
    """A case with an item (hashes, seal) and its custody chain conforms, offline."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("CASE export", reference="OR-2026-42")
    item = lab.add_evidence(case.id, image_file, description="phone dump", seal_number="S-4")
    lab.record_event(case.id, "transferred", evidence=item.id, location="locker 3",
                     reason="to examiner")
    out = lab.export_case_uco(case.id, tmp_path / "case.jsonld")
    graph = json.loads(out.read_text())
    assert isinstance(graph["@context"], dict)
    ids = [node["@id"] for node in graph["@graph"]]
    assert len(ids) == len(set(ids))
    hashes = [h for n in graph["@graph"] for f in n.get("uco-core:hasFacet", [])
              for h in f.get("uco-observable:hash", [])]
    assert {h["uco-types:hashValue"]["@value"] for h in hashes} >= {item.sha256}
    result = _validate(out)
    assert "Conforms: True" in result.stdout, result.stdout[-2000:]


def test_validator_rejects_the_invalid_example() -> None:
    """Sanity check of the oracle: the shared invalid example does not conform."""
    bad = corpus_dir().parent / "examples" / "case-custody-invalid.jsonld"
    result = _validate(bad)
    assert "Conforms: False" in result.stdout
