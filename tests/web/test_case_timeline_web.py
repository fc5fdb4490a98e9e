"""The case's timeline page (issue #17): every processed item's events merged, each row naming
its exhibit and linking to the file's page; a histogram counted on the server whose bars
narrow the dates; filters by deleted, notable (tagged), type and kind; Dutch and English;
another zone refused and audited once."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.browser import chromium, open_page
from lccu.testing.images import PlantedManifest
from lccu.testing.time_images import FatTimesImage
from lccu.web.app import create_app
from tests.web.conftest import module_unit, web_config
from tests.web.helpers import PASSWORD, artifact, login

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow


@dataclass
class Case:
    id: str
    items: dict[str, str]  # item id -> exhibit number


Shared = tuple[Callable[..., Lab], FastAPI, Case]


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory,
    planted_disk: PlantedManifest,
    fat_local_times: FatTimesImage,
) -> Iterator[Shared]:
    """One unit on SQLite (every user's password PASSWORD), its app and the case: the
    planted disk (Brussels) and the FAT stick processed, /notes.txt tagged. Built once for
    the module, whose tests only read the case (the refused zone is its own user's):
    processing the two items was most of each test's time."""
    from lccu.tasks import submit
    from lccu.testing.processing import drain_here

    with module_unit(tmp_path_factory.mktemp("case-timeline")) as (make_lab, settings):
        lab = make_lab("vlas_inv")
        made = lab.create_case("Case timeline in the browser")
        disk = lab.add_evidence(made.id, planted_disk.image, description="disk")
        stick = lab.add_evidence(made.id, fat_local_times.path, description="USB stick")
        submit(lab, disk.id, timezone="Europe/Brussels", yara=False, carve="none", expand=False)
        submit(lab, stick.id, yara=False, carve="none", expand=False)
        drain_here(lab)
        lab.tag_file(disk.id, "/notes.txt", label="relevant")
        case = Case(made.id, {disk.id: disk.exhibit_number, stick.id: stick.exhibit_number})
        app = create_app(settings, web_config())
        try:
            yield make_lab, app, case
        finally:
            app.state.web.db.dispose()


@pytest.fixture
def make_lab(shared: Shared) -> Callable[..., Lab]:
    return shared[0]


@pytest.fixture
def app(shared: Shared) -> FastAPI:
    return shared[1]


@pytest.fixture
def case(shared: Shared) -> Case:
    return shared[2]


def _total(page: str) -> int:
    found = re.search(r'<span id="total">(\d+)</span>', page)
    assert found, page
    return int(found.group(1))


def _item_rows(client: TestClient, case: Case) -> dict[str, list[dict[str, str]]]:
    """Each item's stored timeline, through the item page's own download."""
    rows = {}
    for item in case.items:
        answer = client.get(f"/evidence/{item}/timeline.csv")
        assert answer.status_code == 200
        rows[item] = list(csv.DictReader(io.StringIO(answer.text, newline="")))
    return rows


def test_case_timeline_merges_counts_and_filters(client: TestClient, case: Case) -> None:
    login(client, "vlas_inv")
    stored = _item_rows(client, case)
    every = [r for rows in stored.values() for r in rows]
    assert 'href="/cases/' + case.id + '/timeline"' in client.get(f"/cases/{case.id}").text

    page = client.get(f"/cases/{case.id}/timeline", params={"lang": "en"})
    assert page.status_code == 200, page.text
    text = page.text
    assert "Case timeline" in text and _total(text) == len(every)
    shown = re.findall(r'<tr data-macb="[^"]*" data-kind="[^"]*" data-evidence="([^"]+)"', text)
    assert len(shown) == min(100, len(every)) and set(shown) <= set(case.items)
    counts = [int(c) for c in re.findall(r'data-count="(\d+)"', text)]
    assert sum(counts) == len(every)
    unit = re.search(r'data-unit="(day|month|year)"', text)
    assert unit and f"per {unit.group(1)}" in text

    _follow_a_bar(client, text, "cases")

    deleted = client.get(f"/cases/{case.id}/timeline", params={"deleted": "yes"}).text
    expected = [r for r in every if r["deleted"] == "yes"]
    assert 0 < _total(deleted) == len(expected) < len(every)
    assert set(re.findall(r'data-evidence="([^"]+)" data-notable', deleted)) == set(case.items)

    notable = client.get(f"/cases/{case.id}/timeline", params={"mark": "notable"}).text
    tagged = [r for r in every if r["path"] == "/notes.txt"]
    assert _total(notable) == len(tagged) > 0
    disk = next(i for i in case.items if any(r["path"] == "/notes.txt" for r in stored[i]))
    link = re.search(r'<a class="file" href="([^"]+)">/notes.txt</a>', notable)
    assert link and html.unescape(link.group(1)).startswith(
        f"/evidence/{disk}/file?volume={tagged[0]['volume']}&path=%2Fnotes.txt&inode="
    )
    # the link leads to the file browser's page of that very file
    followed = client.get(html.unescape(link.group(1)), follow_redirects=False)
    assert followed.status_code == 303
    assert re.fullmatch(rf"/evidence/{disk}/files/\d+", followed.headers["location"])
    detail = client.get(followed.headers["location"], params={"lang": "en"})
    assert detail.status_code == 200 and "/notes.txt" in detail.text
    assert tagged[0]["sha256"] and tagged[0]["sha256"] in detail.text
    missing = client.get(f"/evidence/{disk}/file", params={"volume": 3, "path": "/nope"})
    assert missing.status_code == 404

    births = client.get(f"/cases/{case.id}/timeline", params={"kind": "b", "q": "txt"}).text
    assert _total(births) == sum("b" in r["macb"] and "txt" in r["path"].casefold() for r in every)
    dutch = client.get(f"/cases/{case.id}/timeline", params={"lang": "nl"}).text
    assert "Tijdlijn van het dossier" in dutch and "lokaal, zone onbekend" in dutch
    assert client.get(f"/cases/{case.id}/timeline", params={"deleted": "x"}).status_code in (
        400,
        422,
    )


def test_other_zone_is_refused_once(
    case: Case, new_client: Callable[[], TestClient], make_lab: Callable[..., Lab]
) -> None:
    other = new_client()
    login(other, "polder_inv")
    answer = other.get(f"/cases/{case.id}/timeline")
    assert answer.status_code in (403, 404)
    assert "notes.txt" not in answer.text and "README" not in answer.text
    denied = [
        e for e in make_lab("dpo").audit_log() if e.username == "polder_inv" and not e.allowed
    ]
    assert len(denied) == 1 and denied[0].operation == "derived.read"


def _follow_a_bar(client: TestClient, text: str, kind: str) -> None:
    """A bar of the histogram on a timeline page (of ``kind``: cases or evidence) is a link
    to its period: following it selects exactly the bar's events."""
    bar = re.search(
        rf'<a href="(/{kind}/[^"]+/timeline\?[^"]+)"><rect class="bar"[^>]*'
        r'data-count="([1-9]\d*)"',
        text,
    )
    assert bar
    narrowed = client.get(html.unescape(bar.group(1)))
    assert _total(narrowed.text) == int(bar.group(2))


def _deleted_then_notable(
    page: Page, total: int, deleted_cell: int, screenshot: str | None = None
) -> None:
    """On a timeline page in Chromium (of ``total`` events): the deleted filter (fewer
    rows, each deleted: its cell ``deleted_cell`` says so), then the notable one (the tagged
    /notes.txt first), and that row's link to its page in the file browser."""
    from playwright.sync_api import expect

    page.get_by_label("Verwijderd").select_option("yes")
    page.get_by_role("button", name="Filteren").click()
    rows = page.locator("#timeline tbody tr")
    expect(rows.first).to_be_visible()
    assert int(page.locator("#total").inner_text()) < total
    for n in range(rows.count()):
        expect(rows.nth(n).locator("td").nth(deleted_cell)).to_have_text("ja")
    page.get_by_label("Verwijderd").select_option("")
    page.get_by_label("Opvallend of gekend").select_option("notable")
    page.get_by_role("button", name="Filteren").click()
    expect(rows.first).to_contain_text("/notes.txt")
    expect(rows.first).to_contain_text("opvallend")
    if screenshot:
        page.screenshot(path=artifact(screenshot), full_page=True)
    rows.first.get_by_role("link", name="/notes.txt").click()  # the file browser's page
    expect(page).to_have_url(re.compile(r"/evidence/[0-9a-f-]+/files/\d+$"))
    expect(page.locator("main")).to_contain_text("/notes.txt")


def test_browser_case_timeline(server: str, case: Case) -> None:
    """In Chromium, from the case page: the case timeline, a histogram bar followed to its
    period, the deleted and notable filters, and a row's link to its file's page."""
    from playwright.sync_api import expect

    with chromium() as browser:
        page = open_page(browser, f"{server}/cases/{case.id}", login=("vlas_inv", PASSWORD))
        page.get_by_role("link", name="Tijdlijn van het dossier").click()
        expect(page).to_have_url(f"{server}/cases/{case.id}/timeline")
        total = int(page.locator("#total").inner_text())
        assert total > 0
        expect(page.locator("#histogram rect.bar").first).to_be_visible()
        page.screenshot(path=artifact("12-case-timeline.png"), full_page=True)
        bar = page.locator("#histogram rect.bar:not([data-count='0'])").last
        count = int(bar.get_attribute("data-count") or 0)
        bar.click()
        expect(page).to_have_url(re.compile(r"/timeline\?from=\d{4}-\d\d-\d\d&to="))
        expect(page.locator("#total")).to_have_text(str(count))
        page.goto(f"{server}/cases/{case.id}/timeline")
        _deleted_then_notable(page, total, 6, "13-case-timeline-notable.png")


def test_item_timeline_has_histogram_and_filters(client: TestClient, case: Case) -> None:
    """The item's own page (issue #17 asks the same of it as of the case's): a histogram of
    the selection whose bar links narrow the dates to its events, and filters by file type,
    deleted and notable (the tagged file), each count equal to the item's stored rows."""
    login(client, "vlas_inv")
    stored = _item_rows(client, case)
    disk = next(i for i, rows in stored.items() if any(r["path"] == "/notes.txt" for r in rows))
    rows = stored[disk]
    url = f"/evidence/{disk}/timeline"
    text = client.get(url, params={"lang": "en"}).text
    assert _total(text) == len(rows)
    counts = [int(c) for c in re.findall(r'data-count="(\d+)"', text)]
    assert sum(counts) == len(rows)
    assert re.search(r'data-unit="(day|month|year)"', text) and "Activity over time" in text
    _follow_a_bar(client, text, "evidence")

    deleted = client.get(url, params={"deleted": "yes"}).text
    assert 0 < _total(deleted) == sum(r["deleted"] == "yes" for r in rows) < len(rows)
    kept = client.get(url, params={"deleted": "no"}).text
    assert _total(kept) == sum(r["deleted"] == "no" for r in rows)
    notable = client.get(url, params={"mark": "notable", "lang": "en"}).text
    tagged = [r for r in rows if r["path"] == "/notes.txt"]
    assert _total(notable) == len(tagged) > 0 and "notable</span>" in notable
    assert _total(client.get(url, params={"mark": "known"}).text) == 0  # no hash sets here
    texts = client.get(url, params={"type": "text/"}).text
    assert 0 < _total(texts) < len(rows) and "text/plain" in texts
    assert 'id="types"' in texts and '<option value="text/plain">' in texts
    link = re.search(r'<a class="file" href="([^"]+)">/notes.txt</a>', notable)
    assert link
    followed = client.get(html.unescape(link.group(1)), follow_redirects=False)
    assert followed.status_code == 303
    assert re.fullmatch(rf"/evidence/{disk}/files/\d+", followed.headers["location"])
    dutch = client.get(url, params={"lang": "nl", "mark": "notable"}).text
    assert "Activiteit in de tijd" in dutch and "Opvallend of gekend" in dutch
    assert "Verwijderd" in dutch and "Bestandstype" in dutch


def test_browser_item_timeline(server: str, case: Case) -> None:
    """In Chromium, an item's timeline from the case timeline's list: a histogram bar followed
    to its period, the deleted and notable filters, and a row's link to its file's page."""
    from playwright.sync_api import expect

    disk = next(iter(case.items))  # the planted disk: processed first, with Brussels
    with chromium() as browser:
        page = open_page(
            browser, f"{server}/cases/{case.id}/timeline", login=("vlas_inv", PASSWORD)
        )
        page.locator(f'#timeline-items li[data-evidence="{disk}"] a').click()
        expect(page).to_have_url(re.compile(rf"/evidence/{disk}/timeline\?run="))
        expect(page.locator("#source-zone")).to_contain_text("Europe/Brussels")
        total = int(page.locator("#total").inner_text())
        bar = page.locator("#histogram rect.bar:not([data-count='0'])").first
        expect(bar).to_be_visible()
        count = int(bar.get_attribute("data-count") or 0)
        bar.click()
        expect(page).to_have_url(re.compile(r"/timeline\?run=[^&]+&from=\d{4}-\d\d-\d\d&to="))
        expect(page.locator("#total")).to_have_text(str(count))
        page.screenshot(path=artifact("14-item-timeline-bar.png"), full_page=True)
        page.goto(f"{server}/evidence/{disk}/timeline")
        _deleted_then_notable(page, total, 5)
