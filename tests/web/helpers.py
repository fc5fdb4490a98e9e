"""Helpers the web tests share: logging in through the form and uploading in chunks."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.config import Settings
from lccu.testing.keys import UNIT_PASSPHRASE

PASSWORD = "correct horse battery staple"
MAX_UPLOAD = 1024 * 1024
#: where browser tests leave their screenshots, for a person to look at
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"


def artifact(name: str) -> str:
    """The path of screenshot ``name`` in :data:`ARTIFACTS` (the folder made if need be)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / name)


def web_keys(settings: Settings) -> Settings:
    """Every user's signing key encrypted with their web password PASSWORD (the usual case:
    the login unlocks it for the session); tests of another passphrase set one themselves."""
    return dataclasses.replace(
        settings,
        passphrase=PASSWORD,
        new_passphrase=PASSWORD,
        unit_passphrase=UNIT_PASSPHRASE,
        key_kdf="test",
    )


def login_csrf(client: TestClient) -> str:
    page = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def login(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    answer = client.post(
        "/login",
        data={"username": user, "password": password, "csrf": login_csrf(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return session_csrf(client)


def session_csrf(client: TestClient) -> str:
    page = client.get("/cases/new")
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def upload_file(
    client: TestClient,
    csrf: str,
    case_id: str,
    data: bytes,
    *,
    chunk: int = 1000,
    filename: str = "image.dd",
    declared: dict[str, str] | None = None,
    complete: bool = True,
) -> tuple[str, object]:
    """Start an upload, send it in chunks and (optionally) complete it through the API."""
    headers = {"X-CSRF-Token": csrf}
    start = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={
            "filename": filename,
            "size": len(data),
            "description": "test image",
            **(declared or {}),
        },
    )
    assert start.status_code == 201, start.text
    upload_id = start.json()["upload_id"]
    for offset in range(0, len(data), chunk):
        sent = client.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": offset},
            content=data[offset : offset + chunk],
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
    if not complete:
        return upload_id, None
    return upload_id, client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)


@dataclasses.dataclass(frozen=True)
class PlantedItem:
    """The planted disk taken in as evidence in a case of PZ Vlas, with ``client`` logged in
    as its investigator vlas_inv; ``headers`` carries the session's CSRF token."""

    case_id: str
    item_id: str
    headers: dict[str, str]
    client: TestClient
    app: FastAPI

    def process(self) -> None:
        """Start an urgent processing run through the API and wait until the server's
        in-process drain (no Redis) has finished it."""
        started = self.client.post(
            f"/api/v1/evidence/{self.item_id}/processing",
            headers=self.headers,
            json={"priority": "urgent"},
        )
        assert started.status_code == 202, started.text
        assert self.app.state.web.processor.wait(120)


def send_upload(
    client: TestClient,
    headers: dict[str, str],
    case_id: str,
    files: list[tuple[str, bytes]],
    declared: dict[str, str] | None = None,
    *,
    size: int | None = None,
    extra: bytes = b"",
    complete: bool = True,
) -> Any:
    """Start an upload of ``files`` (one after the other, as the page sends them), send its
    bytes (and ``extra`` beyond them) in 1 MiB chunks and complete it; the answer of the
    step that failed, or of the completion (the upload's id with ``complete=False``).
    ``size`` is the size declared at the start, if not the files' own."""
    mib = 1024 * 1024
    data = b"".join(body for _name, body in files) + extra
    start = client.post(
        f"/api/v1/cases/{case_id}/uploads",
        headers=headers,
        json={
            "filename": files[0][0],
            "size": len(data) - len(extra) if size is None else size,
            "description": "seized disk",
            "item_type": "disk-image",
            "files": [{"name": n, "size": len(b)} for n, b in files] if len(files) > 1 else None,
            **(declared or {}),
        },
    )
    if start.status_code != 201:
        return start
    upload_id = start.json()["upload_id"]
    for offset in range(0, len(data), mib):
        sent = client.put(
            f"/api/v1/uploads/{upload_id}",
            params={"offset": offset},
            content=data[offset : offset + mib],
            headers=headers,
        )
        if sent.status_code != 200:
            return sent
    if not complete:
        return upload_id
    return client.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers)
