"""Every web route that takes an id, enumerated from the app's own route table: a user of
another zone who names PZ Vlas's case, item, run, file, thumbnail, preview, tag, report,
timeline, gallery, custody event or upload gets the same answer (status and body) as for an
id that does not exist, so the answer tells her nothing (not even that the case exists or
which zone owns it), and each attempt is one audit entry, refused.

A route added later with an id in its path must be put in :data:`PROBES` (or in
:data:`NOT_ZONE_DATA` with the reason it holds no zone's data), else the first test fails.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest
from tests.web.conftest import shared_item_fixtures
from tests.web.helpers import login

shared, make_lab, app, processed_item = shared_item_fixtures("route_boundary")

#: the body each id-taking route is sent (json for /api/, a form otherwise; the CSRF token
#: is added), so that the request reaches the access decision instead of stopping at a
#: field check
PROBES: dict[str, dict[str, Any]] = {
    "GET /api/v1/cases/{ref}": {},
    "POST /api/v1/cases/{ref}/close": {"reason": "x"},
    "GET /api/v1/cases/{ref}/custody": {},
    "POST /api/v1/cases/{ref}/custody": {"action": "note", "reason": "x"},
    "POST /api/v1/cases/{ref}/custody/export": {},
    "POST /api/v1/cases/{ref}/custody/verify": {},
    "POST /api/v1/cases/{ref}/custody/{seq}/countersign": {},
    "GET /api/v1/cases/{ref}/evidence": {},
    "GET /api/v1/cases/{ref}/files": {},
    "POST /api/v1/cases/{ref}/shares": {"zone": "PZ Polder", "purpose": "x"},
    "POST /api/v1/cases/{ref}/shares/revoke": {"zone": "PZ Polder", "reason": "x"},
    "GET /api/v1/cases/{ref}/tag-labels": {},
    "POST /api/v1/cases/{ref}/tag-labels": {"label": "wapen"},
    "GET /api/v1/cases/{ref}/tags": {},
    "POST /api/v1/cases/{ref}/uploads": {"filename": "a.dd", "size": 10, "description": "d"},
    "GET /api/v1/evidence/{item_id}": {},
    "GET /api/v1/evidence/{item_id}/files": {},
    "GET /api/v1/evidence/{item_id}/notable": {},
    "POST /api/v1/evidence/{item_id}/notable": {"file": "/a", "category": "c", "reason": "r"},
    "GET /api/v1/evidence/{item_id}/processing": {},
    "POST /api/v1/evidence/{item_id}/processing": {"priority": "normal"},
    "GET /api/v1/evidence/{item_id}/report": {},
    "GET /api/v1/evidence/{item_id}/tags": {},
    "POST /api/v1/evidence/{item_id}/tags": {"file": "/a", "label": "wapen"},
    "GET /api/v1/evidence/{item_id}/xzone-hits": {},
    "DELETE /api/v1/tags/{tag_id}": {},
    "GET /cases/{case_ref}/court-report": {},
    "GET /cases/{case_ref}/timeline": {},
    "GET /cases/{ref}": {"justification": "curious"},
    "POST /cases/{ref}/close": {"reason": "x"},
    "POST /cases/{ref}/custody": {"action": "note", "reason": "x"},
    "POST /cases/{ref}/custody/export": {"recipient": "x"},
    "POST /cases/{ref}/custody/{seq}/countersign": {},
    "GET /cases/{ref}/files": {},
    "GET /cases/{ref}/gallery": {},
    "POST /cases/{ref}/share": {"zone": "PZ Polder", "purpose": "x"},
    "POST /cases/{ref}/unshare": {"zone": "PZ Polder", "reason": "x"},
    "GET /cases/{ref}/upload": {},
    "POST /cases/{ref}/verify": {},
    "GET /evidence/{item_id}/file": {"path": "/a", "volume": 0},
    "GET /evidence/{item_id}/files": {},
    "GET /evidence/{item_id}/files/{file_id}": {},
    "GET /evidence/{item_id}/files/{file_id}/download": {},
    "POST /evidence/{item_id}/files/{file_id}/notable": {
        "path": "/a",
        "category": "c",
        "reason": "r",
    },
    "GET /evidence/{item_id}/files/{file_id}/preview": {},
    "POST /evidence/{item_id}/files/{file_id}/tags": {"path": "/a", "label": "wapen"},
    "GET /evidence/{item_id}/files/{file_id}/thumbnail": {},
    "GET /evidence/{item_id}/gallery": {},
    "GET /evidence/{item_id}/processing": {},
    "POST /evidence/{item_id}/processing": {"priority": "normal"},
    "GET /evidence/{item_id}/report": {},
    "GET /evidence/{item_id}/timeline": {},
    "GET /evidence/{item_id}/timeline.csv": {},
    "GET /evidence/{item_id}/xzone": {},
    "POST /evidence/{item_id}/xzone/request": {
        "sha256": "0" * 64,
        "zone": "PZ Vlas",
        "purpose": "x",
    },
    "GET /evidence/{item_id}/{area}/{path}": {},
}

#: routes with an id that names no zone's case data, and why
NOT_ZONE_DATA = {
    "DELETE /api/v1/tokens/{token_id}": "the caller's own API tokens",
    "POST /tokens/{token_id}/revoke": "the caller's own API tokens",
    "GET /api/v1/uploads/{upload_id}": "the caller's own uploads (test_uploads)",
    "PUT /api/v1/uploads/{upload_id}": "the caller's own uploads (test_uploads)",
    "DELETE /api/v1/uploads/{upload_id}": "the caller's own uploads (test_uploads)",
    "POST /api/v1/uploads/{upload_id}/complete": "the caller's own uploads (test_uploads)",
    "GET /api/v1/uploads/{upload_id}/result": "the caller's own uploads (test_uploads)",
    "POST /api/v1/notable/{mark_id}/approve": "the unit admin's review (test_notable_api)",
    "POST /api/v1/notable/{mark_id}/reject": "the unit admin's review (test_notable_api)",
    "POST /notable/{mark_id}/approve": "the unit admin's review (test_notable_api)",
    "POST /notable/{mark_id}/reject": "the unit admin's review (test_notable_api)",
    "GET /api/v1/xzone/requests/{request_id}": "hit/no-hit requests (test_xzone_api)",
    "POST /api/v1/xzone/requests/{request_id}/grant": "hit/no-hit requests (test_xzone_api)",
    "POST /api/v1/xzone/requests/{request_id}/refuse": "hit/no-hit requests (test_xzone_api)",
    "POST /xzone/requests/{request_id}/grant": "hit/no-hit requests (test_xzone_pages)",
    "POST /xzone/requests/{request_id}/refuse": "hit/no-hit requests (test_xzone_pages)",
}


def _routes(routes: Sequence[Any]) -> list[str]:
    """``METHOD path`` of every route with a parameter in its path (``{file_id:int}`` read
    as ``{file_id}``), in the routers the app includes too (the app includes them without
    a prefix of its own: each router's prefix is in its routes' paths)."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found += _routes(included.routes)
        elif isinstance(route, APIRoute) and "{" in route.path:
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
            found += [f"{method} {path}" for method in sorted(route.methods)]
    return found


def test_every_route_with_an_id_is_probed(app: FastAPI) -> None:
    """The route table and the probes agree: nothing new escapes the next test."""
    routes = set(_routes(app.routes))
    assert len(routes) > 50
    assert routes - PROBES.keys() - NOT_ZONE_DATA.keys() == set()
    assert PROBES.keys() - routes == set()


def _foreign_ids(lab: Lab, case_id: str, item_id: str) -> dict[str, str]:
    """PZ Vlas's real ids: its case (by number and id), item, a file, a tag, a custody
    event, its run and a derived file's area and path."""
    page = lab.file_page(item_id, limit=5)
    file = page.files[0]
    tag = lab.tag_file(item_id, file.path, label="wapen", volume=file.volume)
    return {
        "ref": lab.get_case(case_id).number,
        "case_ref": case_id,
        "item_id": item_id,
        "file_id": str(file.id),
        "tag_id": tag.id,
        "seq": "1",
        "area": "carved",
        "path": "x.jpg",
        "run": page.run_id,
    }


def _missing_ids() -> dict[str, str]:
    """Ids of the same shape that name nothing."""
    return {
        "ref": "LCCU-2026-99999",
        "case_ref": str(uuid.uuid4()),
        "item_id": str(uuid.uuid4()),
        "file_id": "999999999",
        "tag_id": str(uuid.uuid4()),
        "seq": "1",
        "area": "carved",
        "path": "x.jpg",
        "run": str(uuid.uuid4()),
    }


def _ask(client: TestClient, csrf: str, route: str, ids: dict[str, str]) -> tuple[int, str]:
    method, template = route.split(" ", 1)
    url = template.format(**ids)
    body = dict(PROBES[route])
    if url.startswith("/api/"):
        sent = client.request(
            method,
            url,
            headers={"X-CSRF-Token": csrf},
            json=body if method in ("POST", "PUT") else None,
            params={"run": ids["run"]} if url.endswith("/report") else None,
        )
    elif method == "GET":
        sent = client.get(url, params=body)
    else:
        sent = client.request(method, url, data={**body, "csrf": csrf}, follow_redirects=False)
    return sent.status_code, sent.text


def _normalised(text: str, ids: dict[str, str]) -> str:
    """The answer with the ids asked for written as names, and per-answer nonces blanked."""
    for name, value in sorted(ids.items(), key=lambda kv: -len(kv[1])):
        if len(value) > 2:
            text = text.replace(value, f"<{name}>")
    return re.sub(r'nonce-[^"\' ;]+|nonce="[^"]*"', "nonce", text)


def _entries(lab: Lab, user: str) -> list[Any]:
    return [e for e in lab.audit_log() if e.username == user]


def test_another_zones_ids_answer_as_ids_that_do_not_exist(
    shared: Any, app: FastAPI, make_lab: Callable[..., Lab]
) -> None:
    """polder_inv asks every id-taking route for PZ Vlas's objects and for objects that do
    not exist: the same status and the same body (ids aside), no byte of PZ Vlas's data,
    and each request one audit entry, refused."""
    vlas = make_lab("vlas_inv")
    foreign = _foreign_ids(vlas, shared.case_id, shared.item_id)
    missing = _missing_ids()
    dpo = make_lab("dpo")
    problems: list[str] = []
    with TestClient(app, base_url="http://127.0.0.1") as client:
        csrf = login(client, "polder_inv")
        for route in sorted(PROBES):
            answers, raw = [], []
            for ids in (foreign, missing):
                before = len(_entries(dpo, "polder_inv"))
                status, text = _ask(client, csrf, route, ids)
                new = _entries(dpo, "polder_inv")[before:]
                answers.append((status, _normalised(text, ids)))
                raw.append(text)
                if [e.allowed for e in new] != [False]:
                    problems.append(
                        f"{route} {'foreign' if ids is foreign else 'missing'}: "
                        f"audit {[(e.operation, e.allowed) for e in new]}"
                    )
            (f_status, f_text), (m_status, m_text) = answers
            if f_status != m_status or f_text != m_text:
                problems.append(
                    f"{route}: another zone's ids {f_status} {f_text[:160]!r}, "
                    f"missing ids {m_status} {m_text[:160]!r}"
                )
            asked = route.split(" ", 1)[1].format(**foreign)
            for secret in ("PZ Vlas", "Planted disk", shared.case_id, foreign["ref"]):
                if secret in raw[0] and secret not in asked:  # not an echo of the address
                    problems.append(f"{route}: answer names {secret!r}")
    assert problems == [], "\n".join(problems)


#: the pages and API calls that take ``?run=`` on an item
RUN_ROUTES = (
    "/api/v1/evidence/{item_id}/report",
    "/evidence/{item_id}/report",
    "/evidence/{item_id}/timeline",
    "/evidence/{item_id}/timeline.csv",
)


def test_another_zones_run_on_an_own_item_answers_as_a_made_up_run(
    shared: Any, app: FastAPI, make_lab: Callable[..., Lab], planted_disk: PlantedManifest
) -> None:
    """polder_inv names PZ Vlas's run on her own item (``?run=``): the same answer as for a
    run id that does not exist, nothing of PZ Vlas's run, one refused audit entry each (an
    allowed read of her own item may come before it)."""
    polder = make_lab("polder_inv")
    case = polder.create_case("Polder's own")
    own = polder.add_evidence(case.id, planted_disk.image, description="own disk").id
    foreign = make_lab("vlas_inv").file_page(shared.item_id, limit=1).run_id
    made_up = str(uuid.uuid4())
    dpo = make_lab("dpo")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "polder_inv")
        for route in RUN_ROUTES:
            url = route.format(item_id=own)
            answers = []
            for run in (foreign, made_up):
                before = len(_entries(dpo, "polder_inv"))
                sent = client.get(url, params={"run": run})
                new = _entries(dpo, "polder_inv")[before:]
                # one refusal (the run); the page may first read the own item, allowed
                assert [e.allowed for e in new if e.object_id != own] == [False], (route, new)
                answers.append((sent.status_code, _normalised(sent.text, {"run": run})))
            assert answers[0] == answers[1], (route, answers)
            assert answers[0][0] == 404 and shared.item_id not in answers[0][1]
