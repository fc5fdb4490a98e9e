"""Every refusal is audited once, as refused, for uploads too: through the REST API (a
script's bearer token) and the upload page (a browser session, Dutch chosen), an upload
refused for what it sends (a missing or out-of-order E01 or split segment, a container
lccu does not read, a damaged E01 set, an empty file, a wrong declared hash, more bytes
than the server takes or than declared) leaves exactly one refused ``evidence.refused``
entry naming the user, the case and the cause, and nothing in the store. An upload taken
in is not audited as refused. The inputs are made by ewfacquire, split and qemu-img."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.refusals import (
    ANY_WAY,
    Sources,
    assert_nothing_stored,
    assert_refused_once,
    build_sources,
    make_refusal,
    refusals,
)
from lccu.web.auth import Tokens, check_password
from tests.web.helpers import PASSWORD, login, send_upload

MIB = 1024 * 1024
MAX_BYTES = 16 * MIB
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
#: refused only on the way in by upload (sizes are the sender's to state)
UPLOAD_ONLY = ("too_large", "more_than_declared")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    return build_sources(tmp_path_factory.mktemp("upload-refusal-sources"))


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(max_upload_bytes=MAX_BYTES, upload_chunk_bytes=MIB)


def sender(client: TestClient, app: FastAPI, via: str) -> dict[str, str]:
    """The headers of vlas_inv's requests: the upload page's session (Dutch chosen) and
    its CSRF token, or a script's bearer token with its key's passphrase."""
    if via == "web":
        headers = {"X-CSRF-Token": login(client, "vlas_inv")}
        client.get("/cases", params={"lang": "nl"})
        return headers
    state = app.state.web
    actor = check_password(state.db, "vlas_inv", PASSWORD)
    assert actor is not None
    token = Tokens(state.db).create(actor, "intake script")[1]
    return {"Authorization": f"Bearer {token}", "X-Key-Passphrase": PASSWORD}


@pytest.mark.parametrize("via", ["rest", "web"])
@pytest.mark.parametrize("kind", ANY_WAY + UPLOAD_ONLY)
def test_upload_refusal_is_audited_once(
    client: TestClient,
    app: FastAPI,
    make_lab: Callable[..., Lab],
    sources: Sources,
    tmp_path: Path,
    kind: str,
    via: str,
) -> None:
    lab = make_lab("vlas_inv")
    case_id = lab.create_case(f"Upload refused {kind}").id
    headers = sender(client, app, via)
    if kind in UPLOAD_ONLY:
        files = [("disk.raw", sources.raw.read_bytes())]
        if kind == "too_large":
            answer = send_upload(client, headers, case_id, files, {}, size=MAX_BYTES + 1)
            causes: tuple[str, ...] = (f"{MAX_BYTES + 1} bytes", f"maximum of {MAX_BYTES}")
        else:
            answer = send_upload(client, headers, case_id, files, {}, extra=b"x")
            causes = ("more bytes than the declared",)
    else:
        refused = make_refusal(kind, sources, tmp_path / "input")
        files = [(p.name, p.read_bytes()) for p in refused.sent]
        answer = send_upload(client, headers, case_id, files, refused.declared)
        causes = refused.causes
    assert answer.status_code in (400, 413, 422), answer.text
    assert_refused_once(make_lab, case_id, causes)
    assert_nothing_stored(lab)
    assert lab.list_evidence(case_id) == []


@pytest.mark.parametrize("via", ["rest", "web"])
def test_upload_taken_in_is_not_audited_as_refused(
    client: TestClient, app: FastAPI, make_lab: Callable[..., Lab], sources: Sources, via: str
) -> None:
    case_id = make_lab("vlas_inv").create_case("Upload taken in").id
    files = [(p.name, p.read_bytes()) for p in sources.ewf]
    answer = send_upload(client, sender(client, app, via), case_id, files, {})
    assert answer.status_code == 201, answer.text
    assert answer.json()["container_format"] == "ewf"
    assert refusals(make_lab) == []
