"""The report for court of a case (issue 20): `lccu report CASE --format pdf|html --lang
nl|en`, read back as text (pdftotext) for what a magistrate and the PV need."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import lccu
from lccu.testing.images import PlantedManifest
from lccu.testing.oracles import pdf_text
from tests.tasks.conftest import Unit
from tests.tasks.test_cli import SQLITE_ONLY

NOTES = {
    "/docs/report.txt": "betalingsplan voor de levering",
    "/photos/holiday.jpg": "foto van de verdachte met het pakket",
}


def _tagged_case(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> tuple[Any, Any, dict[str, str], dict[str, Any]]:
    """A case with a processed exhibit (two files tagged with notes) and one never
    processed."""
    lab = unit.lab("vlas_inv")
    case = lab.create_case("Drugs via Telegram", reference="PV BR.12.L3.004512/2026")
    item = lab.add_evidence(
        case.id,
        planted_disk.image,
        description="laptop HDD image",
        exhibit_number="E1",
        seal_number="SEAL-0042",
    )
    unprocessed = tmp_path / "usb.raw"
    unprocessed.write_bytes(b"\x00" * 65536)
    lab.add_evidence(
        case.id, unprocessed, description="USB stick", exhibit_number="E2", seal_number="SEAL-0043"
    )
    done = unit.cli("process", item.id, "--json", LCCU_REDIS_URL="")
    verified = unit.cli("evidence", "verify", item.id)  # a verification for the report
    assert verified.returncode == 0, verified.stderr
    assert done.returncode == 0, done.stderr
    planted = {f.path: f for f in planted_disk.files if f.path}
    notes = dict(NOTES)
    for path, note in notes.items():
        tagged = unit.cli("tag", "add", item.id, path, "--label", "relevant", "--note", note)
        assert tagged.returncode == 0, tagged.stderr

    return case, item, notes, planted


def dutch_facts(case: Any, item: Any, notes: dict[str, str]) -> list[str]:
    """What the Dutch report of :func:`_tagged_case` must say, whatever its format: title,
    case number, PV, both exhibits' seals, the processed one's SHA-256, the examiner, lccu's
    version, the source time zone, that E2 was never processed, and the tags' notes."""
    return [
        "Verslag van forensisch onderzoek",
        case.number,
        "PV BR.12.L3.004512/2026",
        "SEAL-0042",
        "SEAL-0043",
        item.sha256,
        "vlas_inv",
        f"lccu {lccu.__version__}",
        "Europe/Brussels",
        "nooit verwerkt",
        *notes.values(),
    ]


#: a time as the report writes it: Europe/Brussels, its zone and offset stated
BRUSSELS_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} CES?T \(UTC\+0[12]:00\)")


def more_facts(unit: Unit, item: Any) -> list[str]:
    """The rest of issue 20's list, in Dutch: zone, the exhibits' descriptions and type,
    the custody summary's actions in Dutch, the run (method and annex) and the rule set's
    identity."""
    lab = unit.lab("vlas_inv")
    (run,) = lab.runs_of(item.id)
    identity = lab.report(item.id)["yara_rules"]["identity"]
    return ["PZ Vlas", "laptop HDD image", "USB stick", "schijfkopie", "opgenomen: 2",
            "verwerkt: ", run, identity, "Hercontrole", "komt overeen",
            "niet opnieuw gecontroleerd"]  # fmt: skip


def check_dutch_words(flat: str) -> None:
    """No custody action or item type in lccu's own English words; times in Brussels."""
    for raw in ("intake:", "processed:", "note:", "disk-image"):
        assert raw not in flat, raw
    assert BRUSSELS_TIME.search(flat), flat[:2000]


@SQLITE_ONLY
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_court_report_pdf_html_and_docx(
    unit: Unit, planted_disk: PlantedManifest, tmp_path: Path
) -> None:
    """A case with a processed, tagged exhibit and one never processed: the Dutch PDF
    names the PV, the exhibit's seal and SHA-256, the tagged files' paths, hashes and
    notes, the examiner, lccu's version and the custody head; says the second exhibit was
    never processed (exit 0); the English HTML says the same in English; the Word document
    says what the PDF says. One case for all three: processing it is most of the time."""
    case, item, notes, planted = _tagged_case(unit, planted_disk, tmp_path)
    check_docx(unit, tmp_path, case, item, notes, planted)

    out = tmp_path / "verslag.pdf"
    written = unit.cli("report", case.number, "--format", "pdf", "--lang", "nl", "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    text = pdf_text(out)
    flat = re.sub(r"\s+", " ", text)
    head = unit.lab("vlas_inv").get_case(case.id).head_hash
    for expected in [*dutch_facts(case, item, notes), *more_facts(unit, item)]:
        assert expected in flat, expected
    check_dutch_words(flat)
    for path in notes:
        assert path in text
        assert planted[path].sha256 in text and planted[path].md5 in text
    # the tagged picture is in it (pdfimages lists embedded images: one, the holiday.jpg)
    images = subprocess.run(
        ["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()[2:]
    assert len(images) == 1 and images[0].split()[3:5] == ["8", "8"]
    # the head noted in the PV: the log's head when the report was written (the report's
    # own reads are audited, not custody events)
    assert head in text

    html_out = tmp_path / "report.html"
    english = unit.cli("report", case.id, "--format", "html", "--lang", "en", "-o", str(html_out))
    assert english.returncode == 0, english.stderr
    page = html_out.read_text()
    assert "Forensic examination report" in page and "was never processed" in page
    assert planted["/photos/holiday.jpg"].sha256 in page and "SEAL-0042" in page
    assert "<script" not in page

    # the item's own report is still what `lccu report EVIDENCE` writes
    item_html = tmp_path / "item.html"
    assert unit.cli("report", item.id, "--format", "html", "-o", str(item_html)).returncode == 0
    assert item.sha256 in item_html.read_text()
    # a CASE as per-item reports into a folder: the unprocessed one is named, not fatal
    folder = tmp_path / "items"
    per_item = unit.cli("report", case.number, "--format", "json", "-o", str(folder))
    assert per_item.returncode == 0, per_item.stderr
    assert "E2 was never processed" in per_item.stdout
    assert (folder / "E1.json").exists() and not (folder / "E2.json").exists()
    # as HTML pages into an existing folder: exit 0, and every link of a page resolves
    pages = tmp_path / "pages"
    pages.mkdir()
    as_html = unit.cli("report", case.number, "--format", "html", "-o", str(pages))
    assert as_html.returncode == 0, as_html.stderr
    assert "E2 was never processed" in as_html.stdout
    shown = (pages / "E1.html").read_text()
    links = {unquote(h) for h in re.findall(r'href="([^"#][^"]*)"', shown)}
    assert links, "the page links its exported files"
    broken = sorted(h for h in links if not (pages / h).resolve().is_file())
    assert not broken, broken[:10]
    assert all((pages / h).resolve().is_relative_to(pages.resolve()) for h in links)


def check_docx(
    unit: Unit, tmp_path: Path, case: Any, item: Any, notes: dict[str, str], planted: dict[str, Any]
) -> None:
    """The same report as a Word document (``--format docx``), read back with python-docx
    (every paragraph and table cell): the same facts as the PDF, in Dutch, and the tagged
    picture inline."""
    from docx import Document

    out = tmp_path / "verslag.docx"
    written = unit.cli("report", case.number, "--format", "docx", "--lang", "nl", "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_bytes().startswith(b"PK")
    document = Document(str(out))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    flat = re.sub(r"\s+", " ", "\n".join(texts))
    head = unit.lab("vlas_inv").get_case(case.id).head_hash
    for expected in [*dutch_facts(case, item, notes), *more_facts(unit, item), head]:
        assert expected in flat, expected
    check_dutch_words(flat)
    for path in notes:
        assert path in flat
        assert planted[path].sha256 in flat and planted[path].md5 in flat
    # the one tagged picture (holiday.jpg), inline
    assert len(document.inline_shapes) == 1
    assert "Forensic examination report" not in flat
