"""Library errors on web pages (issue 20): a web user is never told to run a command line
(`lccu status E1`), and an error the web knows (an item not processed yet) is said in the
page's language; the REST API keeps the library's own message for scripts."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lccu.errors import LccuError
from lccu.evidence.lab import Lab
from lccu.web.i18n import STRINGS
from lccu.web.messages import user_message, without_commands
from tests.web.helpers import login

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]


def _error_of(call: Callable[[], object]) -> str:
    with pytest.raises(LccuError) as raised:
        call()
    return str(raised.value)


def test_unprocessed_item_pages_say_so_without_commands(
    client: TestClient, make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """The report, file table, gallery and timeline of an item never processed: 404 pages
    with the page's own sentence (Dutch, English), no `lccu ...` in them; the API's detail
    is still the library's. Library messages that name commands lose those clauses and
    keep their facts."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("Niet verwerkt")
    image = tmp_path / "usb.dd"
    image.write_bytes(b"evidence bytes " * 64)
    item = lab.add_evidence(case.id, image, description="USB stick").id
    login(client, "vlas_inv")
    dutch, english = STRINGS["err_not_processed"]["nl"], STRINGS["err_not_processed"]["en"]
    for url in (
        f"/evidence/{item}/report",
        f"/evidence/{item}/files",
        f"/evidence/{item}/gallery",
        f"/evidence/{item}/timeline",
    ):
        page = client.get(url, params={"lang": "nl"})
        assert page.status_code == 404, (url, page.status_code)
        shown = html.unescape(page.text)
        assert dutch in shown and "`lccu" not in shown and "lccu status" not in shown, url
        assert english in html.unescape(client.get(url, params={"lang": "en"}).text), url
    api = client.get(f"/api/v1/evidence/{item}/files").json()
    assert "no finished processing run" in api["detail"]

    # messages of the library that name a command, as they are raised
    admin = make_lab("admin")
    messages = [
        _error_of(lambda: lab.finished_report(item)),
        _error_of(lambda: admin.hashset_remove("geen-set")),
        _error_of(lambda: admin.add_user("x", "Geen Zone", "investigator")),
    ]
    for text in messages:
        assert "`lccu " in text, text  # the library's text does name one
        shown = without_commands(text)
        assert "lccu" not in shown and shown, (text, shown)
        assert user_message(text, "nl") in (shown, dutch)
    assert without_commands("no zone 'Z'; create it with `lccu zone add`") == "no zone 'Z'"
    assert without_commands("plain words; nothing to run") == "plain words; nothing to run"
