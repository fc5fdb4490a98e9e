"""Every page in Dutch (issue 20): a crawl of every page an investigator, the operator and
the DPO reach from the case list, after an item was taken in, processed and a file tagged,
finds no untranslated message key and no English interface sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest
from lccu.web import i18n
from lccu.web.auth import set_password
from tests.web.helpers import PASSWORD, login

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]
#: paths a crawl must not follow: they end the session or send files, not pages
NOT_PAGES = re.compile(
    r"^/(logout|static/)|/download|/thumb|/raw|/export|/report\b"
    r"|\.(pdf|csv|jsonl)$"
)
#: English sentences of the interface: the ``en`` side of every string whose Dutch differs
ENGLISH = sorted(
    {
        entry["en"]
        for entry in i18n.STRINGS.values()
        if entry["en"] != entry["nl"] and len(entry["en"]) >= 16 and entry["en"] not in entry["nl"]
    },
    key=len,
    reverse=True,
)


class _Page(HTMLParser):
    """The links and the visible text of one page (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def _crawl(client: TestClient, start: str, limit: int = 60) -> dict[str, str]:
    """Visible text of every same-site page reached from ``start`` (one per path)."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen or NOT_PAGES.search(path):
            continue
        answer = client.get(url)
        if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
            seen[path] = ""
            continue
        page = _Page()
        page.feed(answer.text)
        seen[path] = " ".join(" ".join(page.text).split())
        for link in page.links:
            target = urljoin(f"http://127.0.0.1{path}", link)
            if urlsplit(target).netloc == "127.0.0.1" and not link.startswith("#"):
                queue.append(
                    urlsplit(target).path
                    + (f"?{urlsplit(target).query}" if urlsplit(target).query else "")
                )
    return seen


def test_every_page_in_dutch(
    client: TestClient,
    app: FastAPI,
    make_lab: Callable[..., Lab],
    new_client: Callable[[], TestClient],
    planted_disk: PlantedManifest,
    tmp_path: Path,
) -> None:
    lab = make_lab("vlas_inv")
    case = lab.create_case("Dossier in het Nederlands", question="Welke foto's staan erop?")
    item = lab.add_evidence(case.id, planted_disk.image, description="schijf")
    csrf = login(client, "vlas_inv")
    started = client.post(
        f"/api/v1/evidence/{item.id}/processing",
        headers={"X-CSRF-Token": csrf},
        json={"priority": "urgent"},
    )
    assert started.status_code == 202, started.text
    assert app.state.web.processor.wait(120)
    picture = next(f for f in lab.files(item.id) if f.path == "/dir/picture.png")
    lab.tag_file(item.id, "/dir/picture.png", label="relevant", note="foto")
    # issue 18's pages: a proposed notable file, cross-zone hit/no-hit enabled for the zone,
    # a hash set, and the unit admin who decides
    lab.mark_notable(item.id, "/dir/picture.png", category="fraude", reason="sjabloon")
    admin = make_lab("admin")
    admin.xzone_enable("PZ Vlas", legal_basis="WPA art. 44/11/3")
    set_password(admin.db, admin.actor, "admin", PASSWORD)
    sums = tmp_path / "gekend.md5"
    sums.write_text("d41d8cd98f00b204e9800998ecf8427e  leeg.txt\n")
    admin.hashset_import("gekend", sums, kind="known", fmt="md5sum")

    i18n.MISSING.clear()
    pages: dict[str, str] = {}
    client.get("/cases", params={"lang": "nl"})
    pages |= _crawl(client, "/cases")
    for user in ("op", "dpo", "admin"):
        other = new_client()
        login(other, user)
        other.get("/cases", params={"lang": "nl"})
        # a page another role is refused (403: no text) stays as the first crawl saw it
        pages |= {p: text for p, text in _crawl(other, "/cases").items() if text or p not in pages}
    shown = {path for path, text in pages.items() if text}
    expected = {
        "/cases",
        f"/cases/{case.id}",
        f"/evidence/{item.id}/processing",
        f"/evidence/{item.id}/files",
        f"/evidence/{item.id}/gallery",
        f"/evidence/{item.id}/files/{picture.id}",
        f"/cases/{case.id}/timeline",
        f"/cases/{case.id}/files",
        f"/cases/{case.id}/gallery",
        "/audit",
        "/workers",
        f"/evidence/{item.id}/xzone",
        "/xzone/requests",
        "/notable",
        "/hashsets",
    }
    assert expected <= shown, sorted(expected - shown)
    assert not i18n.MISSING, f"message keys without a translation: {sorted(i18n.MISSING)}"
    english = {path: [s for s in ENGLISH if s in text] for path, text in pages.items()}
    english = {path: found for path, found in english.items() if found}
    assert english == {}, english
    # stage names are interface text too: in Dutch, not lccu's internal names
    processing = pages[f"/evidence/{item.id}/processing"]
    for stage in ("hash", "files", "carve", "yara", "timeline", "thumbnails"):
        assert i18n.STRINGS[f"stage_{stage}"]["nl"] in processing, stage
    assert "thumbnails" not in processing and "timeline" not in processing, processing
