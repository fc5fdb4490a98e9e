"""The case page's button for the report for court (issue 20): a PDF (or HTML, or Word)
download, in the page's language, access checked and audited like every read behind it."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.oracles import pdf_text
from tests.web.helpers import login

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_case_page_downloads_the_court_report(
    client: TestClient,
    new_client: Callable[[], TestClient],
    make_lab: Callable[..., Lab],
    tmp_path: Path,
) -> None:
    lab = make_lab("vlas_inv")
    case = lab.create_case("Phishing", reference="PV GE.55.L1.000777/2026")
    disk = tmp_path / "usb.raw"
    disk.write_bytes(b"\x01" * 65536)
    item = lab.add_evidence(
        case.id, disk, description="USB stick", exhibit_number="E7", seal_number="SEAL-7777"
    )
    login(client, "vlas_inv")
    page = client.get(f"/cases/{case.id}")
    assert f"/cases/{case.id}/court-report?format=pdf" in page.text

    pdf = client.get(f"/cases/{case.id}/court-report", params={"format": "pdf", "lang": "nl"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="verslag-{case.number}.pdf"'
    )
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = pdf_text(tmp_path / "r.pdf", layout=False)
    for expected in (
        case.number,
        "PV GE.55.L1.000777/2026",
        "SEAL-7777",
        item.sha256,
        "vlas_inv",
        "nooit verwerkt",
    ):
        assert expected in text.replace("\n", " "), expected

    html = client.get(f"/cases/{case.id}/court-report", params={"format": "html", "lang": "en"})
    assert html.status_code == 200 and "Forensic examination report" in html.text
    assert "script-src" not in html.headers["content-security-policy"]
    assert f"/cases/{case.id}/court-report?format=docx" in page.text
    docx = client.get(f"/cases/{case.id}/court-report", params={"format": "docx", "lang": "nl"})
    assert docx.status_code == 200, docx.text
    assert docx.headers["content-type"] == DOCX_TYPE
    assert docx.headers["content-disposition"] == (
        f'attachment; filename="verslag-{case.number}.docx"'
    )
    document = Document(io.BytesIO(docx.content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    words = " ".join([p.text for p in document.paragraphs] + cells)
    for expected in (case.number, "PV GE.55.L1.000777/2026", "SEAL-7777", item.sha256):
        assert expected in words, expected
    assert "nooit verwerkt" in words
    assert client.get(f"/cases/{case.id}/court-report", params={"format": "odt"}).status_code in (
        400,
        422,
    )

    other = new_client()
    login(other, "polder_inv")
    assert other.get(f"/cases/{case.id}/court-report").status_code == 404  # as if not there
    refused = [
        e
        for e in make_lab("dpo").audit_log()
        if e.username == "polder_inv" and not e.allowed and e.case_id == case.id
    ]
    assert refused
