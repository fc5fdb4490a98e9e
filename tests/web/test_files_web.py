"""The web file browser of a processed item (issue 20): the paged, filtered file table, a
file's page (hashes, tags, hex and text preview from the evidence, a large preview of a
picture), the download, the gallery with thumbnails made on the server and the table's
filters, in Dutch and English; another zone refused (404, as for an item that does not
exist) and audited once per request."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from lccu.config import Settings
from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest
from tests.web.helpers import PlantedItem, login

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]
#: a message key shown as itself: a string missing from lccu/web/i18n.py
RAW_KEY = re.compile(r">[^<]*\b(?:type|filter|source|sort|time|file_hashset|preview)_[a-z_]+\b")


#: a YARA rule of this module's settings: PNG pictures (the bundled rules match none)
PNG_RULE = "rule planted_png { strings: $sig = { 89 50 4E 47 0D 0A 1A 0A } condition: $sig at 0 }"


@pytest.fixture
def lab_settings(lab_settings: Settings, tmp_path: Path) -> Settings:
    """The web tests' settings with :data:`PNG_RULE` as an extra rule file, so that the
    gallery's rule filter has pictures to find."""
    rules = tmp_path / "pictures.yar"
    rules.write_text(PNG_RULE + "\n")
    return dataclasses.replace(lab_settings, rules=(rules,))


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-path="([^"]*)"', page)


def _tiles(page: str) -> list[str]:
    return re.findall(r'<li data-path="([^"]*)"', page)


def test_file_browser_gallery_and_download(
    client: TestClient,
    planted_item: PlantedItem,
    make_lab: Callable[..., Lab],
    new_client: Callable[[], TestClient],
    planted_disk: PlantedManifest,
    tmp_path: Path,
) -> None:
    """Filters narrow the table as the planted disk says; the file page shows the planted
    file's hashes and its first bytes; the download is the planted bytes under the file's
    own name; the gallery's thumbnail is a small PNG, its filters those of the table; a
    picture's page shows a large preview (a re-encoded PNG); another zone gets 403
    everywhere."""
    item_id, csrf = planted_item.item_id, planted_item.headers["X-CSRF-Token"]
    lab = make_lab("vlas_inv")
    before = client.get(f"/evidence/{item_id}/files")
    assert before.status_code == 404
    planted = {f.path: f for f in planted_disk.files if f.path}
    known = tmp_path / "known.sha256"  # a set of known files holding the holiday photo
    known.write_text(f"{planted['/photos/holiday.jpg'].sha256}  holiday.jpg\n")
    make_lab("admin").hashset_import("gekende foto's", known, kind="known")
    planted_item.process()

    processing = client.get(f"/evidence/{item_id}/processing").text
    assert f'href="/evidence/{item_id}/files"' in processing
    dutch = client.get(f"/evidence/{item_id}/files", params={"lang": "nl"})
    assert dutch.status_code == 200 and "Bestanden" in dutch.text
    assert not RAW_KEY.search(dutch.text), RAW_KEY.search(dutch.text)
    everything = _rows(dutch.text)
    assert {"/docs/report.txt", "/dir/picture.png", "/_ecret.txt"} <= set(everything)

    deleted = _rows(
        client.get(f"/evidence/{item_id}/files", params={"deleted": "yes", "source": "file"}).text
    )
    assert {"/_ecret.txt", "/gone.txt", "/payment.txt"} <= set(deleted)
    assert not set(deleted) & {"/docs/report.txt", "/notes.txt", "/README.TXT"}
    pictures = _rows(client.get(f"/evidence/{item_id}/files", params={"mime": "image/"}).text)
    assert {"/dir/picture.png", "/photos/holiday.jpg"} <= set(pictures)
    assert "/docs/report.txt" not in pictures
    deleted_pictures = _rows(
        client.get(f"/evidence/{item_id}/files", params={"mime": "image/", "deleted": "yes"}).text
    )
    assert deleted_pictures and all(p.startswith("/$carved/") for p in deleted_pictures)
    # the table's gallery link keeps the table's filters, and the gallery's link back too
    shown_table = client.get(
        f"/evidence/{item_id}/files", params={"mime": "image/", "deleted": "yes", "sort": "size"}
    ).text
    to_gallery = re.search(r'id="gallery-link" href="([^"]+)"', shown_table)
    assert to_gallery, shown_table[:2000]
    carried = urlsplit(html.unescape(to_gallery.group(1)))
    assert carried.path == f"/evidence/{item_id}/gallery"
    assert parse_qs(carried.query) == {"mime": ["image/"], "deleted": ["yes"], "sort": ["size"]}
    in_gallery = client.get(html.unescape(to_gallery.group(1))).text
    assert set(_tiles(in_gallery)) == set(deleted_pictures)
    back = re.search(r'id="files-link" href="([^"]+)"', in_gallery)
    assert back and parse_qs(urlsplit(html.unescape(back.group(1))).query) == parse_qs(
        carried.query
    )
    by_size = _rows(
        client.get(
            f"/evidence/{item_id}/files", params={"sort": "size", "desc": "true", "source": "file"}
        ).text
    )
    assert by_size[:2] == ["/$FAT1", "/$FAT2"] or by_size[0] in ("/$FAT1", "/$FAT2")
    hit = _rows(
        client.get(f"/evidence/{item_id}/files", params={"hits": "yes", "source": "file"}).text
    )
    assert "/payment.txt" in hit and "/notes.txt" not in hit
    # extension mismatch (sniffed type against the name) and carved, with their labels
    normal = {"/docs/report.txt", "/dir/picture.png", "/photos/holiday.jpg", "/notes.txt"}
    odd = client.get(f"/evidence/{item_id}/files", params={"mismatch": "yes", "lang": "nl"})
    assert odd.status_code == 200 and "Extensie klopt niet met inhoud" in odd.text
    assert not set(_rows(odd.text)) & normal
    agreeing = client.get(f"/evidence/{item_id}/files", params={"mismatch": "no", "lang": "en"})
    assert "Extension mismatch" in agreeing.text and "Origin" in agreeing.text
    assert normal <= set(_rows(agreeing.text))
    carved = _rows(client.get(f"/evidence/{item_id}/files", params={"source": "carved"}).text)
    assert carved and all(p.startswith("/$carved/") for p in carved)
    assert client.get(f"/evidence/{item_id}/files", params={"deleted": "maybe"}).status_code == 422
    # one YARA rule, notable/known, size and date range (issue 20's filters on the web)
    files = {f.path: f for f in lab.files(item_id)}
    report, payment = files["/docs/report.txt"], files["/payment.txt"]
    dated = next(f for f in files.values() if f.mtime)
    assert payment.hits and report.size is not None
    table = f"/evidence/{item_id}/files"
    by_rule = _rows(client.get(table, params={"rule": payment.hits[0]}).text)
    assert "/payment.txt" in by_rule and "/docs/report.txt" not in by_rule
    assert _rows(client.get(table, params={"rule": "no_such_rule"}).text) == []
    assert _rows(client.get(table, params={"kind": "notable"}).text) == []  # no hash sets
    sized = _rows(client.get(table, params={"min_size": report.size,
                                             "max_size": report.size}).text)  # fmt: skip
    assert "/docs/report.txt" in sized
    assert all(files[p].size == report.size for p in sized), sized
    day = (dated.mtime or "")[:10]
    before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    on_the_day = _rows(client.get(table, params={"since": day, "until": day}).text)
    assert dated.path in on_the_day
    assert all((files[p].mtime or "")[:10] == day for p in on_the_day), on_the_day
    assert dated.path not in _rows(client.get(table, params={"until": before}).text)
    form = client.get(table, params={"rule": "x", "min_size": "", "since": "", "lang": "nl"})
    assert form.status_code == 200 and 'name="rule" value="x"' in form.text  # empty fields ok
    assert client.get(table, params={"since": "2024-13-45"}).status_code in (400, 422)
    assert client.get(table, params={"min_size": "-1"}).status_code == 422

    tagged = client.post(
        f"/api/v1/evidence/{item_id}/tags",
        headers={"X-CSRF-Token": csrf},
        json={"file": "/docs/report.txt", "label": "relevant", "note": "the plan"},
    )
    assert tagged.status_code == 201, tagged.text
    assert _rows(client.get(f"/evidence/{item_id}/files", params={"tagged": "yes"}).text) == [
        "/docs/report.txt"
    ]

    link = re.search(r'href="(/evidence/[^"]+/files/(\d+))">/docs/report.txt<', dutch.text)
    assert link, dutch.text[:2000]
    page = client.get(link.group(1), params={"lang": "en"})
    assert page.status_code == 200, page.text[-800:]
    report = planted["/docs/report.txt"]
    assert report.sha256 in page.text and report.md5 in page.text and "the plan" in page.text
    assert "Content preview" in page.text and not RAW_KEY.search(page.text)
    content = planted_disk.image.read_bytes()  # the planted bytes, found independently
    first_line = client.get(f"{link.group(1)}/download").content.split(b"\n")[0].decode()
    assert first_line in page.text
    assert " ".join(f"{b:02x}" for b in first_line.encode()[:16]) in page.text

    download = client.get(f"{link.group(1)}/download")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == report.sha256
    assert 'filename="report.txt"' in download.headers["content-disposition"]
    assert download.headers["x-lccu-sha256"] == report.sha256
    assert download.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in download.headers["content-security-policy"]
    assert download.content in content  # an allocated FAT file: its bytes are in the image
    # provenance on the page and in the download's header; the download audited as a read
    text_file = files["/docs/report.txt"]
    assert f"inode {text_file.inode}" in page.text and text_file.inode is not None
    origin = download.headers["x-lccu-origin"]
    assert f"volume {text_file.volume} inode {text_file.inode}" in origin and item_id in origin
    downloads = [
        json.loads(e.detail or "{}")
        for e in make_lab("dpo").audit_log()
        if (e.username, e.operation, e.allowed) == ("vlas_inv", "file.read", True)
    ]
    assert [d["path"] for d in downloads if d.get("purpose") == "download"] == [
        "/docs/report.txt",
        "/docs/report.txt",
    ]  # the two downloads above, each audited once

    binary = re.search(r'href="(/evidence/[^"]+/files/\d+)">/dir/sub/deep.bin<', dutch.text)
    assert binary
    shown = client.get(binary.group(1)).text
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", shown)

    gallery = client.get(f"/evidence/{item_id}/gallery", params={"lang": "nl"})
    assert gallery.status_code == 200 and "Fotogalerij" in gallery.text
    thumbs = dict(
        re.findall(
            r'<li data-path="([^"]*)"><a href="[^"]*"><img loading="lazy" '
            r'src="([^"]+)"',
            gallery.text,
        )
    )
    assert {"/dir/picture.png", "/photos/holiday.jpg"} <= set(thumbs)
    assert "/docs/report.txt" not in thumbs
    for path in ("/dir/picture.png", "/photos/holiday.jpg"):
        thumb = client.get(thumbs[path])
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(thumb.content)) as picture:
            assert picture.format == "PNG" and max(picture.size) <= 256
    # the gallery takes every filter of the table (issue 20): a YARA rule, size, kind
    gallery_url = f"/evidence/{item_id}/gallery"
    by_rule = _tiles(client.get(gallery_url, params={"rule": "planted_png"}).text)
    assert "/dir/picture.png" in by_rule and "/photos/holiday.jpg" not in by_rule
    assert all("planted_png" in files[p].hits for p in by_rule), by_rule
    holiday = files["/photos/holiday.jpg"]
    sized = _tiles(
        client.get(gallery_url, params={"min_size": holiday.size, "max_size": holiday.size}).text
    )
    assert "/photos/holiday.jpg" in sized and "/dir/picture.png" not in sized
    assert all(files[p].size == holiday.size for p in sized), sized
    known_tiles = _tiles(client.get(gallery_url, params={"kind": "known"}).text)
    assert "/photos/holiday.jpg" in known_tiles  # and its carved copy: the same content
    assert {files[p].sha256 for p in known_tiles} == {holiday.sha256}
    assert _tiles(client.get(gallery_url, params={"kind": "notable"}).text) == []
    assert _tiles(client.get(gallery_url, params={"mime": "image/png", "source": "file"}).text) == [
        "/dir/picture.png"
    ]
    again = client.get(gallery_url, params={"rule": "planted_png", "page": 2, "lang": "nl"}).text
    assert 'name="rule" value="planted_png"' in again and 'id="min_size"' in again
    prev = re.search(r'<a href="([^"]+)" rel="prev">', again)
    assert prev and "rule=planted_png" in prev.group(1) and "page=1" in prev.group(1)
    assert not RAW_KEY.search(again), RAW_KEY.search(again)

    picture_page = thumbs["/dir/picture.png"].split("?")[0].removesuffix("/thumbnail")
    assert f'href="{picture_page}#picture"' in gallery.text  # each tile offers the preview
    shown_picture = client.get(picture_page, params={"lang": "en"}).text
    large = re.search(r'<h2 id="picture">Large preview</h2>\s*<figure class="picture"><img '
                      r'id="picture-preview" src="([^"]+)"', shown_picture)  # fmt: skip
    assert large, shown_picture[-3000:]
    preview = client.get(large.group(1))
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
    assert preview.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(preview.content)) as drawn:
        assert drawn.format == "PNG" and drawn.size == (48, 48)  # the planted PNG's size
    # re-encoded by Pillow, never the evidence's own bytes
    assert hashlib.sha256(preview.content).hexdigest() != planted["/dir/picture.png"].sha256
    form = client.get(picture_page).text
    assert 'id="tag-form"' in form
    added = client.post(
        f"{picture_page}/tags",
        data={
            "csrf": csrf,
            "path": "/dir/picture.png",
            "volume": "3",
            "label": "te bekijken",
            "note": "het pakket?",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    assert "het pakket?" in client.get(picture_page).text
    assert [(t.path, t.note) for t in lab.tags(item_id)][-1] == ("/dir/picture.png", "het pakket?")
    forged = client.post(
        f"{picture_page}/tags", data={"csrf": "x", "path": "/dir/picture.png", "label": "x"}
    )
    assert forged.status_code == 403
    not_picture = client.get(f"{link.group(1)}/thumbnail")
    assert not_picture.status_code == 422
    assert 'id="picture-preview"' not in page.text  # a text file: no large preview
    no_preview = client.get(f"{link.group(1)}/preview")
    assert no_preview.status_code == 422
    assert no_preview.text.startswith("not a picture or a video (text/")

    api = client.get(
        f"/api/v1/evidence/{item_id}/files", params={"deleted": "true", "source": "file"}
    ).json()
    assert api["total"] == len(deleted) and {f["path"] for f in api["files"]} == set(deleted)
    # the web table's other filters over REST too: hash set kind, size and time ranges
    rest = f"/api/v1/evidence/{item_id}/files"

    def listed(**params: object) -> set[str]:
        answer = client.get(rest, params=params)
        assert answer.status_code == 200, answer.text
        return {f["path"] for f in answer.json()["files"]}

    known_files = listed(hashset_kind="known")
    assert "/photos/holiday.jpg" in known_files
    assert {files[p].sha256 for p in known_files} == {holiday.sha256}
    assert listed(hashset_kind="notable") == set()
    text_file = files["/docs/report.txt"]
    assert listed(min_size=text_file.size, max_size=text_file.size, source="file") == {
        p for p, f in files.items() if f.size == text_file.size and f.source == "file"
    }
    assert listed(ext="jpg", source="file") == {"/photos/holiday.jpg"}
    assert listed(md5=planted["/docs/report.txt"].md5) == {"/docs/report.txt"}
    start = f"{day}T00:00:00Z"
    end = (date.fromisoformat(day) + timedelta(days=1)).isoformat() + "T00:00:00+00:00"
    that_day = listed(modified_since=start, modified_before=end)
    assert dated.path in that_day and that_day == set(on_the_day)
    assert dated.path not in listed(modified_before=start)
    naive = client.get(rest, params={"modified_since": "2024-01-01T00:00:00"})
    assert naive.status_code == 422 and "time zone" in naive.text
    assert client.get(rest, params={"hashset_kind": "maybe"}).status_code == 422
    case_rest = client.get(
        f"/api/v1/cases/{planted_item.case_id}/files", params={"hashset_kind": "known"}
    ).json()
    assert {f["path"] for f in case_rest["files"]} == known_files
    assert client.get(f"/evidence/{item_id}/files/999999").status_code == 404

    # another zone: 404 (as for an item that does not exist) for the table, the gallery, a
    # file, its download, thumbnail and large preview
    other = new_client()
    login(other, "polder_inv")
    for url in (
        f"/evidence/{item_id}/files",
        f"/evidence/{item_id}/gallery",
        link.group(1),
        f"{link.group(1)}/download",
        thumbs["/dir/picture.png"],
        large.group(1),
    ):
        answer = other.get(url)
        assert answer.status_code == 404, (url, answer.status_code)
        assert report.sha256 not in answer.text
    assert other.get(f"/api/v1/evidence/{item_id}/files").status_code == 404
    audit = [
        (e.username, e.operation, e.allowed)
        for e in make_lab("dpo").audit_log()
        if e.operation.startswith("file.")
    ]
    assert audit.count(("polder_inv", "file.list", False)) == 3
    assert audit.count(("polder_inv", "file.read", False)) == 4
    assert ("polder_inv", "file.read", True) not in audit


def test_new_case_form_takes_the_question(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """The question asked, typed in the new-case form, is the case's and on its page."""
    csrf = login(client, "vlas_inv")
    made = client.post(
        "/cases/new",
        data={"csrf": csrf, "title": "Vraag", "question": "Wie <b>verkocht</b> de kaarten?"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"], params={"lang": "nl"}).text
    assert "Gestelde onderzoeksvraag: Wie &lt;b&gt;verkocht&lt;/b&gt; de kaarten?" in page
    (case,) = make_lab("vlas_inv").list_cases()
    assert case.question == "Wie <b>verkocht</b> de kaarten?"
