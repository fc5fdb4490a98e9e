"""End to end in headless Chromium against a real uvicorn server on a loopback port."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from lccu.evidence.lab import Lab
from lccu.testing.browser import chromium, log_in, open_page, process_item
from lccu.testing.formats import _split_flat_vmdk
from lccu.testing.images import PlantedManifest
from tests.web.helpers import PASSWORD, artifact

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]


def tiny_png(width: int = 16, height: int = 16) -> bytes:
    """A small valid PNG (a red-blue gradient), made here rather than shipped."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 16, 0, y * 16)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_browser_login_case_upload_verify(server: str, tmp_path: Path) -> None:
    """An investigator logs in, opens a case, uploads an image through the page (surviving a
    lost answer and a lost chunk), sees its hashes and verifies custody, in a real browser."""
    from playwright.sync_api import Route, expect

    image = tmp_path / "photo.png"
    image.write_bytes(tiny_png())
    sha256 = hashlib.sha256(image.read_bytes()).hexdigest()
    with chromium() as browser:
        page = open_page(browser, f"{server}/cases", height=800)
        expect(page).to_have_url(f"{server}/login?next=%2Fcases")
        page.screenshot(path=artifact("01-login.png"), full_page=True)
        log_in(page, "vlas_inv", PASSWORD)
        expect(page.get_by_role("heading", name="Dossiers")).to_be_visible()

        page.get_by_role("link", name="Nieuw dossier").click()
        page.get_by_label("Titel").fill("Sextortion PZ Vlas")
        page.get_by_label("Referentie").fill("PV KO.12.L1.000123/2026")
        page.screenshot(path=artifact("02-new-case.png"), full_page=True)
        page.get_by_role("button", name="Aanmaken").click()
        expect(page.get_by_role("heading", name="Sextortion PZ Vlas")).to_be_visible()
        case_url = page.url

        lost: list[str] = []

        def flaky_network(route: Route) -> None:
            """Lose the answer to the 2nd chunk (the server did store it) and the 3rd chunk."""
            request = route.request
            if request.method == "PUT" and "offset=128" in request.url and not lost:
                route.fetch()
                lost.append("answer")
                route.abort()
            elif request.method == "PUT" and "offset=256" in request.url and len(lost) == 1:
                lost.append("chunk")
                route.abort()
            else:
                route.continue_()

        page.route("**/api/v1/uploads/**", flaky_network)
        page.get_by_role("link", name="Stuk opladen").click()
        page.get_by_label("Bestand").set_input_files(str(image))
        page.get_by_label("Omschrijving").fill("Screenshot from the victim's phone")
        page.get_by_label("Zegelnummer").fill("Z-0042")
        page.get_by_label("SHA-256").fill(sha256)
        page.get_by_role("button", name="Opladen", exact=True).click()
        expect(page.locator("#result")).to_contain_text("EXH-001")
        expect(page.locator("#percent")).to_have_text("100%")
        page.screenshot(path=artifact("03-upload.png"), full_page=True)
        page.unroute("**/api/v1/uploads/**")
        assert lost == ["answer", "chunk"]

        page.goto(case_url)
        evidence = page.locator("#evidence")
        expect(evidence).to_contain_text("EXH-001")
        expect(evidence).to_contain_text(sha256)
        expect(evidence).to_contain_text("opgeslagen")  # the state, in Dutch
        page.get_by_role("button", name="Bewaringsketen controleren").click()
        expect(page.locator("#verify-result")).to_contain_text("in orde")
        page.screenshot(path=artifact("04-case-verified.png"), full_page=True)

        page.get_by_role("link", name="Stuk opladen").click()  # now with a wrong hash
        page.get_by_label("Bestand").set_input_files(str(image))
        page.get_by_label("Omschrijving").fill("Same file, wrong declared hash")
        page.get_by_label("SHA-256").fill("ab" * 32)
        page.get_by_role("button", name="Opladen", exact=True).click()
        refused = page.locator("#result.bad")
        expect(refused).to_contain_text("er is niets geregistreerd")
        expect(refused).to_contain_text("ab" * 32)  # the declared digest, and ours:
        expect(refused).to_contain_text(sha256)
        page.screenshot(path=artifact("05-upload-refused.png"), full_page=True)
        page.goto(case_url)
        expect(page.locator("#evidence")).to_contain_text("EXH-001")
        expect(page.locator("#evidence")).not_to_contain_text("EXH-002")

        # the segments of a split raw image, picked in any order: one item, the media's hash
        segments = [tmp_path / f"usb.{i:03d}" for i in (3, 1, 2)]
        for index, path in enumerate(segments):
            path.write_bytes(bytes([index + 1]) * (300 if path.name != "usb.003" else 100))
        media = b"".join(p.read_bytes() for p in sorted(segments))
        page.get_by_role("link", name="Stuk opladen").click()
        page.get_by_label("Bestand").set_input_files([str(p) for p in segments])
        page.get_by_label("Omschrijving").fill("USB stick, split raw")
        page.get_by_label("SHA-256").fill(hashlib.sha256(media).hexdigest())
        page.get_by_role("button", name="Opladen", exact=True).click()
        expect(page.locator("#result")).to_contain_text("EXH-002")
        page.goto(case_url)
        expect(page.locator("#evidence")).to_contain_text(hashlib.sha256(media).hexdigest())

        # a VMDK descriptor and its flat extents, whose names sort before it: the page
        # sends the descriptor first; one item whose hash is the disk's (issue 12)
        disk = tmp_path / "vm.raw"
        disk.write_bytes(bytes(range(256)) * 24)  # 12 sectors over 3 extents
        vm = tmp_path / "vm"
        vm.mkdir()
        vmdk = _split_flat_vmdk(disk, vm)
        assert sorted(p.name for p in vmdk)[0] != vmdk[0].name
        page.get_by_role("link", name="Stuk opladen").click()
        page.get_by_label("Bestand").set_input_files([str(p) for p in reversed(vmdk)])
        page.get_by_label("Omschrijving").fill("virtual machine disk")
        page.get_by_label("SHA-256").fill(hashlib.sha256(disk.read_bytes()).hexdigest())
        page.get_by_role("button", name="Opladen", exact=True).click()
        expect(page.locator("#result")).to_contain_text("EXH-003")
        page.goto(case_url)
        expect(page.locator("#evidence")).to_contain_text(
            hashlib.sha256(disk.read_bytes()).hexdigest()
        )

        page.goto(f"{server}/cases")
        expect(page.locator("table")).to_contain_text("Sextortion PZ Vlas")
        page.screenshot(path=artifact("06-case-list.png"), full_page=True)
        page.get_by_role("link", name="API-tokens").click()
        page.get_by_label("Naam").fill("nightly export script")
        page.get_by_role("button", name="Nieuw token").click()
        expect(page.locator("#new-token")).to_contain_text("lccu_")
        page.screenshot(path=artifact("08-tokens.png"), full_page=True)
        page.get_by_role("button", name="Afmelden").click()
        expect(page).to_have_url(f"{server}/login")

        log_in(page, "dpo", PASSWORD)
        expect(page.get_by_role("heading", name="Auditlog")).to_be_visible()
        expect(page.locator("#audit")).to_contain_text("evidence.add")
        page.screenshot(path=artifact("07-audit.png"))


def test_browser_processing_page_follows_run(
    server: str, app: FastAPI, make_lab: Callable[..., Lab], planted_disk: PlantedManifest
) -> None:
    """From the case page an investigator opens an item's processing page, starts an urgent
    run, and the self-refreshing page reaches "klaar" for the run and every stage."""
    from playwright.sync_api import expect

    lab = make_lab("vlas_inv")
    case = lab.create_case("Processing in the browser")
    item = lab.add_evidence(case.id, planted_disk.image, description="test disk")
    with chromium() as browser:
        page = open_page(browser, f"{server}/cases/{case.id}", login=("vlas_inv", PASSWORD))
        page.get_by_role("link", name="Verwerking").click()
        expect(page).to_have_url(f"{server}/evidence/{item.id}/processing")
        expect(page.get_by_text("Dit stuk werd nog niet verwerkt.")).to_be_visible()
        page.get_by_label("Prioriteit").select_option("urgent")
        run = process_item(page)
        expect(run).to_have_count(1)
        expect(run.locator("tbody tr")).to_have_count(9)  # one row per stage, thumbnails included
        expect(run.locator("tbody td", has_text="klaar")).to_have_count(9)
        expect(run.get_by_text("dringend")).to_be_visible()
        page.screenshot(path=artifact("10-processing-done.png"), full_page=True)
        # the timeline the run made: unknown source zone stated, filtered by kind and path
        page.get_by_role("link", name="Tijdlijn openen").click()
        expect(page.locator("#source-zone")).to_contain_text("niet opgegeven")
        page.get_by_label("Soort (MACB)").fill("b")
        page.get_by_label("Pad bevat").fill("notes.txt")
        page.get_by_role("button", name="Filteren").click()
        rows = page.locator("#timeline tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("/notes.txt")
        expect(rows.first).to_have_attribute("data-macb", "b")
        page.get_by_label("Pad bevat").fill("README")
        page.get_by_label("Soort (MACB)").fill("m")
        page.get_by_role("button", name="Filteren").click()
        expect(rows.first).to_contain_text("lokaal, zone onbekend")
        page.screenshot(path=artifact("11-timeline.png"), full_page=True)
    assert app.state.web.processor.wait(30)
