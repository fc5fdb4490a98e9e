"""Processing page and API: submit a run from the web, follow it to the end, zone-checked."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from lccu.testing.images import PlantedManifest
from lccu.web.processing import annotate, eta_seconds, format_eta
from tests.web.helpers import login

REFRESH = '<meta http-equiv="refresh" content="3">'


@pytest.fixture
def evidence_id(make_lab: Callable[..., Lab], planted_disk: PlantedManifest) -> str:
    lab = make_lab("vlas_inv")
    case = lab.create_case("Processing target")
    return lab.add_evidence(case.id, planted_disk.image, description="test disk").id


def wait_done(client: TestClient, evidence_id: str, timeout: float = 90) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        view = client.get(f"/api/v1/evidence/{evidence_id}/processing").json()
        if view["runs"] and view["finished"]:
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.3)


def process_and_wait(
    client: TestClient, app: FastAPI, evidence_id: str, timeout: float = 90
) -> dict[str, Any]:
    """As vlas_inv (``client`` logs in here) start a normal-priority run of ``evidence_id``
    through the API and wait until the API shows it finished and the server's in-process
    drain is idle; returns the processing view."""
    csrf = login(client, "vlas_inv")
    answer = client.post(
        f"/api/v1/evidence/{evidence_id}/processing",
        json={"priority": "normal"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 202, answer.text
    view = wait_done(client, evidence_id, timeout=timeout)
    assert app.state.web.processor.wait(30)
    return view


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_web_run_goes_to_done(client: TestClient, app: FastAPI, evidence_id: str) -> None:
    """Without Redis, POSTing a run answers 202 at once, the server drains it in the
    background, and API and page then show every stage done with the run's priority."""
    csrf = login(client, "vlas_inv")
    before = client.get(f"/api/v1/evidence/{evidence_id}/processing").json()
    assert before["runs"] == [] and before["evidence"]["id"] == evidence_id
    started = time.monotonic()
    answer = client.post(
        f"/api/v1/evidence/{evidence_id}/processing",
        json={"priority": "urgent"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 202, answer.text
    assert time.monotonic() - started < 5
    view = wait_done(client, evidence_id)
    assert app.state.web.processor.wait(30)
    [run] = view["runs"]
    assert run["run"] == answer.json()["run"]
    assert run["state"] == "done" and run["priority"] == "urgent", run
    assert run["submitted_by"] == "vlas_inv"
    stages = {s["stage"] for s in run["stages"]}
    assert stages == {
        "hash",
        "files",
        "timeline",
        "carve",
        "yara",
        "archives",
        "yara-files",
        "thumbnails",
        "report",
    }
    assert all(s["state"] == "done" and s["fraction"] == 1.0 for s in run["stages"])
    page = client.get(f"/evidence/{evidence_id}/processing?lang=en")
    assert page.status_code == 200
    assert REFRESH not in page.text and 'data-state="done"' in page.text
    assert page.text.count("<td>done</td>") == len(run["stages"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unfinished_run_page_refreshes(
    client: TestClient, evidence_id: str, make_lab: Callable[..., Lab]
) -> None:
    """A queued run (submitted through the library, not drained) makes the page reload
    itself every 3 seconds and shows its stages as queued or waiting, in Dutch."""
    from lccu.tasks import submit

    submit(make_lab("vlas_inv"), evidence_id)
    login(client, "vlas_inv")
    page = client.get(f"/evidence/{evidence_id}/processing")
    assert page.status_code == 200
    assert REFRESH in page.text and "in wachtrij" in page.text
    assert "wacht op vorige stap" in page.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_page_form_submits_run(client: TestClient, app: FastAPI, evidence_id: str) -> None:
    """The page's process form (with CSRF token) submits a run and redirects back to the
    page; without the token nothing is submitted."""
    csrf = login(client, "vlas_inv")
    url = f"/evidence/{evidence_id}/processing"
    refused = client.post(url, data={"priority": "normal", "csrf": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get(f"/api/v1{url}").json()["runs"] == []
    sent = client.post(url, data={"priority": "normal", "csrf": csrf}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == url
    view = wait_done(client, evidence_id)
    assert app.state.web.processor.wait(30)
    assert [r["priority"] for r in view["runs"]] == ["normal"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_other_zone_is_denied(
    client: TestClient, evidence_id: str, make_lab: Callable[..., Lab]
) -> None:
    """An investigator of another zone can neither see nor start processing of the item
    (404 on API and page, as for an item that does not exist), and nothing is queued."""
    csrf = login(client, "polder_inv")
    url = f"/evidence/{evidence_id}/processing"
    assert client.get(f"/api/v1{url}").status_code == 404
    assert client.get(url).status_code == 404
    post = client.post(f"/api/v1{url}", json={"priority": "urgent"}, headers={"X-CSRF-Token": csrf})
    assert post.status_code == 404
    from lccu.tasks import runs_of

    assert runs_of(make_lab("vlas_inv"), evidence_id) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_priority_is_refused(client: TestClient, evidence_id: str) -> None:
    """A priority other than urgent or normal is refused with 422."""
    csrf = login(client, "vlas_inv")
    post = client.post(
        f"/api/v1/evidence/{evidence_id}/processing",
        json={"priority": "asap"},
        headers={"X-CSRF-Token": csrf},
    )
    assert post.status_code == 422


def test_eta_formula_and_format() -> None:
    """ETA is elapsed * (1 - p) / p, unknown ("—") at p = 0, and is shown as s, m:ss or
    h:mm:ss rounded up."""
    assert eta_seconds(10, 0.25) == 30
    assert eta_seconds(10, 1.0) == 0
    assert eta_seconds(10, 0) is None
    assert format_eta(None) == "—"
    assert format_eta(0) == "0 s"
    assert format_eta(8.2) == "9 s"
    assert format_eta(309) == "5:09"
    assert format_eta(3909) == "1:05:09"


def test_annotate_running_stage_eta() -> None:
    """A running stage 40% through after 20 s gets an ETA of 30 s; one without progress
    gets "—"; a done stage counts as complete with no ETA."""
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    start = (now - timedelta(seconds=20)).isoformat()

    def stage(state: str, done: int, total: int | None) -> dict[str, object]:
        return {
            "stage": "carve",
            "segment": 0,
            "state": state,
            "progress": [done, total],
            "started_at": start,
        }

    status = annotate(
        {
            "state": "running",
            "stages": [stage("running", 40, 100), stage("running", 0, None), stage("done", 5, 100)],
        },
        now,
    )
    running, fresh, done = status["stages"]
    assert running["eta"] == pytest.approx(30) and running["eta_text"] == "30 s"
    assert fresh["eta"] is None and fresh["eta_text"] == "—"
    assert done["fraction"] == 1.0 and done["eta_text"] == ""
    assert status["finished"] is False
