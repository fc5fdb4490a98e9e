"""What an insider or a holder of an export file would forge, through the CLI and the
standalone verifier: each attempt must fail verification, naming what was done."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
    if header_too:
        records[0]["head"] = {"seq": event["seq"], "hash": event["event_hash"]}
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
