"""lccu's own schema checker agrees with the reference implementation, jsonschema."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from lccu.report import load_schema, summarize
from lccu.report.checker import SchemaCompileError, compile_schema

WRONG_VALUES: list[Any] = [None, "", -1, 1.5, True, [], "2012-05-25T15:58:51"]


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return doc


def _small(report: dict[str, Any]) -> dict[str, Any]:
    """One entry of every kind, so that mutating every field stays fast."""
    small = copy.deepcopy(report)
    small["files"] = [small["files"][9]]
    small["carved"] = small["carved"][:2]
    # A per-file hit (file reference), a carved hit (null) and an image hit ("unallocated").
    small["yara"] = [small["yara"][0], small["yara"][2], small["yara"][3]]
    small["summary"] = summarize(small)
    return small


def _mutants(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in _leaves(report):
        for value in WRONG_VALUES:
            yield _set(copy.deepcopy(report), path, value)
        target = copy.deepcopy(report)
        node = target
        for part in path:
            node = node[part]
        if isinstance(node, dict):
            if node:
                node.pop(next(iter(node)))
                yield copy.deepcopy(target)
            node["unexpected"] = 1
            yield target


def test_agrees_with_jsonschema_on_every_mutation(report: dict[str, Any]) -> None:
    """For every field set to each wrong value, dropped or extended, both find the same paths."""
    schema = load_schema()
    reference = Draft202012Validator(schema)
    ours = compile_schema(schema)
    small = _small(report)
    compared = invalid = 0
    for mutant in _mutants(small):
        expected = {tuple(e.absolute_path) for e in reference.iter_errors(mutant)}
        found: list[tuple[tuple[str | int, ...], str]] = []
        ours(mutant, (), found)
        assert {p for p, _ in found} == expected, mutant
        compared += 1
        invalid += bool(expected)
    assert compared > 400 and invalid > 250  # the mutations really exercised the schema


_REF = {"volume": 0, "path": "/passwords.txt", "inode": 15}
INTEGRAL_INODE = {**_REF, "inode": 15.0}  # an integral float is an integer to both
# Wrong shapes for the two file-reference fields, beyond the generic WRONG_VALUES.
FILE_REF_BREAKS: list[Any] = [
    0x7C00,  # pre-1.0 duplicate_of: an offset
    "/passwords.txt",  # pre-1.0 yara file: a bare path
    "unallocated",
    "Unallocated",
    "unallocated ",
    {},
    [_REF],
    {**_REF, "extra": None},
    {"volume": 0, "path": "/passwords.txt"},
    {"path": "/passwords.txt", "inode": 15},
    {"volume": 0, "inode": 15},
    {**_REF, "volume": None},
    {**_REF, "volume": -1},
    {**_REF, "volume": 0.5},
    {**_REF, "volume": False},
    {**_REF, "path": ""},
    {**_REF, "path": None},
    {**_REF, "path": 3},
    {**_REF, "inode": -1},
    {**_REF, "inode": "15"},
    {**_REF, "inode": True},
    INTEGRAL_INODE,
    {"volume": 0, "path": "", "inode": -1, "x": 1},  # several errors inside one anyOf branch
]


@pytest.mark.parametrize("value", FILE_REF_BREAKS, ids=repr)
@pytest.mark.parametrize(
    "target", [("carved", 1, "duplicate_of"), ("yara", 0, "file"), ("yara", 2, "file")]
)
def test_agrees_with_jsonschema_on_file_references(
    report: dict[str, Any], target: tuple[Any, ...], value: Any
) -> None:
    """carved[].duplicate_of and yara[].file: both validators find the same paths."""
    schema = load_schema()
    mutant = _set(copy.deepcopy(report), target, copy.deepcopy(value))
    expected = {tuple(e.absolute_path) for e in Draft202012Validator(schema).iter_errors(mutant)}
    found: list[tuple[tuple[str | int, ...], str]] = []
    compile_schema(schema)(mutant, (), found)
    assert {p for p, _ in found} == expected
    # Only the schema is checked here: which source a shape fits is a consistency rule.
    accepted = (value == "unallocated" and target[-1] == "file") or repr(value) == repr(
        INTEGRAL_INODE
    )
    assert expected == (set() if accepted else {target})
    for _, message in found:
        assert "is not valid under any of the given schemas" in message


def test_any_of_message_explains_the_matching_branch() -> None:
    """An object that fails the only object branch of an anyOf says why, in field terms."""
    schema = load_schema()
    check = compile_schema(schema["$defs"]["carved"]["properties"]["duplicate_of"], schema)
    found: list[tuple[tuple[str | int, ...], str]] = []
    check({"volume": 0, "path": "", "inode": -1, "x": 1}, ("d",), found)
    assert found == [
        (
            ("d",),
            "{'volume': 0, 'path': '', 'inode': -1, 'x': 1} is not valid under any of the "
            "given schemas (object, null): path: '' should be non-empty; "
            "inode: -1 is less than the minimum of 0; "
            "Additional properties are not allowed ('x' unexpected)",
        )
    ]


def test_refuses_unknown_keywords() -> None:
    """A schema keyword the checker does not implement fails at compile time, not silently."""
    with pytest.raises(SchemaCompileError, match="format"):
        compile_schema({"type": "string", "format": "date-time"})
    with pytest.raises(SchemaCompileError, match="only a bare local"):
        compile_schema({"$ref": "https://example.invalid/x.json"})


def test_much_faster_than_jsonschema(report: dict[str, Any]) -> None:
    """On 1,000 file entries the checker is at least 5x faster than jsonschema (load-proof)."""
    schema = load_schema()
    template = report["files"][5]
    report["files"].extend({**template, "path": f"/x/{i}"} for i in range(1_000))
    reference = Draft202012Validator(schema)
    ours = compile_schema(schema)
    started = time.perf_counter()
    assert not list(reference.iter_errors(report))
    theirs_s = time.perf_counter() - started
    found: list[tuple[tuple[str | int, ...], str]] = []
    started = time.perf_counter()
    ours(report, (), found)
    ours_s = time.perf_counter() - started
    assert found == []
    assert ours_s * 5 < theirs_s, (ours_s, theirs_s)
