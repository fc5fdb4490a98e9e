"""An item's report in the web app: the stored HTML page, JSON for scripts, and the files it
links to as downloads only; access checked and audited, no path leaves the item's folder."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from tests.web.conftest import shared_item_fixtures
from tests.web.helpers import PlantedItem, login

pytestmark = pytest.mark.slow


# the processed item built once for the module; its tests only read it (the refused zone is
# its own user's)
shared, make_lab, app, processed_item = shared_item_fixtures("reports")


def test_report_page_json_and_linked_download(
    client: TestClient, processed_item: PlantedItem, make_lab: Callable[..., Lab]
) -> None:
    item_id = processed_item.item_id
    page = client.get(f"/evidence/{item_id}/report")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]
    report = client.get(f"/api/v1/evidence/{item_id}/report").json()
    assert report["image"]["sha256"] in page.text
    exported = [
        f
        for f in report["files"]  # the page lists (and links) deleted files
        if not f["allocated"] and f.get("exported") and f.get("sha256")
    ]
    assert exported
    first = exported[0]
    assert f'href="{first["exported"]}"' in page.text
    download = client.get(f"/evidence/{item_id}/{first['exported']}")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in download.headers["content-security-policy"]
    assert hashlib.sha256(download.content).hexdigest() == first["sha256"]
    # the DPO can tell which exported file was consulted (was: only "evidence.read")
    last = [e for e in make_lab("dpo").audit_log() if e.username == "vlas_inv"][-1]
    assert (last.operation, last.allowed, last.object_id) == ("derived.read", True, item_id)
    assert json.loads(last.detail or "{}")["path"] == first["exported"]
    html = client.get(f"/api/v1/evidence/{item_id}/report", params={"format": "html"})
    assert html.text == page.text


def test_only_the_items_exported_files_are_served(
    client: TestClient, processed_item: PlantedItem
) -> None:
    """Traversal, other areas, encoded dots and NUL bytes: 404, never a file."""
    item_id = processed_item.item_id
    for path in (
        "files/..%2F..%2Freport.json",
        "files/../../x",
        "keys/op.key",
        "carved/%2e%2e/x",
        "files/a%00b",
        "files/",
        "derived/x",
    ):
        answer = client.get(f"/evidence/{item_id}/{path}")
        assert answer.status_code == 404, (path, answer.status_code)


def test_other_zone_cannot_read_the_report(
    processed_item: PlantedItem, new_client: Callable[[], TestClient], make_lab: Callable[..., Lab]
) -> None:
    item_id = processed_item.item_id
    other = new_client()
    login(other, "polder_inv")
    assert other.get(f"/evidence/{item_id}/report").status_code == 404  # as if not there
    assert other.get(f"/evidence/{item_id}/files/vol02/8.txt").status_code == 404
    denied = [
        e for e in make_lab("dpo").audit_log() if e.username == "polder_inv" and not e.allowed
    ]
    assert len(denied) >= 2 and all(json.loads(e.detail or "{}") for e in denied)
