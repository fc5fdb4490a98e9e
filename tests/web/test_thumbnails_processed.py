"""Thumbnails made during processing (issue 20): ``lccu process`` (embedded) stores a PNG
per picture and a key frame per video in the derived store, linked to their source files,
and a note for a decompression bomb; the gallery then serves the stored thumbnails without
reading the evidence (the stored image is moved away first). A file's page shows a large
preview made on request (larger than the thumbnail, at most 1600 pixels; a video's key
frame), never stored."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import delete

from lccu.config import Settings
from lccu.evidence.lab import Lab
from lccu.evidence.runstate import StageRun
from lccu.storage import open_store
from lccu.testing.keys import UNIT_PASSPHRASE
from tests.thumbnail.media import fat_image, picture, png_bomb, sample_video
from tests.web.helpers import PASSWORD, login

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]


def _process(settings: Settings, evidence: str) -> dict[str, object]:
    """``lccu process`` as the investigator, embedded (no Redis)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env |= {
        "LCCU_HOME": str(settings.home),
        "LCCU_DATABASE_URL": settings.database_url,
        "LCCU_USER": "vlas_inv",
        "LCCU_PASSPHRASE": PASSWORD,
        "LCCU_UNIT_PASSPHRASE": UNIT_PASSPHRASE,
        "LCCU_KEY_KDF": "test",
    }
    done = subprocess.run(
        [sys.executable, "-m", "lccu.cli.main", "process", evidence, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    status: dict[str, object] = json.loads(done.stdout)
    return status


def _png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as shown:
        assert shown.format == "PNG"
        return shown.size


def test_processing_stores_thumbnails_and_the_gallery_serves_them(
    client: TestClient,
    make_lab: Callable[..., Lab],
    unit: Settings,
    tmp_path: Path,
    new_client: Callable[[], TestClient],
) -> None:
    """After `lccu process`: a stored PNG for the PNG, the JPEG and the video's key frame
    (each listed with the path it shows), a 'not thumbnailed' note for the 64-megapixel
    PNG; with the evidence moved out of the store, the gallery lists the pictures and the
    video, and their thumbnails are the stored bytes; the bomb's gives its reason. The
    file pages' large previews: 1600x1200 for the 2400x1800 JPEG, the video's key frame at
    its own 320x240, the bomb and a text file refused with the reason, another zone 404 (as
    for an item that does not exist)."""
    image = fat_image(
        tmp_path / "media.img",
        {
            "PIC.PNG": picture("PNG"),
            "PHOTO.JPG": picture("JPEG", (2400, 1800)),
            "CLIP.MP4": sample_video(tmp_path / "clip.mp4").read_bytes(),
            "BOMB.PNG": png_bomb(),
            "NOTES.TXT": b"nothing to see\n" * 10,
        },
    )
    lab = make_lab("vlas_inv")
    case = lab.create_case("Beelden")
    item = lab.add_evidence(case.id, image, description="media")
    status = _process(unit, item.id)
    assert status["state"] == "done", status

    files = {f.path: f for f in lab.files(item.id, source="file")}
    stage = lab.run_queue.stage_results(files["/PIC.PNG"].run_id)["thumbnails"][0]
    assert stage.state == "done" and stage.result_key
    store = open_store(lab.settings)
    with store.open_derived(stage.result_key) as fh:
        result = json.loads(fh.read())
    shown = {s["path"]: t for t in result["thumbnails"] for s in t["sources"]}
    assert set(shown) == {"/PIC.PNG", "/PHOTO.JPG", "/CLIP.MP4"}
    for path, entry in shown.items():
        assert entry["sha256"] == files[path].sha256
    assert shown["/CLIP.MP4"]["kind"] == "video"
    (note,) = result["notes"]
    assert [s["path"] for s in note["sources"]] == ["/BOMB.PNG"]
    assert "not thumbnailed" in note["note"] and "8000x8000" in note["note"]
    stored = {}
    for path, entry in shown.items():
        with store.open_derived(f"{item.id}/{entry['thumbnail']}") as fh:
            stored[path] = fh.read()
    store.close()
    assert _png_size(stored["/PHOTO.JPG"]) == (256, 192)
    assert max(_png_size(stored["/CLIP.MP4"])) == 256

    # the evidence leaves the store: what the gallery shows now cannot come from it
    evidence = Path(url2pathname(urlsplit(lab.get_evidence(item.id).storage_uri or "").path))
    assert evidence.is_file()
    evidence.rename(tmp_path / "moved-away.img")
    login(client, "vlas_inv")
    preview = client.get(f"/evidence/{item.id}/files/{files['/PIC.PNG'].id}", params={"lang": "en"})
    assert "The content cannot be read" in preview.text  # the evidence is really gone

    gallery = client.get(f"/evidence/{item.id}/gallery")
    assert gallery.status_code == 200
    thumbs = dict(
        re.findall(
            r'<li data-path="([^"]*)"><a href="[^"]*"><img loading="lazy" '
            r'src="([^"]+)"',
            gallery.text,
        )
    )
    assert {"/PIC.PNG", "/PHOTO.JPG", "/CLIP.MP4", "/BOMB.PNG"} <= set(thumbs)
    assert "/NOTES.TXT" not in thumbs
    for path, png in stored.items():
        answer = client.get(thumbs[path])
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        assert answer.content == png
    # the gallery's image of a file without a thumbnail is a picture saying so (the reason
    # as its title), not a broken image; the plain URL answers 422 with the reason
    bomb = client.get(thumbs["/BOMB.PNG"])
    assert bomb.status_code == 200, bomb.text
    assert bomb.headers["content-type"].startswith("image/svg+xml")
    assert "8000x8000" in bomb.text and re.search("geen miniatuur|no thumbnail", bomb.text)
    plain = client.get(thumbs["/BOMB.PNG"].split("?")[0])
    assert plain.status_code == 422 and "8000x8000" in plain.text
    reads = [
        json.loads(e.detail or "{}")
        for e in make_lab("dpo").audit_log()
        if e.operation == "file.read" and e.allowed
    ]
    assert sum(1 for d in reads if d.get("purpose") == "thumbnail" and d.get("stored")) == 5

    # a run planned before the stage existed has no thumbnails row: made on request then
    (tmp_path / "moved-away.img").rename(evidence)
    with lab.db.session() as session:
        session.execute(
            delete(StageRun).where(
                StageRun.run_id == files["/PIC.PNG"].run_id, StageRun.stage == "thumbnails"
            )
        )
    made = client.get(thumbs["/PHOTO.JPG"])
    assert made.status_code == 200 and _png_size(made.content) == (256, 192)
    clip = thumbs["/CLIP.MP4"].split("?")[0]
    assert client.get(clip).status_code == 422  # on request: pictures only
    reads = [
        json.loads(e.detail or "{}")
        for e in make_lab("dpo").audit_log()
        if e.operation == "file.read" and e.allowed
    ]
    on_request = [d for d in reads if d.get("purpose") == "thumbnail" and not d.get("stored")]
    assert len(on_request) == 2  # the evidence was read for these two

    # the large preview, made on request from the evidence by the same engine (not stored)
    def preview_of(path: str) -> str:
        page = client.get(f"/evidence/{item.id}/files/{files[path].id}", params={"lang": "nl"})
        found = re.search(r'id="picture-preview" src="([^"]+)"', page.text)
        assert found and "Groot voorbeeld" in page.text, page.text[-2000:]
        return found.group(1)

    photo = client.get(preview_of("/PHOTO.JPG"))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert _png_size(photo.content) == (1600, 1200)  # larger than its 256x192, bounded
    clip_preview = client.get(preview_of("/CLIP.MP4"))
    assert clip_preview.status_code == 200 and _png_size(clip_preview.content) == (320, 240)
    assert "sleutelbeeld" in client.get(f"/evidence/{item.id}/files/{files['/CLIP.MP4'].id}").text
    assert _png_size(client.get(preview_of("/PIC.PNG")).content) == (640, 480)
    bomb_preview = client.get(f"/evidence/{item.id}/files/{files['/BOMB.PNG'].id}/preview")
    assert bomb_preview.status_code == 422
    assert "8000x8000" in bomb_preview.text and "no preview" in bomb_preview.text
    notes = f"/evidence/{item.id}/files/{files['/NOTES.TXT'].id}"
    assert 'id="picture-preview"' not in client.get(notes).text
    text_preview = client.get(f"{notes}/preview")
    assert text_preview.status_code == 422
    assert text_preview.text.startswith("not a picture or a video (text/plain")
    placeholder = client.get(f"{notes}/preview", params={"placeholder": "true", "lang": "nl"})
    assert placeholder.headers["content-type"].startswith("image/svg+xml")
    assert "geen voorbeeld" in placeholder.text
    scratch = Path(unit.home) / "web" / "scratch"
    assert not scratch.exists() or not any(scratch.iterdir())  # the video's copy is gone
    other = new_client()
    login(other, "polder_inv")
    refused = other.get(preview_of("/PHOTO.JPG"))
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/html")
    entries = [e for e in make_lab("dpo").audit_log() if e.operation == "file.read"]
    assert [e.allowed for e in entries if e.username == "polder_inv"] == [False]
    previews = [
        json.loads(e.detail or "{}")
        for e in entries
        if e.allowed and json.loads(e.detail or "{}").get("purpose") == "picture-preview"
    ]
    assert len(previews) == 6  # photo, clip, picture, bomb, text twice: one entry each
