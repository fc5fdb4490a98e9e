"""The web's video previews are bounded (issue 20): each runs ffmpeg in the web process, so
at most ``video_previews`` run at once; a request that finds every slot taken for
``video_preview_wait`` seconds gets 503 with Retry-After, in the page's language, and the
refusal is audited once. Pictures (no ffmpeg) are not held up by busy video slots."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from lccu.config import Settings
from lccu.evidence.lab import Lab
from lccu.web.thumbs import PreviewsBusy, PreviewSlots
from tests.thumbnail.media import fat_image, picture, sample_video
from tests.web.helpers import login
from tests.web.test_thumbnails_processed import _process


def test_slots_bound_and_refuse_after_the_wait() -> None:
    """Two slots: a third holder waits the given time, then is refused; a freed slot is
    taken again."""
    slots = PreviewSlots(2, 0.2, retry_after=7)
    with slots.held(), slots.held():
        started = time.monotonic()
        with pytest.raises(PreviewsBusy) as refused, slots.held():
            pass
        assert time.monotonic() - started >= 0.19
        assert refused.value.retry_after == 7 and refused.value.slots == 2
    with slots.held():
        pass
    with pytest.raises(ValueError):
        PreviewSlots(0, 1.0)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_busy_video_preview_is_503_in_dutch_and_english_and_audited(
    make_app: Callable[..., FastAPI], make_lab: Callable[..., Lab], unit: Settings, tmp_path: Path
) -> None:
    """With the only slot held (as a running ffmpeg holds it), the video's preview is 503
    with Retry-After and a Dutch or English message (and as a picture for the page's
    <img>); each refusal is one audit entry; a picture's preview still answers; once the
    slot is free the video's preview is its key frame."""
    image = fat_image(
        tmp_path / "media.img",
        {"PIC.PNG": picture("PNG"), "CLIP.MP4": sample_video(tmp_path / "clip.mp4").read_bytes()},
    )
    lab = make_lab("vlas_inv")
    case = lab.create_case("Video's")
    item = lab.add_evidence(case.id, image, description="media")
    assert _process(unit, item.id)["state"] == "done"
    files = {f.path: f for f in lab.files(item.id, source="file")}
    app = make_app(video_previews=1, video_preview_wait=0.3)
    slots: PreviewSlots = app.state.web.video_previews
    clip = f"/evidence/{item.id}/files/{files['/CLIP.MP4'].id}/preview"
    photo = f"/evidence/{item.id}/files/{files['/PIC.PNG'].id}/preview"
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "vlas_inv")
        with slots.held():  # one preview is being made
            dutch = client.get(clip, params={"lang": "nl"})
            assert dutch.status_code == 503, dutch.text
            assert dutch.headers["retry-after"] == "5"
            assert dutch.text == (
                "De server maakt al 1 videovoorbeelden; probeer het over 5 seconden opnieuw."
            )
            english = client.get(clip, params={"lang": "en"})
            assert english.status_code == 503 and english.headers["retry-after"] == "5"
            assert english.text.startswith("The server is already making 1 video previews")
            shown = client.get(clip, params={"lang": "nl", "placeholder": "true"})
            assert shown.status_code == 503
            assert shown.headers["content-type"].startswith("image/svg+xml")
            assert "even bezig, probeer opnieuw" in shown.text
            picture_preview = client.get(photo)
            assert picture_preview.status_code == 200
        free = client.get(clip)
        assert free.status_code == 200 and free.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(free.content)) as frame:
            assert frame.size == (320, 240)

        # two at once with the slot free: one makes the frame, the other waits its turn
        answers: list[int] = []

        def ask() -> None:
            answers.append(client.get(clip).status_code)

        with slots.held():
            waiting = threading.Thread(target=ask)
            waiting.start()
            time.sleep(0.1)
        waiting.join(30)
        assert answers == [200]  # the slot came free within the wait
    refusals = [
        (e.username, e.allowed, json.loads(e.detail or "{}"))
        for e in make_lab("dpo").audit_log()
        if e.operation == "file.preview"
    ]
    assert len(refusals) == 3, refusals
    for username, allowed, detail in refusals:
        assert username == "vlas_inv" and allowed is False
        assert detail["path"] == "/CLIP.MP4" and re.search(r"video previews", detail["why"])
