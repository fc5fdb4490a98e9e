"""The item's timeline page (issue #17): the processing run's timeline stage shown paged,
filtered by kind, date and path, with the source time zone stated; a CSV download; another
zone refused and audited once."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest
from lccu.web import timeline
from tests.web.conftest import shared_item_fixtures
from tests.web.helpers import PlantedItem, login

pytestmark = pytest.mark.slow


# the processed item built once for the module: its tests only read it (the refused zone is
# its own user's; the source-zone test processes an item of its own beside it)
shared, make_lab, app, processed_item = shared_item_fixtures("timeline")


def _total(page: str) -> int:
    found = re.search(r'<span id="total">(\d+)</span>', page)
    assert found, page
    return int(found.group(1))


def test_timeline_page_filters_pages_and_downloads(
    client: TestClient,
    processed_item: PlantedItem,
    planted_disk: PlantedManifest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item_id = processed_item.item_id
    processing = client.get(f"/evidence/{item_id}/processing?lang=en").text
    link = re.search(r'href="(/evidence/[^"]+/timeline\?run=[^"]+)"', processing)
    assert link, "no timeline link on the processing page"
    download = client.get(f"/evidence/{item_id}/timeline.csv")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows

    page = client.get(link.group(1) + "&lang=en")
    assert page.status_code == 200, page.text
    assert _total(page.text) == len(rows)
    assert "Source time zone" in page.text and "local, zone unknown" in page.text
    notes = next(f for f in planted_disk.files if f.path == "/notes.txt")
    shown = client.get(f"/evidence/{item_id}/timeline", params={"q": "notes.txt"}).text
    assert notes.path in shown
    notes_rows = [r for r in rows if r["path"] == notes.path]
    assert _total(shown) == len(notes_rows) and notes_rows
    for r in notes_rows:  # ext4 stores UTC: shown as the instant, in UTC
        assert f"{r['utc']} UTC" in shown
    readme = [r for r in rows if r["path"] == "/README.TXT"]
    dutch = client.get(f"/evidence/{item_id}/timeline", params={"q": "readme", "lang": "nl"}).text
    assert "lokaal, zone onbekend" in dutch and "Tijdlijn" in dutch
    assert all(f"{r['wall_clock']} <em>(lokaal, zone onbekend)" in dutch for r in readme)
    assert "+00:00" not in dutch  # FAT wall clocks never shown as UTC

    births = client.get(f"/evidence/{item_id}/timeline", params={"kind": "b"}).text
    expected_b = [r for r in rows if "b" in r["macb"]]
    assert 0 < _total(births) == len(expected_b) < len(rows)
    day = min((r["utc"] or r["wall_clock"])[:10] for r in rows)
    early = client.get(f"/evidence/{item_id}/timeline", params={"to": day}).text
    expected_day = [r for r in rows if (r["utc"] or r["wall_clock"])[:10] <= day]
    assert 0 < _total(early) == len(expected_day) < len(rows)

    monkeypatch.setattr(timeline, "PAGE_SIZE", 7)
    seen: list[str] = []
    pages = -(-len(rows) // 7)
    for number in range(1, pages + 1):
        text = client.get(f"/evidence/{item_id}/timeline", params={"page": number}).text
        assert f"Pagina {number} / {pages}" in text
        seen += re.findall(r'<tr data-macb="', text)
    assert len(seen) == len(rows)
    assert client.get(f"/evidence/{item_id}/timeline", params={"from": "x"}).status_code in (
        400,
        422,
    )


def test_other_zone_cannot_read_the_timeline(
    processed_item: PlantedItem, new_client: Callable[[], TestClient], make_lab: Callable[..., Lab]
) -> None:
    other = new_client()
    login(other, "polder_inv")
    answer = other.get(f"/evidence/{processed_item.item_id}/timeline")
    assert answer.status_code in (403, 404)
    assert "notes.txt" not in answer.text
    denied = [
        e for e in make_lab("dpo").audit_log() if e.username == "polder_inv" and not e.allowed
    ]
    assert len(denied) == 1 and denied[0].operation == "derived.read"
    assert other.get(f"/evidence/{processed_item.item_id}/timeline.csv").status_code in (403, 404)


def test_timeline_with_a_source_zone_shows_local_times_converted(
    client: TestClient, make_lab: Callable[..., Lab], planted_disk: PlantedManifest
) -> None:
    """Processed with Europe/Brussels: the zone is stated and a FAT wall clock is shown with
    its UTC instant (the wall clock read in that zone), never as "zone unknown"."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from lccu.tasks import submit
    from lccu.testing.processing import drain_here

    lab = make_lab("vlas_inv")
    case = lab.create_case("Timeline with a zone")
    item = lab.add_evidence(case.id, planted_disk.image, description="test disk")
    submit(lab, item.id, timezone="Europe/Brussels", yara=False, carve="none")
    drain_here(lab)
    login(client, "vlas_inv")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/evidence/{item.id}/timeline.csv").text)))
    readme = [r for r in rows if r["path"] == "/README.TXT" and r["macb"] == "m"]
    assert readme and readme[0]["time_kind"] == "local"
    wall = datetime.fromisoformat(readme[0]["wall_clock"]).replace(
        tzinfo=ZoneInfo("Europe/Brussels")
    )
    assert datetime.fromisoformat(readme[0]["utc"]) == wall
    page = client.get(
        f"/evidence/{item.id}/timeline", params={"q": "README", "kind": "m", "lang": "en"}
    ).text
    assert 'data-zone="Europe/Brussels"' in page and "local, zone unknown" not in page
    assert f"{readme[0]['utc']} UTC <em>(local {readme[0]['wall_clock']}, Europe/Brussels)" in page


def test_file_page_keeps_fat_times_local(client: TestClient, processed_item: PlantedItem) -> None:
    """Processed without a source zone, a FAT file's page (reached from its timeline row)
    gives each time as the wall clock, local, zone unknown, in Dutch and English, and never
    as UTC; the file table's "Modified (UTC)" cell stays empty for it."""
    item_id = processed_item.item_id
    rows = list(csv.DictReader(io.StringIO(client.get(f"/evidence/{item_id}/timeline.csv").text)))
    readme = {r["macb"]: r for r in rows if r["path"] == "/README.TXT"}
    assert readme and all(r["time_kind"] == "local-unknown" for r in readme.values())
    page = client.get(f"/evidence/{item_id}/timeline", params={"q": "README", "kind": "m"}).text
    link = re.search(r'<a class="file" href="([^"]+)">/README.TXT</a>', page)
    assert link
    found = client.get(html.unescape(link.group(1)), follow_redirects=False)
    assert found.status_code == 303, found.text
    detail = client.get(found.headers["location"], params={"lang": "en"})
    assert detail.status_code == 200 and "/README.TXT" in detail.text
    cells = re.findall(r'<td class="time" data-kind="([^"]+)">([^<]*)<em>\(([^)]*)\)', detail.text)
    assert cells and all(kind == "local-unknown" for kind, _t, _l in cells)
    assert {text.strip() for _k, text, _l in cells} >= {r["wall_clock"] for r in readme.values()}
    assert {label for _k, _t, label in cells} == {"local, zone unknown"}
    assert " UTC" not in "".join(re.findall(r'<td class="time"[^>]*>.*?</td>', detail.text))
    dutch = client.get(found.headers["location"], params={"lang": "nl"}).text
    assert "lokaal, zone onbekend" in dutch
    table = client.get(f"/evidence/{item_id}/files", params={"q": "README"}).text
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*README\.TXT(?:(?!</tr>).)*</tr>", table, re.S)
    assert row and '<td class="nowrap"></td>' in row.group(0)
