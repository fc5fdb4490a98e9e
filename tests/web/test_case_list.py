"""The case list is paged (100 a page with a total) yet shows exactly the visible cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from lccu.evidence.lab import Lab
from tests.web.helpers import login


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_pages_cover_visible_cases_once(client: TestClient,
                                        make_lab: Callable[..., Lab]) -> None:
    """With 5 own cases, 1 shared in and 2 of another zone, pages of 2 give total 6, every
    visible case exactly once in creation order, and never the unshared foreign ones."""
    vlas, polder = make_lab("vlas_inv"), make_lab("polder_inv")
    own = [vlas.create_case(f"own {i}").id for i in range(3)]
    foreign = [polder.create_case(f"foreign {i}").id for i in range(3)]
    polder.share_case(foreign[0], "PZ Vlas", purpose="joint investigation")
    own += [vlas.create_case(f"own {i}").id for i in range(3, 5)]
    login(client, "vlas_inv")
    seen: list[str] = []
    for page in (1, 2, 3):
        body = client.get("/api/v1/cases", params={"page": page, "per_page": 2}).json()
        assert (body["total"], body["pages"], body["page"]) == (6, 3, page)
        seen += [c["id"] for c in body["cases"]]
    assert seen == [*own[:3], foreign[0], *own[3:]]
    assert len(seen) == len(set(seen)) == 6 and not set(seen) & set(foreign[1:])
    shared = next(c for c in client.get("/api/v1/cases?per_page=10").json()["cases"]
                  if c["id"] == foreign[0])
    assert shared["zone"] == "PZ Polder" and shared["shares"][0]["zone"] == "PZ Vlas"
    assert client.get("/api/v1/cases", params={"per_page": 501}).status_code == 422


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_case_page_pager_links(client: TestClient, make_lab: Callable[..., Lab]) -> None:
    """The /cases page shows 100 cases, the total and a next link; page 2 shows the rest
    with a previous link and no next one; each listing is audited as case.list."""
    vlas = make_lab("vlas_inv")
    made = [vlas.create_case(f"case {i:03d}") for i in range(101)]
    login(client, "vlas_inv")
    first = client.get("/cases?lang=en")
    assert first.text.count('<tr><td><a href="/cases/') == 100
    assert "Number of cases: 101" in first.text and 'rel="next"' in first.text
    assert made[100].number not in first.text and 'rel="prev"' not in first.text
    second = client.get("/cases?page=2&lang=en")
    assert second.text.count('<tr><td><a href="/cases/') == 1
    assert made[100].number in second.text and 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text
    entries = [e for e in make_lab("dpo").audit_log() if e.operation == "case.list"
               and e.username == "vlas_inv" and e.allowed]
    assert len(entries) >= 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_huge_page_numbers_are_refused_or_clamped(client: TestClient,
                                                  make_lab: Callable[..., Lab]) -> None:
    """A page number beyond what a database offset can hold gives 422 from the API and an
    empty last page on /cases, never a server error (found by schemathesis on SQLite)."""
    make_lab("vlas_inv").create_case("Zebra-title-7731")
    login(client, "vlas_inv")
    assert "Zebra-title-7731" in client.get("/cases").text
    assert client.get("/api/v1/cases", params={"page": 2**70}).status_code == 422
    assert client.get("/api/v1/cases", params={"page": 1_000_001}).status_code == 422
    page = client.get("/cases", params={"page": 2**70})
    assert page.status_code == 200 and "Zebra-title-7731" not in page.text  # clamped, empty
