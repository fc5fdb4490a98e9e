"""The file browser of a whole case on the web (issue 20): one table of every processed
item's files, with the item table's filters plus the exhibit, linked from the case page,
as a page and as JSON, and the case's picture gallery with the same filters; another zone
refused (404, as a case that does not exist; audited once) until the case is shared."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest, build_mbr_fat32_ext4
from tests.web.helpers import login

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]


def _rows(page: str) -> list[tuple[str, str]]:
    """(exhibit, path) of each row of the table."""
    return [
        (e, p)
        for p, e in re.findall(
            r'<tr data-path="([^"]*)" data-deleted="[a-z]+" data-exhibit="([^"]*)"', page
        )
    ]


def _tiles(page: str) -> set[tuple[str, str]]:
    """(exhibit, path) of each picture of the gallery."""
    return {(e, p) for p, e in re.findall(r'<li data-path="([^"]*)" data-exhibit="([^"]*)"', page)}


def test_case_file_browser(
    client: TestClient,
    app: FastAPI,
    make_lab: Callable[..., Lab],
    new_client: Callable[[], TestClient],
    planted_disk: PlantedManifest,
    tmp_path: Path,
) -> None:
    """The case page links the case's table; its filters (deleted, picture, tagged,
    exhibit, path text) span both processed disks as their manifests say; the JSON API
    gives the same rows with their exhibit; another zone gets 404 for both, each audited
    once as a refused file.list, and sees the table once the case is shared."""
    second = build_mbr_fat32_ext4(tmp_path / "second.img", seed=2)
    lab = make_lab("vlas_inv")
    case = lab.create_case("Twee schijven")
    one = lab.add_evidence(case.id, planted_disk.image, description="schijf 1", exhibit_number="S1")
    two = lab.add_evidence(case.id, second.image, description="schijf 2", exhibit_number="S2")
    csrf = login(client, "vlas_inv")
    for item in (one, two):
        started = client.post(
            f"/api/v1/evidence/{item.id}/processing",
            headers={"X-CSRF-Token": csrf},
            json={"priority": "urgent"},
        )
        assert started.status_code == 202, started.text
    assert app.state.web.processor.wait(180)
    lab.tag_file(two.id, "/notes.txt", label="relevant", note="tweede schijf")

    case_page = client.get(f"/cases/{case.id}", params={"lang": "nl"}).text
    assert f'href="/cases/{case.id}/files"' in case_page
    assert f'href="/cases/{case.id}/files?exhibit=S2"' in case_page
    url = f"/cases/{case.id}/files"
    dutch = client.get(url, params={"lang": "nl"})
    assert dutch.status_code == 200 and "Alle bestanden van het dossier" in dutch.text
    everything = set(_rows(dutch.text))
    assert {("S1", "/docs/report.txt"), ("S2", "/docs/report.txt")} <= everything
    assert "All files of the case" in client.get(url, params={"lang": "en"}).text

    deleted = set(_rows(client.get(url, params={"deleted": "yes", "source": "file"}).text))
    assert {("S1", "/gone.txt"), ("S2", "/gone.txt"), ("S2", "/_ecret.txt")} <= deleted
    assert not {p for _e, p in deleted} & {"/docs/report.txt", "/notes.txt"}
    pictures = set(_rows(client.get(url, params={"mime": "image/", "source": "file"}).text))
    assert pictures == {
        (e, p) for e in ("S1", "S2") for p in ("/dir/picture.png", "/photos/holiday.jpg")
    }
    only_two = set(
        _rows(client.get(url, params={"mime": "image/", "source": "file", "exhibit": "S2"}).text)
    )
    assert only_two == {("S2", "/dir/picture.png"), ("S2", "/photos/holiday.jpg")}
    # the table's gallery link keeps its filters, the exhibit among them
    filtered = client.get(url, params={"mime": "image/", "source": "file", "exhibit": "S2"})
    to_gallery = re.search(r'id="gallery-link" href="([^"]+)"', filtered.text)
    assert to_gallery
    carried = html.unescape(to_gallery.group(1))
    assert parse_qs(urlsplit(carried).query) == {
        "exhibit": ["S2"],
        "mime": ["image/"],
        "source": ["file"],
    }
    assert _tiles(client.get(carried).text) == only_two
    assert _rows(client.get(url, params={"tagged": "yes"}).text) == [("S2", "/notes.txt")]
    assert set(_rows(client.get(url, params={"q": "report"}).text)) == {
        ("S1", "/docs/report.txt"),
        ("S2", "/docs/report.txt"),
    }
    # the case's gallery: the pictures of both items, with the table's filters
    gallery_url = f"/cases/{case.id}/gallery"
    assert f'href="{gallery_url}"' in case_page and f'href="{gallery_url}"' in dutch.text
    gallery = client.get(gallery_url, params={"source": "file", "lang": "nl"})
    assert gallery.status_code == 200 and "Fotogalerij van het dossier" in gallery.text
    assert _tiles(gallery.text) == pictures
    assert "Picture gallery of the case" in client.get(gallery_url, params={"lang": "en"}).text
    assert _tiles(client.get(gallery_url, params={"source": "file", "exhibit": "S2"}).text) == {
        ("S2", "/dir/picture.png"),
        ("S2", "/photos/holiday.jpg"),
    }
    png_size = next(f.size for f in second.files if f.path == "/dir/picture.png")
    assert _tiles(
        client.get(
            gallery_url, params={"min_size": png_size, "max_size": png_size, "source": "file"}
        ).text
    ) == {("S1", "/dir/picture.png"), ("S2", "/dir/picture.png")}
    thumb = re.search(
        rf'<li data-path="/dir/picture.png" data-exhibit="S2"><a href="(/evidence/{two.id}/files/'
        r'\d+)"><img loading="lazy" src="([^"]+)"',
        gallery.text,
    )
    assert thumb and f'href="{thumb.group(1)}#picture"' in gallery.text
    drawn = client.get(thumb.group(2))
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"

    link = re.search(
        rf'href="(/evidence/{two.id}/files/\d+)">/notes.txt<',
        client.get(url, params={"tagged": "yes"}).text,
    )
    assert link and "tweede schijf" in client.get(link.group(1)).text

    api = client.get(
        f"/api/v1/cases/{case.id}/files",
        params={"deleted": "true", "source": "file", "limit": 1000},
    ).json()
    assert {(f["exhibit"], f["path"]) for f in api["files"]} == deleted
    assert api["total"] == len(deleted) and set(api["runs"]) == {one.id, two.id}
    notes = {p.path: p for p in second.files}["/notes.txt"]
    by_hash = client.get(f"/api/v1/cases/{case.id}/files", params={"sha256": notes.sha256})
    assert [(f["exhibit"], f["path"]) for f in by_hash.json()["files"]] == [("S2", "/notes.txt")]

    other = new_client()
    login(other, "polder_inv")
    # not shared: answered as a case that does not exist (404), audited as refused
    assert other.get(url).status_code == 404
    assert other.get(f"/api/v1/cases/{case.id}/files").status_code == 404
    refused = other.get(gallery_url)
    assert refused.status_code == 404 and "/dir/picture.png" not in refused.text
    audit = [
        (e.operation, e.allowed)
        for e in make_lab("dpo").audit_log()
        if e.username == "polder_inv" and e.operation.startswith("file.")
    ]
    assert audit == [("file.list", False)] * 3  # one refused entry per request
    lab.share_case(case.id, "PZ Polder", purpose="joint investigation", permission="read")
    shared = other.get(url, params={"tagged": "yes"})
    assert shared.status_code == 200 and _rows(shared.text) == [("S2", "/notes.txt")]
    shared_gallery = other.get(gallery_url, params={"exhibit": "S1", "source": "file"})
    assert shared_gallery.status_code == 200
    assert _tiles(shared_gallery.text) == {
        ("S1", "/dir/picture.png"),
        ("S1", "/photos/holiday.jpg"),
    }
