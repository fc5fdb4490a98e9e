"""What an insider or a holder of an export file would forge, through the CLI and the
standalone verifier: each attempt must fail verification, naming what was done."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lccu.errors import AccessDenied
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.keys import key_id_of
from lccu.evidence.lab import Lab
from lccu.evidence.registry import registry_entry_hash
from lccu.testing.keys import KEY_ENV
from tests.evidence.conftest import tamper
from tests.evidence.custody_unit import (
    UnitExport,
    build_export,
    forged_event,
    last_event,
    lccu_verify,
    standalone_verify,
    write_lines,
)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UnitExport]:
    yield from build_export(tmp_path_factory.mktemp("unit"))


def _records(export: UnitExport) -> list[dict[str, Any]]:
    return [json.loads(line) for line in export.lines]


def _real_key_appended(export: UnitExport, *, header_too: bool) -> list[dict[str, Any]]:
    """vlas_inv's real key signs an event appended after the exported head."""
    lab = export.labs["vlas_inv"]
    previous = last_event(export.lines)
    event = forged_event(
        previous, "vlas_inv", previous["key_id"], lambda digest: lab.keys.sign("vlas_inv", digest)
    )
    records = _records(export)
    last = max(i for i, r in enumerate(records) if r["type"] == "event")
    records.insert(last + 1, {"type": "event", **event})
    if header_too:  # what a genuine later export holds: the new head and its anchor
        records[0]["head"] = {"seq": event["seq"], "hash": event["event_hash"]}
        records.append({"type": "anchor", "seq": event["seq"], "head_hash": event["event_hash"]})
    return records


def test_untouched_export_verifies_with_head(export: UnitExport) -> None:
    code, out = lccu_verify(export.path, "--head", export.head, *export.unit_key_option)
    assert code == 0, out
    code, out = standalone_verify(export.path, "--head", export.head, *export.unit_key_option)
    assert code == 0, out


def test_real_key_appended_past_header_head(export: UnitExport, tmp_path: Path) -> None:
    """An event signed with a real user's key after the header's head fails, with and
    without --head, and the message lists the appended event."""
    path = write_lines(tmp_path / "appended.jsonl", _real_key_appended(export, header_too=False))
    seq = last_event(export.lines)["seq"] + 1
    for extra in ((), ("--head", export.head)):
        code, out = lccu_verify(path, *extra, *export.unit_key_option)
        assert code == 1, out
        assert "header says the log ends at" in out and f"#{seq} note by vlas_inv" in out, out
        code, out = standalone_verify(path, *extra, *export.unit_key_option)
        assert code == 1, out
        assert "header says the log ends at" in out and f"#{seq} note by vlas_inv" in out, out


def test_log_extending_the_noted_head(export: UnitExport, tmp_path: Path) -> None:
    """Header rewritten to the appended event: --head (the PV's) fails naming the extra
    event; --prefix accepts "this log extends what was noted" and lists it."""
    path = write_lines(tmp_path / "extended.jsonl", _real_key_appended(export, header_too=True))
    seq = last_event(export.lines)["seq"] + 1
    code, out = lccu_verify(path, "--head", export.head, *export.unit_key_option)
    assert code == 1, out
    assert "goes on past the head you gave" in out and f"#{seq} note by vlas_inv" in out, out
    code, out = standalone_verify(path, "--head", export.head, *export.unit_key_option)
    assert code == 1, out
    assert "goes on past the head noted" in out and f"#{seq} note by vlas_inv" in out, out
    code, out = lccu_verify(path, "--head", export.head, "--prefix", *export.unit_key_option)
    assert code == 0, out
    assert f"#{seq} note by vlas_inv" in out
    code, out = standalone_verify(path, "--head", export.head, "--prefix", *export.unit_key_option)
    assert code == 0, out
    assert f"#{seq} note by vlas_inv" in out


def test_invented_signer_with_own_key_line(export: UnitExport, tmp_path: Path) -> None:
    """A made-up user "mallory" with her own key line and an event signed with her key,
    appended with the header moved to it: both verifiers fail, naming her, even when the
    head noted in the PV is the one in the file."""
    mallory = Ed25519PrivateKey.generate()
    public = mallory.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    previous = last_event(export.lines)
    event = forged_event(
        previous, "mallory", key_id_of(public), lambda digest: mallory.sign(digest).hex()
    )
    records = _records(export)
    records.insert(
        1, {"type": "key", "username": "mallory", "public_key": public, "key_id": key_id_of(public)}
    )
    records.append({"type": "event", **event})
    records[0]["head"] = {"seq": event["seq"], "hash": event["event_hash"]}
    path = write_lines(tmp_path / "mallory.jsonl", records)
    for extra in ((), ("--head", event["event_hash"])):
        code, out = lccu_verify(path, *extra, *export.unit_key_option)
        assert code == 1, out
        assert "key line for 'mallory'" in out and "never certified" in out, out
        code, out = standalone_verify(path, *extra, *export.unit_key_option)
        assert code == 1, out
        assert "key line for mallory" in out and "mallory's key" in out, out


def test_registry_rewritten_with_another_unit_key(export: UnitExport, tmp_path: Path) -> None:
    """Rewriting the registry under a new unit key (to certify mallory) fails against the
    unit key noted in the procedures."""
    fake_unit = Ed25519PrivateKey.generate()
    fake_public = fake_unit.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    records = _records(export)
    for record in records:
        if record["type"] == "registry":
            record["unit_key_id"] = key_id_of(fake_public)
            # re-chain and re-sign every entry with the fake unit key
    prev = "0" * 64
    for record in records:
        if record["type"] == "registry":
            record["prev_hash"] = prev
            record["entry_hash"] = registry_entry_hash(record)
            record["signature"] = fake_unit.sign(bytes.fromhex(record["entry_hash"])).hex()
            prev = record["entry_hash"]
    records[0]["unit_key"] = fake_public
    path = write_lines(tmp_path / "new-unit.jsonl", records)
    code, out = lccu_verify(path, *export.unit_key_option)
    assert code == 1 and "not the unit key you gave" in out, out
    code, out = standalone_verify(path, *export.unit_key_option)
    assert code == 1 and "another unit key" in out, out
    # without --unit-key the file's own key is trusted, and the verifier says so
    code, out = lccu_verify(path)
    assert code == 0 and "unit key was taken from the file" in out, out


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_revoked_key_used_after_revocation(
    make_lab: Callable[..., Lab], image_file: Path, tmp_path: Path
) -> None:
    """After an operator revokes vlas_inv's key, lccu refuses to sign with it, and an event
    an insider signs with it anyway (in the database, or appended to an export) fails in
    both verifiers, naming the revocation; the events signed before stay valid."""
    lab, op = make_lab("vlas_inv"), make_lab("op")
    case = lab.create_case("Revoked")
    lab.add_evidence(case.id, image_file, description="disk")
    path = tmp_path / "before.jsonl"
    lab.export_custody(case.id, path)
    op.revoke_key("vlas_inv", "laptop stolen")
    with pytest.raises(AccessDenied, match="revoked"):
        lab.record_event(case.id, "note", reason="after revocation")
    unit = ("--unit-key", op.unit_key())
    # the insider exports again (registry now holds the revocation) and appends
    after = tmp_path / "after.jsonl"
    op.export_custody(case.id, after)
    records = [json.loads(line) for line in after.read_text().splitlines()]
    previous = [r for r in records if r["type"] == "event"][-1]
    event = forged_event(
        previous,
        "vlas_inv",
        previous_key(records, "vlas_inv"),
        lambda digest: lab.keys.sign("vlas_inv", digest),
        recorded_at=format_time(utc_now()),
    )
    records.append({"type": "event", **event})
    records[0]["head"] = {"seq": event["seq"], "hash": event["event_hash"]}
    forged = write_lines(tmp_path / "forged.jsonl", records)
    code, out = lccu_verify(forged, *unit)
    assert code == 1 and f"event {event['seq']}" in out and "revoked" in out, out
    code, out = standalone_verify(forged, *unit)
    assert code == 1 and f"event {event['seq']}" in out and "revoked" in out, out
    assert lccu_verify(path, *unit)[0] == 0  # what was signed before still verifies
    # the same event inserted straight into the database
    columns = {
        k: (
            json.dumps(v, sort_keys=True, separators=(",", ":"))
            if k in ("details", "observed_hashes")
            else v
        )
        for k, v in event.items()
    }
    tamper(
        lab,
        "INSERT INTO custody_events (v, case_id, seq, occurred_at, recorded_at, actor, "
        "actor_zone, actor_role, key_id, action, evidence_id, location, reason, "
        "observed_hashes, details, prev_hash, event_hash, signature) VALUES (:v, "
        ":case_id, :seq, :occurred_at, :recorded_at, :actor, :actor_zone, "
        ":actor_role, :key_id, :action, :evidence_id, :location, :reason, "
        ":observed_hashes, :details, :prev_hash, :event_hash, :signature)",
        **columns,
    )
    result = op.verify_custody(case.id)
    assert not result.ok
    assert any(p.seq == event["seq"] and "revoked" in p.reason for p in result.problems), (
        result.problems
    )


def previous_key(records: list[dict[str, Any]], username: str) -> str:
    return str(
        next(r["key_id"] for r in records if r["type"] == "event" and r["actor"] == username)
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rotation_keeps_old_events_verifiable(
    make_lab: Callable[..., Lab], image_file: Path, tmp_path: Path
) -> None:
    """A rotated key: the events signed with the old key verify, new events are signed with
    the new one, and the old key cannot sign after the rotation."""
    lab, op = make_lab("vlas_inv"), make_lab("op")
    case = lab.create_case("Rotated")
    lab.add_evidence(case.id, image_file, description="disk")
    old_key = lab.keys.load("vlas_inv")
    info = op.rotate_key("vlas_inv", "yearly rotation")
    head = lab.record_event(case.id, "note", reason="signed with the new key")
    assert lab.custody_log(case.id)[-1]["key_id"] == info.key_id
    result = lab.verify_custody(case.id)
    assert result.ok, result.problems
    path = tmp_path / "rotated.jsonl"
    lab.export_custody(case.id, path)
    unit = ("--unit-key", op.unit_key())
    assert lccu_verify(path, "--head", lab.get_case(case.id).head_hash, *unit)[0] == 0
    assert standalone_verify(path, *unit)[0] == 0
    records = [json.loads(line) for line in path.read_text().splitlines()]
    previous = [r for r in records if r["type"] == "event"][-1]
    old_id = key_id_of(old_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex())
    event = forged_event(
        previous,
        "vlas_inv",
        old_id,
        lambda digest: old_key.sign(digest).hex(),
        recorded_at=format_time(utc_now()),
    )
    records.append({"type": "event", **event})
    records[0]["head"] = {"seq": event["seq"], "hash": event["event_hash"]}
    forged = write_lines(tmp_path / "old-key.jsonl", records)
    code, out = lccu_verify(forged, *unit)
    assert code == 1 and "replaced" in out, out
    code, out = standalone_verify(forged, *unit)
    assert code == 1 and "replaced" in out, out
    assert head["seq"] == previous["seq"] - 1  # the export event follows the note


def test_database_verify_against_the_noted_unit_key(export: UnitExport) -> None:
    """`lccu custody verify CASE --unit-key`: the registry in the database is checked against
    the unit key the verifier gives; another key certifies nothing."""
    from click.testing import CliRunner

    from lccu.cli.main import cli

    env = {
        "LCCU_HOME": str(export.home),
        "LCCU_DATABASE_URL": f"sqlite:///{export.home.parent / 'lccu.sqlite3'}",
        "LCCU_USER": "vlas_inv",
        **KEY_ENV,
    }
    good = CliRunner().invoke(
        cli, ["custody", "verify", export.case_id, *export.unit_key_option], env=env
    )
    assert good.exit_code == 0, good.output
    other = (
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    )
    bad = CliRunner().invoke(
        cli, ["custody", "verify", export.case_id, "--unit-key", other], env=env
    )
    assert bad.exit_code == 1 and "not signed by the unit key" in bad.output, bad.output
