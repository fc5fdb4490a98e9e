"""A custody export verifies on its own, and the same tampering done to the file is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lccu.errors import InvalidInput
from lccu.evidence.export import verify_export
from lccu.evidence.lab import Lab
from lccu.testing.keys import sign_as


@pytest.fixture
def exported(busy_case: tuple[Lab, str], tmp_path: Path) -> tuple[Path, list[str], str]:
    lab, case_id = busy_case
    path = tmp_path / "custody.jsonl"
    lab.export_custody(case_id, path)
    head = lab.get_case(case_id).head_hash
    return path, path.read_text().splitlines(), head


def _write(path: Path, lines: list[str]) -> Path:
    out = path.with_name("tampered.jsonl")
    out.write_text("\n".join(lines) + "\n")
    return out


def _event_index(lines: list[str], seq: int) -> int:
    for index, line in enumerate(lines):
        record = json.loads(line)
        if record["type"] == "event" and record["seq"] == seq:
            return index
    raise AssertionError(f"no event {seq}")


def test_export_verifies_without_database(exported: tuple[Path, list[str], str]) -> None:
    """The file alone verifies: 7 events (6 plus the export itself), keys included."""
    path, lines, head = exported
    result = verify_export(path, expected_head=head)
    assert result.ok, result.problems
    assert result.events_checked == 7
    assert sum(json.loads(line)["type"] == "key" for line in lines) == 1


def test_edited_field_in_file(exported: tuple[Path, list[str], str]) -> None:
    """Changing the reason of event 5 in the file is reported at event 5."""
    path, lines, _ = exported
    index = _event_index(lines, 5)
    record = json.loads(lines[index])
    record["reason"] = "nothing happened"
    lines[index] = json.dumps(record)
    result = verify_export(_write(path, lines))
    assert result.first_problem is not None and result.first_problem.seq == 5


def test_deleted_line_in_file(exported: tuple[Path, list[str], str]) -> None:
    """Removing event 3's line is reported at 3."""
    path, lines, _ = exported
    del lines[_event_index(lines, 3)]
    result = verify_export(_write(path, lines))
    assert not result.ok
    assert result.first_problem is not None and result.first_problem.seq == 3


def test_inserted_line_in_file(exported: tuple[Path, list[str], str]) -> None:
    """A duplicated event line is reported where it was inserted."""
    path, lines, _ = exported
    index = _event_index(lines, 2)
    lines.insert(index + 1, lines[index])
    result = verify_export(_write(path, lines))
    assert not result.ok
    assert result.first_problem is not None and result.first_problem.seq == 2


def test_swapped_lines_in_file(exported: tuple[Path, list[str], str]) -> None:
    """Swapping the lines of events 4 and 5 is reported at the first of them."""
    path, lines, _ = exported
    a, b = _event_index(lines, 4), _event_index(lines, 5)
    lines[a], lines[b] = lines[b], lines[a]
    result = verify_export(_write(path, lines))
    assert not result.ok
    assert result.first_problem is not None and result.first_problem.seq == 4


def test_cut_tail_in_file(exported: tuple[Path, list[str], str]) -> None:
    """Dropping the last two events is caught by the header's head and the anchors."""
    path, lines, _ = exported
    kept = [line for line in lines
            if not (json.loads(line)["type"] == "event" and json.loads(line)["seq"] > 5)]
    result = verify_export(_write(path, kept))
    assert not result.ok
    assert any("truncated" in p.reason for p in result.problems)


def test_cut_tail_with_header_rewritten_needs_noted_head(
    exported: tuple[Path, list[str], str],
) -> None:
    """A cut whose header and anchors were rewritten too still fails against the noted head."""
    path, lines, head = exported
    kept: list[str] = []
    for line in lines:
        record = json.loads(line)
        if record["type"] in ("anchor", "event") and record["seq"] > 5:
            continue
        if record["type"] == "header":
            record["head"] = {"seq": 5, "hash": json.loads(lines[_event_index(lines, 5)])[
                "event_hash"]}
            line = json.dumps(record)
        kept.append(line)
    forged = _write(path, kept)
    assert verify_export(forged).ok  # internally consistent: only outside knowledge helps
    result = verify_export(forged, expected_head=head)
    assert not result.ok


def test_signature_from_other_key_in_file(exported: tuple[Path, list[str], str],
                                          busy_case: tuple[Lab, str]) -> None:
    """Re-signing an event with another user's key (and adding that key) is caught."""
    from lccu.evidence.chain import compute_event_hash

    lab, _ = busy_case
    path, lines, _ = exported
    index = _event_index(lines, 2)
    record = json.loads(lines[index])
    record["reason"] = "forged"
    record["event_hash"] = compute_event_hash(record)
    record["signature"] = sign_as(lab.keys.directory, "op", bytes.fromhex(record["event_hash"]))
    lines[index] = json.dumps(record)
    result = verify_export(_write(path, lines))
    assert result.first_problem is not None and result.first_problem.seq == 2
    assert any("signature" in p.reason for p in result.problems if p.seq == 2)


@pytest.mark.parametrize("content", ["", "\n\n", "not json at all\n", '{"type": "event"}\n',
                                     '{"type": "header", "format": "other/9"}\n', "[1, 2]\n"])
def test_malformed_export_is_a_clear_error(tmp_path: Path, content: str) -> None:
    """Empty, non-JSON, headerless or foreign files raise InvalidInput, never a traceback."""
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(InvalidInput):
        verify_export(path)


def test_missing_export_file(tmp_path: Path) -> None:
    """A path that does not exist is a clear InvalidInput."""
    with pytest.raises(InvalidInput, match="no such export file"):
        verify_export(tmp_path / "nope.jsonl")
