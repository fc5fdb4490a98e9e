"""The case page for people (issue 20): per item its current custodian, place and seal (as
the custody events say), its processing state and a link to its report; a processing run's
custody events folded into one row (its events behind a <details>), and a button that
exports the custody log, which verifies. In Dutch and English, no raw action or state."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.export import verify_export
from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest
from tests.web.helpers import PlantedItem

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]


def _cell(page: str, exhibit: str, name: str) -> str:
    """The visible text of one cell (by class) of the item's row in the evidence table."""
    row = re.search(rf'<tr data-exhibit="{exhibit}">(.*?)</tr>', page, re.S)
    assert row, page[:3000]
    cell = re.search(rf'<td class="{name}">(.*?)</td>', row.group(1), re.S)
    assert cell, row.group(1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell.group(1))).split())


def test_case_page_shows_custody_now_processing_and_exports(
    client: TestClient,
    processed_item: PlantedItem,
    make_lab: Callable[..., Lab],
    planted_disk: PlantedManifest,
    tmp_path: Path,
) -> None:
    """Intake by vlas_inv, then a move to 'kluis 3': the page says vlas_inv holds E1 in
    kluis 3 under its seal; E1's run is done with a report link, E2 never processed; the
    run's processed events (one per stage) are one row, their stages named in Dutch; the
    export button downloads a log that verifies, with as many events as the case has."""
    lab = make_lab("vlas_inv")
    case_id, item_id = processed_item.case_id, processed_item.item_id
    csrf = processed_item.headers["X-CSRF-Token"]
    lab.record_event(case_id, "transferred", evidence=item_id, location="kluis 3",
                     reason="naar de kluis")  # fmt: skip
    second = lab.add_evidence(case_id, planted_disk.image, description="kopie",
                              seal_number="Z-77")  # fmt: skip
    events = lab.custody_log(case_id)
    processed = [e for e in events if e["action"] == "processed"]
    assert len(processed) >= 5  # a run records one event per stage and segment
    (run_id,) = {e["details"]["run"] for e in processed}

    page = client.get(f"/cases/{case_id}", params={"lang": "nl"}).text
    item = lab.get_evidence(item_id)
    assert _cell(page, item.exhibit_number, "held") == (
        f"Bewaarder: vlas_inv Plaats: kluis 3 Zegelnummer: {item.seal_number or '-'}"
    )
    assert _cell(page, second.exhibit_number, "held").endswith("Zegelnummer: Z-77")
    assert _cell(page, item.exhibit_number, "run-state") == "klaar Rapport openen"
    assert f'href="/evidence/{item_id}/report?run={run_id}"' in page
    assert client.get(f"/evidence/{item_id}/report", params={"run": run_id}).status_code == 200
    assert _cell(page, second.exhibit_number, "run-state") == "nog niet verwerkt"

    custody = re.search(r'<table id="custody">(.*?)</table>\s*(?:<|$)', page, re.S)
    assert custody
    runs = re.findall(r'<tr class="run-row" data-run="([^"]+)">', page)
    assert runs == [run_id]  # the run is one row, not one per stage
    folded = re.search(r'<tr class="run-row".*?<details>(.*?)</details>', page, re.S)
    assert folded
    assert len(re.findall(r"<tr>", folded.group(1))) == len(processed)  # all, when opened
    assert "bestandssystemen" in folded.group(1) and "miniaturen" in folded.group(1)
    top_rows = len(events) - len(processed) + 1
    visible = re.sub(
        r"<details>.*?</details>", "", page.split('<table id="custody">')[1], flags=re.S
    )
    assert visible.count("<tr><td>") + visible.count('<tr class="run-row"') == top_rows
    for raw in (">intake<", ">processed<", ">transferred<", ">stored<", ">open<"):
        assert raw not in page, raw  # actions and states in Dutch
    assert ">opgenomen<" in page and ">overdracht<" in page
    english = client.get(f"/cases/{case_id}", params={"lang": "en"}).text
    assert "Custodian: vlas_inv" in html.unescape(english) and ">taken in<" in english

    # the custody export button: CSRF-checked, a verifiable log of every event
    assert 'action="/cases/' + case_id + '/custody/export"' in page
    forged = client.post(f"/cases/{case_id}/custody/export", data={"csrf": "x"})
    assert forged.status_code == 403
    exported = client.post(
        f"/cases/{case_id}/custody/export", data={"csrf": csrf, "recipient": "parket Gent"}
    )
    assert exported.status_code == 200, exported.text[-500:]
    assert "attachment" in exported.headers["content-disposition"]
    target = tmp_path / "custody.jsonl"
    target.write_bytes(exported.content)
    result = verify_export(target)
    assert result.ok, result.first_problem
    lines = [json.loads(line) for line in exported.text.splitlines() if line.strip()]
    assert sum(1 for line in lines if "seq" in line and "action" in line) >= len(events)
    after = lab.custody_log(case_id)
    assert after[-1]["action"] == "exported"
    assert "parket Gent" in json.dumps(after[-1])
