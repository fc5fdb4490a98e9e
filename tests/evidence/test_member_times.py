"""An archive member's MS-DOS time (zip, RAR 4, CAB) is the local wall clock of an unknown
zone (issue #17: local times are never presented as UTC in the web): it stays out of the
file index's UTC ``mtime`` column (shown as "Modified (UTC)" and filtered as UTC days), and
the file's page marks it local, zone unknown; a member time stored as UTC is kept."""

from __future__ import annotations

from typing import Any

from lccu.evidence.file_index import rows_of
from lccu.web.files import shown_times


def _member(ident: int, mtime: str | None, kind: str | None) -> dict[str, Any]:
    return {
        "id": ident,
        "provenance": f"a.zip/{ident}.txt",
        "kind": "file",
        "size": 1,
        "mtime": mtime,
        "time_kind": kind,
        "md5": None,
        "sha1": None,
        "sha256": None,
        "mime": "text/plain",
    }


def test_member_local_time_is_not_in_the_utc_column() -> None:
    report = {
        "files": [],
        "carved": [],
        "yara": [],
        "members": [
            _member(1, "2019-03-05T10:00:00", "local"),
            _member(2, "2019-03-05T10:00:00+00:00", "utc"),
        ],
    }
    rows = {r["path"]: r for r in rows_of(report, "run", "item")}
    assert rows["/$archives/a.zip/1.txt"]["mtime"] is None
    assert rows["/$archives/a.zip/2.txt"]["mtime"] == "2019-03-05T10:00:00+00:00"


def test_member_times_on_the_file_page_say_which_they_are() -> None:
    local = shown_times(_member(1, "2019-03-05T10:00:00", "local"))
    assert local["mtime"] == {
        "utc": None,
        "wall_clock": "2019-03-05T10:00:00",
        "kind": "local-unknown",
        "zone": None,
    }
    utc = shown_times(_member(2, "2019-03-05T10:00:00+00:00", "utc"))
    assert utc["mtime"] == {
        "utc": "2019-03-05T10:00:00+00:00",
        "wall_clock": None,
        "kind": "utc",
        "zone": None,
    }
    fs_time = {
        "utc": None,
        "wall_clock": "2024-01-15T14:00:00",
        "kind": "local-unknown",
        "zone": None,
        "resolution": 2,
    }
    assert shown_times({"mtime": fs_time, "atime": None})["mtime"] == fs_time
