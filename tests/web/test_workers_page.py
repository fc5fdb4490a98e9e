"""The operators' workers page: the registered workers with their state, refused to others."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from lccu.tasks.health import register, unregister, worker_id
from tests.web.helpers import login

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_operator_sees_workers_investigator_is_refused(
        client: TestClient, new_client: Callable[[], TestClient],
        make_lab: Callable[..., object]) -> None:
    """A registered worker is listed as alive on /workers for an operator; an investigator
    gets 403; after it unregisters it is gone."""
    op = make_lab("op")
    wid = register(op, threads=3, metrics_url="http://10.0.0.7:9464/metrics")
    assert wid == worker_id()
    login(client, "op")
    page = client.get("/workers")
    assert page.status_code == 200
    assert f'data-worker="{wid}" data-alive="yes"' in page.text
    assert "3 thread(s)" in page.text
    other = new_client()
    login(other, "vlas_inv")
    assert other.get("/workers").status_code == 403
    unregister(op, wid)
    assert wid not in client.get("/workers").text
