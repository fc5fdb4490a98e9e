"""The report.json schema: the shipped document, and what validation accepts and refuses."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from lccu.errors import InvalidInput
from lccu.report import (
    SCHEMA_VERSION,
    load_schema,
    report_problems,
    summarize,
    validate_report,
)

SCHEMA_FILE = Path(__file__).parents[2] / "lccu" / "report" / "report.schema.json"


def test_shipped_schema_is_valid_draft_2020_12() -> None:
    """The schema file is itself a valid JSON Schema and is what load_schema returns; it
    accepts exactly the version lccu writes (2.0 retyped the file-system times)."""
    document = json.loads(SCHEMA_FILE.read_text("utf-8"))
    Draft202012Validator.check_schema(document)
    assert load_schema() == document
    assert document["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


def test_sample_report_validates(report: dict[str, Any]) -> None:
    """A realistic report with deleted files, carving and YARA hits has no problems."""
    assert report_problems(report) == []
    validate_report(report)


def test_report_survives_json_round_trip(report: dict[str, Any]) -> None:
    """A report read back from JSON text is still valid (no Python-only types needed)."""
    validate_report(json.loads(json.dumps(report)))


def _broken(report: dict[str, Any], change: str) -> dict[str, Any]:
    bad = copy.deepcopy(report)
    if change == "missing_tool":
        del bad["tool"]
    elif change == "naive_time":
        bad["files"][2]["mtime"]["utc"] = "2012-05-25T15:58:51"
    elif change == "local_time":
        bad["generated_at"] = "2026-11-23T11:00:00+01:00"
    elif change == "short_md5":
        bad["image"]["md5"] = "d73c51f1"
    elif change == "upper_sha256":
        bad["files"][8]["sha256"] = bad["files"][8]["sha256"].upper()
    elif change == "bad_kind":
        bad["files"][0]["kind"] = "folder"
    elif change == "extra_field":
        bad["files"][0]["owner"] = "joe"
    elif change == "bad_source":
        bad["yara"][0]["source"] = "memory"
    elif change == "confidence_over_one":
        bad["carved"][0]["confidence"] = 1.5
    elif change == "exported_dotdot":
        bad["files"][8]["exported"] = "files/../../etc/passwd"
    elif change == "exported_absolute":
        bad["carved"][0]["exported"] = "/etc/passwd"
    elif change == "wrong_version":
        bad["schema_version"] = "1.0"
    return bad


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("missing_tool", "(top level): 'tool' is a required property"),
        ("naive_time", "files[2].mtime: {'utc': '2012-05-25T15:58:51'"),
        ("local_time", "generated_at"),
        ("short_md5", "image.md5"),
        ("upper_sha256", "files[8].sha256"),
        ("bad_kind", "files[0].kind"),
        ("extra_field", "files[0]: Additional properties are not allowed ('owner'"),
        ("bad_source", "yara[0].source"),
        ("confidence_over_one", "carved[0].confidence"),
        ("exported_dotdot", "files[8].exported"),
        ("exported_absolute", "carved[0].exported"),
        ("wrong_version", "schema_version"),
    ],
)
def test_schema_violation_is_named(report: dict[str, Any], change: str, where: str) -> None:
    """Each kind of schema violation raises InvalidInput naming the offending field."""
    with pytest.raises(InvalidInput) as caught:
        validate_report(_broken(report, change))
    assert where in str(caught.value)
    assert f"report does not match report.json schema {SCHEMA_VERSION}" in str(caught.value)


def test_summary_must_match_lists(report: dict[str, Any]) -> None:
    """A summary that disagrees with the lists (e.g. a truncated report) is refused."""
    report["files"].pop()
    with pytest.raises(InvalidInput, match=r"summary\.files: says 14 but the report lists 13"):
        validate_report(report)


def test_cross_references_are_checked(report: dict[str, Any]) -> None:
    """Unknown volumes, dangling file references and incoherent YARA sources are all reported."""
    report["files"][2]["volume"] = 7
    report["carved"][1]["duplicate_of"]["inode"] = 99
    report["yara"][0]["file"] = None
    report["yara"][1]["file"]["path"] = "/gone.txt"
    report["yara"][2]["carved_offset"] = 999
    problems = report_problems(report)
    assert problems == [
        "files[2].volume: no volume with index 7",
        "carved[1].duplicate_of: no entry of files[] has volume 0, path '/DCIM/holiday.png' "
        "and inode 99",
        "yara[0].file: must name the scanned file ({volume, path, inode}) when source is "
        "'file', not null",
        "yara[1].file: no entry of files[] has volume 0, path '/gone.txt' and inode 15",
        "yara[2].carved_offset: no carved item at 999",
    ]


DELETED_NO_INODE = {"volume": 0, "path": "/passwords.txt~", "inode": None}  # files[5]


@pytest.mark.parametrize(
    ("target", "value"),
    [
        (("carved", 1, "duplicate_of"), None),
        (("carved", 1, "duplicate_of"), DELETED_NO_INODE),  # inode null matches null
        (("yara", 1, "file"), "unallocated"),
        (("yara", 1, "file"), None),  # image hit when no file system could be read
        (("yara", 3, "file"), {"volume": 0, "path": "/DCIM/holiday.png", "inode": 18}),
        (("yara", 0, "file"), DELETED_NO_INODE),  # a scanned file without an inode
    ],
)
def test_file_reference_shapes_accepted(
    report: dict[str, Any], target: tuple[str, int, str], value: Any
) -> None:
    """duplicate_of and yara[].file accept each shape the 1.0 definitions allow."""
    report[target[0]][target[1]][target[2]] = copy.deepcopy(value)
    assert report_problems(report) == []


REF = {"volume": 0, "path": "/passwords.txt", "inode": 15}


@pytest.mark.parametrize(
    ("target", "value", "message"),
    [
        # The pre-1.0 shapes: an offset, a bare path.
        (("carved", 1, "duplicate_of"), 0x7C00, "carved[1].duplicate_of: 31744 is not valid"),
        (("yara", 0, "file"), "/passwords.txt", "yara[0].file: '/passwords.txt' is not valid"),
        (("carved", 1, "duplicate_of"), "unallocated", "carved[1].duplicate_of: 'unallocated'"),
        (("yara", 3, "file"), "Unallocated", "yara[3].file: 'Unallocated' is not valid"),
        (("yara", 3, "file"), "", "yara[3].file: '' is not valid"),
        (("yara", 3, "file"), [], "yara[3].file: [] is not valid"),
        (("yara", 3, "file"), True, "yara[3].file: True is not valid"),
        (
            ("carved", 1, "duplicate_of"),
            {"volume": 0, "path": "/DCIM/holiday.png"},
            "carved[1].duplicate_of: {'volume': 0, 'path': '/DCIM/holiday.png'} is not valid "
            "under any of the given schemas (object, null): 'inode' is a required property",
        ),
        (
            ("carved", 1, "duplicate_of"),
            {**REF, "sha256": None},
            "carved[1].duplicate_of: ",
        ),
        (("yara", 0, "file"), {**REF, "volume": -1}, "volume: -1 is less than the minimum"),
        (("yara", 0, "file"), {**REF, "volume": "0"}, "volume: '0' is not of type 'integer'"),
        (("yara", 1, "file"), {**REF, "path": ""}, "yara[1].file: "),
        (("yara", 1, "file"), {**REF, "inode": -3}, "inode: -3 is less than the minimum"),
        (("yara", 1, "file"), {**REF, "inode": "15"}, "inode: '15' is not of type"),
        (("yara", 0, "file"), {**REF, "inode": True}, "inode: True is not of type"),
    ],
)
def test_file_reference_wrong_shape_is_named(
    report: dict[str, Any], target: tuple[str, int, str], value: Any, message: str
) -> None:
    """Each wrong duplicate_of / yara[].file shape is refused by the schema, naming the field."""
    report[target[0]][target[1]][target[2]] = copy.deepcopy(value)
    problems = report_problems(report)
    where = f"{target[0]}[{target[1]}].{target[2]}: "
    assert len(problems) == 1 and problems[0].startswith(where), problems
    assert message in problems[0]
    with pytest.raises(InvalidInput, match=re.escape(where)):
        validate_report(report)


@pytest.mark.parametrize(
    ("index", "source", "file", "carved_offset", "expected"),
    [
        (0, "file", "unallocated", None, "yara[0].file: must name the scanned file"),
        (0, "file", None, None, "yara[0].file: must name the scanned file"),
        (2, "carved", "unallocated", 0x7C00, "yara[2].file: must be null when source is 'carved'"),
        (2, "carved", REF, 0x7C00, "yara[2].file: must be null when source is 'carved'"),
        (1, "image", REF, 0x7C00, "yara[1].carved_offset: must be set exactly when source is"),
        (2, "carved", None, None, "yara[2].carved_offset: must be set exactly when source is"),
    ],
)
def test_yara_file_must_fit_source(
    report: dict[str, Any],
    index: int,
    source: str,
    file: Any,
    carved_offset: int | None,
    expected: str,
) -> None:
    """yara[].file and carved_offset must have the shape the hit's source calls for."""
    hit = report["yara"][index]
    hit.update(source=source, file=copy.deepcopy(file), carved_offset=carved_offset)
    problems = report_problems(report)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize("field", ["volume", "path", "inode"])
@pytest.mark.parametrize("target", [("carved", 1, "duplicate_of"), ("yara", 0, "file")])
def test_dangling_file_reference_is_reported(
    report: dict[str, Any], target: tuple[str, int, str], field: str
) -> None:
    """A file reference must match volume, path AND inode of one files[] entry."""
    ref = report[target[0]][target[1]][target[2]]
    wrong = {"volume": 1, "path": "/DCIM/other.png", "inode": None}[field]
    ref[field] = wrong
    if field == "volume":
        report["volumes"].append({**report["volumes"][0], "index": 1})
        report["summary"] = summarize(report)
    problems = report_problems(report)
    assert problems == [
        f"{target[0]}[{target[1]}].{target[2]}: no entry of files[] has volume "
        f"{ref['volume']}, path {ref['path']!r} and inode "
        f"{'null' if ref['inode'] is None else ref['inode']}"
    ]


def test_many_problems_are_counted_not_all_listed(report: dict[str, Any]) -> None:
    """With dozens of violations the message lists ten and counts the rest."""
    for f in report["files"]:
        f["kind"] = "bogus"
    with pytest.raises(InvalidInput) as caught:
        validate_report(report)
    message = str(caught.value)
    assert f"({len(report['files'])} problems)" in message
    assert f"... and {len(report['files']) - 10} more" in message


@pytest.mark.parametrize("value", [None, [], "report", 42])
def test_non_object_is_refused(value: object) -> None:
    """Something that is not a JSON object gets a clear InvalidInput, not a crash."""
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        validate_report(value)


def _local(wall: str, utc: str | None, zone: str | None) -> dict[str, Any]:
    return {"utc": utc, "wall_clock": wall, "kind": "local" if zone else "local-unknown",
            "zone": zone, "resolution": 2}


@pytest.mark.parametrize(
    ("source_timezone", "time", "message"),
    [
        # a FAT wall clock of unknown zone must not carry a UTC value
        (None, {**_local("2024-01-15T14:00:00", "2024-01-15T14:00:00+00:00", None)},
         "kind local-unknown must not give a utc value"),
        # converted with a zone other than the report's source zone
        ("Europe/Brussels", _local("2024-01-15T14:00:00", "2024-01-15T13:00:00+00:00",
                                   "Europe/Paris"), "zone equal to source_timezone"),
        # kind local without its wall clock
        ("Europe/Brussels", {**_local("2024-01-15T14:00:00", "2024-01-15T13:00:00+00:00",
                                      "Europe/Brussels"), "wall_clock": None},
         "kind local needs utc, wall_clock"),
        # a UTC time that claims a wall clock
        (None, {"utc": "2024-01-15T13:00:00+00:00", "wall_clock": "2024-01-15T14:00:00",
                "kind": "utc", "zone": None, "resolution": 1}, "kind utc needs utc and no"),
        # the zone is known, so nothing may stay local-unknown
        ("Europe/Brussels", _local("2024-01-15T14:00:00", None, None),
         "local-unknown although source_timezone"),
    ],
)
def test_time_kind_must_match_its_fields(report: dict[str, Any], source_timezone: str | None,
                                         time: dict[str, Any], message: str) -> None:
    """A file-system time whose fields contradict its kind (a local time of unknown zone
    shown as UTC, a zone other than the source zone) is refused, naming the field."""
    report["source_timezone"] = source_timezone
    report["files"][2]["mtime"] = time
    problems = report_problems(report)
    assert any(p.startswith("files[2].mtime:") and message in p for p in problems), problems


def test_local_time_with_source_zone_is_valid(report: dict[str, Any]) -> None:
    """A FAT time converted with the report's source zone validates."""
    report["source_timezone"] = "Europe/Brussels"
    report["files"][2]["mtime"] = _local("2024-01-15T14:00:00", "2024-01-15T13:00:00+00:00",
                                         "Europe/Brussels")
    assert report_problems(report) == []
