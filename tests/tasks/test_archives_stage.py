"""Embedded `lccu process` opens archives like `lccu scan`: same members, hashes and
limits; members in the derived store; custody records how, never the case passwords."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lccu.archive import ExpansionLimits, library_versions
from lccu.pipeline import ScanOptions, run_scan
from lccu.storage import open_store
from lccu.testing.archives import CASE_PASSWORD, build_archive_disk
from tests.tasks.conftest import Unit
from tests.tasks.helpers import load_report, processed_events, yara_set

MIB = 1024 * 1024
LIMITS = {"LCCU_ARCHIVE_MAX_TOTAL_BYTES": str(24 * MIB), "LCCU_ARCHIVE_MAX_RATIO": "100"}


def _members(report: dict) -> set[tuple]:
    return {
        (
            m["id"],
            m["parent"],
            m["provenance"],
            m["sha256"],
            m["time_kind"],
            tuple(m["findings"]),
            m["exported"] is not None,
        )
        for m in report["members"]
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_process_expands_like_scan(unit: Unit, tmp_path: Path) -> None:
    """With the case password list, an embedded run reports the members, containers and
    member YARA hits `lccu scan` reports under the same limits; every member's bytes are in
    the derived store with its hash and is linked from the stored HTML report; the
    archives stage's `processed` event records the
    limits and library versions and that a password list was supplied, and the password
    appears in no custody event, result or report."""
    disk = build_archive_disk(tmp_path / "disk.img", hostile=False)
    passwords = tmp_path / "case.txt"
    passwords.write_text(CASE_PASSWORD + "\n", "utf-8")
    evidence = unit.add_image("vlas_inv", disk.image, "A1")
    done = unit.cli(
        "process",
        evidence,
        "--passwords",
        str(passwords),
        "--carve",
        "unallocated",
        "--json",
        LCCU_REDIS_URL="",
        **LIMITS,
    )
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["state"] == "done", status
    lab = unit.lab("vlas_inv")
    got = load_report(lab, status["report"])
    limits = ExpansionLimits(max_total_bytes=24 * MIB, max_ratio=100)
    want = run_scan(
        disk.image,
        tmp_path / "scan",
        ScanOptions(
            rules=[unit.rules], carve="unallocated", limits=limits, passwords=(CASE_PASSWORD,)
        ),
    )
    assert _members(got) == _members(want) and len(got["members"]) > 15
    assert got["archives"] == want["archives"]
    assert yara_set(got) == yara_set(want)
    assert got["summary"] == want["summary"]

    store = open_store(lab.settings)
    for member in got["members"]:
        if member["exported"]:
            with store.open_derived(f"{evidence}/{member['exported']}") as fh:
                assert hashlib.sha256(fh.read()).hexdigest() == member["sha256"]

    # the members in the file list (lab.files), each readable through lab.open_file from
    # its exported copy: the very bytes the report hashed (issue 20)
    listed = list(lab.files(evidence, source="member"))
    assert len(listed) == len(got["members"])
    assert sorted(f.sha256 or "" for f in listed) == sorted(
        m["sha256"] or "" for m in got["members"]
    )
    readable = [f for f in listed if f.entry.get("exported")]
    assert readable and len(readable) == sum(1 for m in got["members"] if m["exported"])
    for member in readable:
        with lab.open_file(evidence, member) as stream:
            assert not stream.writable()
            assert hashlib.sha256(stream.read()).hexdigest() == member.sha256

    with store.open_derived(status["report"][:-5] + ".html") as fh:
        page = fh.read().decode()
    exported = next(m["exported"] for m in got["members"] if m["exported"])
    assert f'href="{exported}" download' in page  # members link to the web download route

    (event,) = [e for e in processed_events(lab, evidence) if e["details"]["stage"] == "archives"]
    expansion = event["details"]["expansion"]
    assert expansion["limits"] == limits.as_dict()
    assert expansion["libraries"] == library_versions()
    assert expansion["passwords_supplied"] is True
    custody = json.dumps(lab.custody_log(unit.cases["vlas_inv"]))
    assert CASE_PASSWORD not in custody and CASE_PASSWORD not in json.dumps(got)
    assert CASE_PASSWORD not in done.stdout
