"""A process stopped between committing a custody event and writing its anchor (SIGKILL,
power loss): the next append anchors that event late, after checking that it belongs to the
chain, so a crash no longer makes an honest log look tampered with; an event an insider put
into the database is never anchored late and stays a finding. Local anchor file on SQLite,
S3 object-lock anchors on PostgreSQL."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from lccu.config import Settings
from lccu.evidence.custody import load_events
from lccu.evidence.lab import Lab
from lccu.testing.keys import KEY_ENV
from lccu.testing.pytest_services import on_s3
from tests.evidence.custody_unit import forged_event
from tests.evidence.test_anchors_required import insert_event

MODES = [
    pytest.param("sqlite", "local", id="local-file"),
    pytest.param("postgresql", "s3", id="s3-object-lock"),
]

#: the child appends exactly as lccu does (gate, intent, commit) and is SIGKILLed at the
#: moment it would write the anchor: the state a crash between commit and anchor leaves
CHILD = """
import os, pickle, signal, sys
from lccu.evidence.lab import Lab, open_lab

def power_cut(self, head):
    os.kill(os.getpid(), signal.SIGKILL)

Lab._anchor = power_cut
settings, case_id = pickle.load(sys.stdin.buffer)
open_lab("vlas_inv", settings=settings).record_event(case_id, "note", reason="then the power went")
"""


@pytest.fixture
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def lab_settings(lab_settings: Settings, mode: str, request: pytest.FixtureRequest) -> Settings:
    if mode == "local":
        return lab_settings
    return on_s3(lab_settings, request.getfixturevalue("s3_endpoint"), "lccu-late")


@pytest.fixture
def shared_case(busy_case: tuple[Lab, str], make_lab: Callable[..., Lab]) -> tuple[Lab, Lab, str]:
    """The busy case, shared with PZ Polder so that another zone's user appends next."""
    lab, case_id = busy_case
    lab.share_case(case_id, "PZ Polder", purpose="suspect lives in Polder")
    return lab, make_lab("polder_inv"), case_id


def append_then_killed(lab: Lab, case_id: str) -> int:
    """Run the real append in another process that is killed after the commit, before the
    anchor; returns the event's sequence number."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=pickle.dumps((lab.settings, case_id)),
        capture_output=True,
        timeout=300,
        env=os.environ | KEY_ENV,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    with lab.db.session() as session:
        last = load_events(session, case_id)[-1]
    assert last["reason"] == "then the power went"
    return int(last["seq"])


def cli_verify(settings: Settings, case_id: str) -> tuple[int, str]:
    """``lccu custody verify CASE`` on these settings: exit code and all it printed."""
    from lccu.cli.main import cli

    env = {
        "LCCU_HOME": str(settings.home),
        "LCCU_DATABASE_URL": settings.database_url,
        "LCCU_USER": "vlas_inv",
        "LCCU_DEBUG": "0",
        **KEY_ENV,
    }
    if settings.s3_endpoint:
        env |= {
            "LCCU_S3_ENDPOINT": settings.s3_endpoint,
            "LCCU_S3_ACCESS_KEY": settings.s3_access_key or "",
            "LCCU_S3_SECRET_KEY": settings.s3_secret_key or "",
            "LCCU_S3_SECURE": "1" if settings.s3_secure else "0",
            "LCCU_S3_BUCKET": settings.s3_bucket,
            "LCCU_S3_RETENTION_DAYS": str(settings.s3_retention_days),
        }
    result = CliRunner().invoke(cli, ["custody", "verify", case_id], env=env)
    return result.exit_code, result.output


def anchor_lines(lab: Lab, case_id: str, seq: int) -> list[dict[str, Any]]:
    """The anchor records of event ``seq`` where verify counts them (S3 in server mode)."""
    if lab.settings.s3_endpoint:
        from lccu.storage.s3 import S3Store

        name = f"case/{case_id}/{seq:012d}.json"
        return [json.loads(body) for n, body in S3Store(lab.settings).anchors(name) if n == name]
    path = lab.settings.anchor_dir / f"{case_id}.anchors"
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["seq"] == seq]


@pytest.mark.parametrize(("database_url", "mode"), MODES, indirect=True)
def test_crash_before_anchor_is_anchored_late(shared_case: tuple[Lab, Lab, str]) -> None:
    """Killed between commit and anchor: verify names both causes (not only "inserted");
    the next append, by another zone's user, anchors it late and verify passes with a note
    (was: "it was not appended by lccu (inserted in the database?)" for good)."""
    lab, polder, case_id = shared_case
    seq = append_then_killed(lab, case_id)
    assert anchor_lines(lab, case_id, seq) == []
    before = lab.verify_custody(case_id)
    assert not before.ok
    (problem,) = [p for p in before.problems if p.seq == seq]
    assert "has no anchor" in problem.reason
    assert "stopped before anchoring" in problem.reason
    assert "inserted into the database" in problem.reason

    head = polder.record_event(case_id, "note", reason="next append, other zone")
    assert head["seq"] == seq + 1
    (late,) = anchor_lines(lab, case_id, seq)
    assert late["late"] is True and late["anchored_by"] == "polder_inv"
    assert late["actor"] == "vlas_inv"
    result = lab.verify_custody(case_id)
    assert result.ok, result.problems
    (note,) = result.notes
    assert note.startswith(f"event {seq} anchored late by polder_inv at {late['recorded_at']}")
    assert "(the process that appended it stopped before anchoring)" in note
    assert result.as_dict()["notes"] == [note]
    code, out = cli_verify(lab.settings, case_id)
    assert code == 0 and "custody log verified" in out and note in out, out


@pytest.mark.parametrize(("database_url", "mode"), MODES, indirect=True)
@pytest.mark.parametrize("kind", ["bad-signature", "not-chained", "real-key-no-intent"])
def test_inserted_event_is_not_anchored_late(shared_case: tuple[Lab, Lab, str], kind: str) -> None:
    """An event inserted into the database (signed by another user's key, linked to the
    wrong predecessor, or even signed with its actor's real key but never appended through
    lccu) is not anchored by the next append; verify still fails on it."""
    lab, polder, case_id = shared_case
    polder.record_event(case_id, "note", reason="polder unlocks its key")
    with lab.db.session() as session:
        events = load_events(session, case_id)
    previous = events[-1]
    mine = next(e for e in reversed(events) if e["actor"] == "vlas_inv")
    if kind == "bad-signature":
        event = forged_event(
            previous,
            "vlas_inv",
            mine["key_id"],
            lambda digest: polder.keys.sign("polder_inv", digest),
        )
    elif kind == "not-chained":
        event = forged_event(
            previous,
            "vlas_inv",
            mine["key_id"],
            lambda digest: lab.keys.sign("vlas_inv", digest),
            prev_hash=events[-2]["event_hash"],
        )
    else:
        event = forged_event(
            previous, "vlas_inv", mine["key_id"], lambda digest: lab.keys.sign("vlas_inv", digest)
        )
    insert_event(lab, event)
    polder.record_event(case_id, "note", reason="next append, other zone")
    assert anchor_lines(lab, case_id, event["seq"]) == []
    result = lab.verify_custody(case_id)
    assert not result.ok and result.notes == []
    assert any(
        p.seq == event["seq"]
        and "has no anchor" in p.reason
        and "inserted in the database" in p.reason
        for p in result.problems
    ), result.problems


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", ["local"], indirect=True)
@pytest.mark.parametrize(
    "junk",
    [b"\xff\xfe not UTF-8\n", b"[" * 200_000 + b"\n", b'{"seq": 1e999999}\n'],
    ids=["not-utf8", "deeply-nested", "huge-number"],
)
def test_junk_in_anchor_files_is_a_finding_not_a_crash(
    busy_case: tuple[Lab, str], junk: bytes
) -> None:
    """An insider with file access who deletes the last anchor line and writes junk into
    the anchor and intent files (bytes that are not UTF-8, JSON nested past Python's
    recursion limit) can neither crash verify (was: UnicodeDecodeError / RecursionError,
    exit 3) nor stop the case's next append (which looks for a late anchor, reading both
    files); verify names the junk and the missing anchor."""
    lab, case_id = busy_case
    folder = lab.settings.anchor_dir
    anchors = folder / f"{case_id}.anchors"
    lines = anchors.read_bytes().splitlines(keepends=True)
    anchors.write_bytes(b"".join(lines[:-1]) + junk)  # the last event's anchor gone
    with (folder / f"{case_id}.intents").open("ab") as fh:
        fh.write(junk)
    result = lab.verify_custody(case_id)
    assert not result.ok
    last = lab.custody_log(case_id)[-1]["seq"]
    assert any(p.seq == last and "has no anchor" in p.reason for p in result.problems)
    assert any("unreadable anchor" in p.reason for p in result.problems), result.problems
    code, out = cli_verify(lab.settings, case_id)
    assert code == 1 and "unreadable anchor" in out, out
    head = lab.record_event(case_id, "note", reason="the next append still works")
    assert head["seq"] == last + 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", ["local"], indirect=True)
def test_deleted_or_forged_intents_anchor_nothing(shared_case: tuple[Lab, Lab, str]) -> None:
    """An insider with file access cannot use the intent file: deleting it after a crash
    leaves the crashed event unanchored (a finding, not hidden), and an intent line they
    write themselves for it (signed by another user's real key, or copied from another
    event with the hash changed) does not get it anchored late either."""
    lab, polder, case_id = shared_case
    seq = append_then_killed(lab, case_id)
    intents = lab.settings.anchor_dir / f"{case_id}.intents"
    genuine = [json.loads(line) for line in intents.read_text().splitlines()]
    (mine,) = [i for i in genuine if i["seq"] == seq]
    intents.unlink()
    forged = [
        dict(mine, signature=polder.keys.sign("polder_inv", b"whatever")),
        dict(genuine[0], seq=seq, head_hash=mine["head_hash"]),  # another line's signature
    ]
    intents.write_text("".join(json.dumps(f) + "\n" for f in forged))
    polder.record_event(case_id, "note", reason="next append, other zone")
    assert anchor_lines(lab, case_id, seq) == []
    result = lab.verify_custody(case_id)
    assert not result.ok and result.notes == []
    assert any(p.seq == seq and "has no anchor" in p.reason for p in result.problems)
