"""Issue 20's acceptance in headless Chromium, after the file browser steps: two files
tagged with notes on their pages, the Dutch PDF for court written from the case page's
button and read back (pdftotext); then the DPO filters the audit log by date and exports
the selection as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import lccu
from lccu.evidence.lab import Lab
from lccu.testing.browser import chromium, open_page, process_item
from lccu.testing.images import PlantedManifest
from lccu.testing.oracles import pdf_text
from tests.web.helpers import PASSWORD, artifact

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]
NOTES = {
    "/docs/report.txt": "betalingsplan voor de levering",
    "/dir/picture.png": "foto van het pakket",
}


def test_tag_two_files_write_dutch_pdf_and_dpo_exports_audit(
    server: str, make_lab: Callable[..., Lab], planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    lab = make_lab("vlas_inv")
    case = lab.create_case(
        "Pakket via Telegram",
        reference="PV BR.12.L3.004512/2026",
        question="Welke bestanden tonen de levering?",
    )
    item = lab.add_evidence(
        case.id,
        planted_disk.image,
        description="laptop HDD image",
        exhibit_number="E1",
        seal_number="SEAL-0042",
    )
    planted = {f.path: f for f in planted_disk.files if f.path}
    with chromium() as browser:
        page = open_page(
            browser, f"{server}/evidence/{item.id}/processing", login=("vlas_inv", PASSWORD)
        )
        process_item(page)
        for path, note in NOTES.items():
            page.goto(f"{server}/evidence/{item.id}/files")
            page.get_by_label("Pad bevat").fill(path)
            page.get_by_role("button", name="Filteren").click()
            page.locator(f'#files tbody tr[data-path="{path}"] a').first.click()
            page.get_by_label("Label").fill("relevant")
            page.get_by_label("Notitie").fill(note)
            page.get_by_role("button", name="Markeren").click()
            expect(page.locator("#tag-table")).to_contain_text(note)

        page.goto(f"{server}/cases/{case.id}")
        with page.expect_download() as info:
            page.locator("#court-report a.button").click()
        pdf = tmp_path / "verslag.pdf"
        info.value.save_as(pdf)
        page.screenshot(path=artifact("30-case-court-report.png"), full_page=True)
        page.context.close()

        dpo = open_page(browser, f"{server}/audit", login=("dpo", PASSWORD), width=1400)
        today = dt.datetime.now(ZoneInfo("Europe/Brussels")).date()
        dpo.goto(f"{server}/audit")
        dpo.locator("#from").fill((today - dt.timedelta(days=1)).isoformat())
        dpo.locator("#to").fill((today - dt.timedelta(days=1)).isoformat())
        dpo.locator("#apply").click()
        expect(dpo.locator("#total")).to_have_text("0")
        dpo.locator("#to").fill(today.isoformat())
        dpo.locator("#username").fill("vlas_inv")
        dpo.locator("#apply").click()
        shown = int(dpo.locator("#total").inner_text())
        assert shown > 0
        dpo.screenshot(path=artifact("31-audit-filtered.png"), full_page=True)
        with dpo.expect_download() as info:
            dpo.locator("#audit-csv").click()
        exported = tmp_path / "audit.csv"
        info.value.save_as(exported)

    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", " ", text)
    bare = re.sub(r"\s+", "", text)
    for expected in (
        "Verslag van forensisch onderzoek",
        case.number,
        "PV BR.12.L3.004512/2026",
        "SEAL-0042",
        "vlas_inv",
        lccu.__version__,
        *NOTES,
        *NOTES.values(),
        "Welke bestanden tonen de levering?",
    ):
        assert expected in flat, expected
    for hashed in (item.sha256, *(planted[path].sha256 for path in NOTES)):
        assert hashed in bare, hashed

    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert len(rows) == shown
    assert {row_user(r) for r in rows} == {"vlas_inv"}


def row_user(row: dict[str, str]) -> str:
    """The user column of an exported audit row, whatever its header's language."""
    for name in ("user", "username", "gebruiker"):
        for key, value in row.items():
            if key.strip().lower() == name:
                return value
    raise AssertionError(f"no user column in {sorted(row)}")
