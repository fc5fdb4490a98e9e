"""Malformed export files are input errors (exit 2, naming line and field) in both verifiers,
never an internal error; a fuzz test over mutated valid exports holds them to exit 0, 1 or 2.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.evidence.custody_unit import (
    UnitExport,
    build_export,
    lccu_verify,
    standalone_verify,
    write_lines,
)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UnitExport]:
    yield from build_export(tmp_path_factory.mktemp("unit"))


def _records(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def _index(records: list[dict[str, Any]], kind: str) -> int:
    return next(i for i, r in enumerate(records) if r["type"] == kind)


def _anchor_without_seq(r: list[dict[str, Any]]) -> tuple[int, str]:
    i = _index(r, "anchor")
    del r[i]["seq"]
    return i, "seq"


def _anchor_seq_string(r: list[dict[str, Any]]) -> tuple[int, str]:
    i = _index(r, "anchor")
    r[i]["seq"] = "3"
    return i, "seq"


def _case_string(r: list[dict[str, Any]]) -> tuple[int, str]:
    r[0]["case"] = "Phishing wave"
    return 0, "case"


def _head_list(r: list[dict[str, Any]]) -> tuple[int, str]:
    r[0]["head"] = [7, r[0]["head"]["hash"]]
    return 0, "head"


def _head_seq_string(r: list[dict[str, Any]]) -> tuple[int, str]:
    r[0]["head"]["seq"] = "7"
    return 0, "head.seq"


def _public_key_not_hex(r: list[dict[str, Any]]) -> tuple[int, str]:
    i = _index(r, "key")
    r[i]["public_key"] = "zz" * 32
    return i, "public_key"


def _nan_in_event(r: list[dict[str, Any]]) -> tuple[int, str]:
    i = _index(r, "event")
    r[i]["details"] = {"size": math.nan}
    return i, "NaN"


MALFORMED: dict[str, Callable[[list[dict[str, Any]]], tuple[int, str]]] = {
    "anchor without seq": _anchor_without_seq,
    "anchor seq a string": _anchor_seq_string,
    "header case a string": _case_string,
    "header head a list": _head_list,
    "head.seq a string": _head_seq_string,
    "public key not hex": _public_key_not_hex,
    "NaN in an event": _nan_in_event,
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_export_is_input_error(export: UnitExport, tmp_path: Path, case: str) -> None:
    """Each malformed file: exit 2 from `lccu custody verify --file` and from the standalone
    verifier, the message naming the line and the field; never exit 3 or a traceback."""
    records = _records(export.lines)
    index, field = MALFORMED[case](records)
    path = write_lines(tmp_path / "malformed.jsonl", records)
    code, output = lccu_verify(path, *export.unit_key_option)
    assert code == 2, output
    assert f"malformed.jsonl:{index + 1}:" in output and field in output, output
    assert "internal error" not in output and "Traceback" not in output
    code, printed = standalone_verify(path, *export.unit_key_option)
    assert code == 2, printed
    assert f"line {index + 1}:" in printed and field in printed, printed


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["0" * 64, "f" * 128, "2026-12-06T05:00:00+00:00", "transferred"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_export(draw: st.DrawFn, lines: list[str]) -> bytes:
    """A valid export with one to three mutations: a field changed, dropped or added (also
    inside the header's objects), a line dropped, duplicated, moved or cut, raw bytes."""
    records: list[Any] = [json.loads(line) for line in lines]
    for _ in range(draw(st.integers(1, 3))):
        if not records:
            break
        i = draw(st.integers(0, len(records) - 1))
        how = draw(
            st.sampled_from(
                [
                    "set",
                    "drop",
                    "add",
                    "nested",
                    "line-drop",
                    "line-dup",
                    "line-move",
                    "replace-line",
                ]
            )
        )
        target = records[i]
        if how in ("set", "drop", "nested") and isinstance(target, dict) and target:
            name = draw(st.sampled_from(sorted(target)))
            if how == "set":
                target[name] = draw(JSON_VALUES)
            elif how == "drop":
                del target[name]
            elif isinstance(target[name], dict) and target[name]:
                inner = draw(st.sampled_from(sorted(target[name])))
                target[name][inner] = draw(JSON_VALUES)
        elif how == "add" and isinstance(target, dict):
            target[draw(st.text(max_size=8))] = draw(JSON_VALUES)
        elif how == "line-drop":
            del records[i]
        elif how == "line-dup":
            records.insert(draw(st.integers(0, len(records))), target)
        elif how == "line-move":
            records.insert(draw(st.integers(0, len(records) - 1)), records.pop(i))
        else:
            records[i] = draw(JSON_VALUES)
    text = "".join(json.dumps(r) + "\n" for r in records).encode()
    if draw(st.booleans()) and text:
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.binary(max_size=8)) + text[cut:]
    return text


def test_fuzzed_exports_exit_only_0_1_2(export: UnitExport, tmp_path: Path) -> None:
    """A thousand mutated exports (LCCU_TEST_FUZZ_EXAMPLES for more), each through both
    verifiers: exit 0, 1 or 2, never a crash (bounded: derandomised, no example database,
    seconds)."""
    path = tmp_path / "fuzzed.jsonl"
    seen: dict[str, set[int]] = {"lccu": set(), "standalone": set()}

    @settings(
        max_examples=int(os.environ.get("LCCU_TEST_FUZZ_EXAMPLES", "1000")),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutated_export(export.lines))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        code, output = lccu_verify(path, *export.unit_key_option)
        assert code in (0, 1, 2), output
        seen["lccu"].add(code)
        code, output = standalone_verify(path, *export.unit_key_option)
        assert code in (0, 1, 2), output
        seen["standalone"].add(code)

    check()
    # the mutations reach every outcome: intact, broken chain, malformed file
    assert seen["lccu"] >= {1, 2} and seen["standalone"] >= {1, 2}, seen
