"""The processing page shows what the hashsets stage found: notable files in red, the set
versions named, in Dutch and English."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest
from tests.hashsets.test_scan_marks import import_sets
from tests.web.test_processing import process_and_wait


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_page_shows_notable_hits(client: TestClient, app: FastAPI,
                                 make_lab: Callable[..., Lab], planted_disk: PlantedManifest,
                                 tmp_path: Path) -> None:  # fmt: skip
    import_sets(make_lab("admin"), tmp_path, planted_disk, "unit <notable>")
    lab = make_lab("vlas_inv")
    case = lab.create_case("Hash sets")
    evidence_id = lab.add_evidence(case.id, planted_disk.image, description="disk").id
    view = process_and_wait(client, app, evidence_id, timeout=240)
    [run] = view["runs"]
    found = run["hashsets"]
    assert found["notable"] >= 3 and found["known"] >= 3, run
    page = client.get(f"/evidence/{evidence_id}/processing?lang=en")
    assert page.status_code == 200
    assert "unit &lt;notable&gt; v1" in page.text  # a set's name is text, never markup
    text = html.unescape(page.text)
    assert (
        f'<p class="hashsets bad" data-notable="{found["notable"]}" '
        f'data-known="{found["known"]}">Hash sets (NSRL v1, unit <notable> v1): '
        f"{found['notable']} notable files, {found['known']} known files</p>"
    ) in text
    dutch = client.get(f"/evidence/{evidence_id}/processing?lang=nl")
    assert f"{found['notable']} opvallende bestanden" in dutch.text
