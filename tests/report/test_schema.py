"""The report.json schema: the shipped document, and what validation accepts and refuses."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from lccu.errors import InvalidInput
from lccu.report import SCHEMA_VERSION, load_schema, report_problems, validate_report

SCHEMA_FILE = Path(__file__).parents[2] / "lccu" / "report" / "report.schema.json"


def test_shipped_schema_is_valid_draft_2020_12() -> None:
    """The schema file is itself a valid JSON Schema and is what load_schema returns."""
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
        bad["files"][2]["mtime"] = "2012-05-25T15:58:51"
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
        bad["schema_version"] = "2.0"
    return bad


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("missing_tool", "(top level): 'tool' is a required property"),
        ("naive_time", "files[2].mtime"),
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
    assert "report does not match report.json schema 1.0" in str(caught.value)


def test_summary_must_match_lists(report: dict[str, Any]) -> None:
    """A summary that disagrees with the lists (e.g. a truncated report) is refused."""
    report["files"].pop()
    with pytest.raises(InvalidInput, match=r"summary\.files: says 14 but the report lists 13"):
        validate_report(report)


def test_cross_references_are_checked(report: dict[str, Any]) -> None:
    """Unknown volumes, dangling duplicate_of and incoherent YARA sources are all reported."""
    report["files"][3]["volume"] = 7
    report["carved"][1]["duplicate_of"] = 12345
    report["yara"][0]["file"] = None
    report["yara"][2]["carved_offset"] = 999
    problems = report_problems(report)
    assert problems == [
        "files[3].volume: no volume with index 7",
        "carved[1].duplicate_of: no other carved item at offset 12345",
        "yara[0].file: must be set exactly when source is 'file'",
        "yara[2].carved_offset: no carved item at 999",
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
