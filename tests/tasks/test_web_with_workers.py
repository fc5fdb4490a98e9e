"""The whole investigator path in headless Chromium with real `lccu worker` processes: log
in, upload an image through the page, start processing, watch Redis-fed workers finish it,
open the report, download a file it links to, verify custody."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lccu.testing.browser import chromium, open_page, process_item, serve_in_thread
from lccu.testing.images import PlantedManifest
from lccu.testing.keys import PASSPHRASE
from lccu.web.app import create_app
from lccu.web.auth import set_password
from lccu.web.config import WebConfig
from tests.tasks.conftest import Unit
from tests.web.helpers import artifact

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.slow,
    pytest.mark.redis,
]


@pytest.fixture
def server(unit: Unit) -> Iterator[tuple[str, Any]]:
    """``lccu serve``'s app on a loopback port, with Redis: runs go to the workers."""
    settings = dataclasses.replace(
        unit.settings, redis_url=unit.env["LCCU_REDIS_URL"], rules=(unit.rules,)
    )
    op = unit.lab("op")
    # the web password is the key passphrase, so logging in unlocks the key that signs intake
    set_password(op.db, op.actor, "vlas_inv", PASSPHRASE)
    app = create_app(
        settings,
        WebConfig(secret_key="e2e-" + "k" * 40, secure_cookies=False, max_upload_bytes=1 << 30),
    )
    with serve_in_thread(app) as base:
        yield base, app
    app.state.web.db.dispose()


def test_upload_process_with_workers_open_report(
    unit: Unit, workers: Callable[..., Any], server: tuple[str, Any], planted_disk: PlantedManifest
) -> None:
    from playwright.sync_api import expect

    base, app = server
    case = unit.lab("vlas_inv").create_case("Workers from the browser")
    image = planted_disk.image
    sha256 = hashlib.sha256(image.read_bytes()).hexdigest()
    workers()
    workers()
    with chromium() as browser:
        page = open_page(
            browser, f"{base}/cases/{case.id}", login=("vlas_inv", PASSPHRASE), timeout_ms=20000
        )
        page.get_by_role("link", name="Stuk opladen").click()
        page.get_by_label("Bestand").set_input_files(str(image))
        page.get_by_label("Omschrijving").fill("Planted test disk")
        page.get_by_label("SHA-256").fill(sha256)
        page.get_by_role("button", name="Opladen", exact=True).click()
        expect(page.locator("#result.ok")).to_contain_text("EXH-001", timeout=60000)

        page.goto(f"{base}/cases/{case.id}")
        page.get_by_role("link", name="Verwerking").click()
        run = process_item(page, timeout_ms=120000)
        workers_seen = {w.strip() for w in run.locator("tbody td:nth-child(5)").all_inner_texts()}
        page.screenshot(path=artifact("11-processed-by-workers.png"), full_page=True)

        page.get_by_role("link", name="Rapport openen").click()
        expect(page.locator("body")).to_contain_text(sha256)
        page.screenshot(path=artifact("12-report.png"), full_page=True)
        planted = {f.sha256 for f in planted_disk.files}
        link = page.locator("#deleted a[download]").first  # a deleted file, exported
        expect(link).to_be_visible()
        with page.expect_download() as info:
            link.click()
        download = info.value
        href = link.get_attribute("href") or ""
        fetched = Path(download.path()).read_bytes()
        assert download.suggested_filename == href.rsplit("/", 1)[-1]
        assert hashlib.sha256(fetched).hexdigest() in planted  # a planted file, exactly

        page.goto(f"{base}/cases/{case.id}")
        page.get_by_role("button", name="Bewaringsketen controleren").click()
        expect(page.locator("#verify-result")).to_contain_text("in orde")
    assert app.state.web.processor._thread is None  # nothing was processed in the web server
    processed = [e for e in unit.lab("vlas_inv").custody_log(case.id) if e["action"] == "processed"]
    pids = {e["details"].get("worker_pid") for e in processed}
    assert processed and None not in pids and os.getpid() not in pids
    assert workers_seen - {""}, "the processing page named no worker"
