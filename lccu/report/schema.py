"""The versioned schema of report.json and its validation.

The schema is a JSON Schema (draft 2020-12) document shipped beside this module
(``report.schema.json``) so that other tools can validate our reports without lccu; lccu
checks it with :mod:`lccu.report.checker` (fast, no dependency). On top of it,
:func:`validate_report` checks what JSON Schema cannot say: the summary agrees with the
lists, files point at existing volumes, file references (``carved[].duplicate_of``,
``yara[].file``) name a listed file, YARA hits name the thing they matched in, and every
file-system time is what its ``kind`` says (a local time without a zone has no UTC value).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from lccu.errors import InvalidInput, LccuError
from lccu.report.checker import Check, compile_schema
from lccu.report.summary import outcome, summarize

SCHEMA_VERSION = "2.5"
SCHEMA_RESOURCE = "report.schema.json"
_MAX_LISTED = 10  # errors quoted in one message; the rest are counted


@cache
def _schema_text() -> str:
    try:
        text = resources.files("lccu.report").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    except FileNotFoundError as exc:  # a wheel built without the package data
        raise LccuError(
            f"lccu/report/{SCHEMA_RESOURCE} is missing from the installed package; "
            "reinstall lccu (package data must include **/*.json)"
        ) from exc
    return text


def load_schema() -> dict[str, Any]:
    """Return the JSON Schema document for report.json (a fresh copy the caller may edit)."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


def _where(path: Any) -> str:
    """Render a path such as ``("files", 3, "mtime")`` as ``files[3].mtime``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


@cache
def _compiled() -> Check:
    return compile_schema(load_schema())


def _schema_problems(report: Mapping[str, Any]) -> list[str]:
    found: list[tuple[tuple[str | int, ...], str]] = []
    _compiled()(report, (), found)
    return [f"{_where(path)}: {message}" for path, message in found]


def _consistency_problems(report: Mapping[str, Any]) -> list[str]:
    """Cross-field rules; only called on a report that already matches the schema."""
    problems: list[str] = []
    expected = summarize(report)
    for key, value in expected.items():
        if key in report["summary"] and report["summary"][key] != value:
            problems.append(
                f"summary.{key}: says {report['summary'][key]} but the report lists {value}"
            )
    if "outcome" in report and report["outcome"] != outcome(report):
        problems.append(f"outcome: says {report['outcome']!r} but the lists make it "
                        f"{outcome(report)!r}")
    indices = [v["index"] for v in report["volumes"]]
    if len(set(indices)) != len(indices):
        problems.append("volumes: index values are not unique")
    known = set(indices)
    for i, f in enumerate(report["files"]):
        if known and f["volume"] not in known:
            problems.append(f"files[{i}].volume: no volume with index {f['volume']}")
        problems.extend(_time_problems(f"files[{i}]", f, report["source_timezone"]))
    listed = {_file_key(f) for f in report["files"]}
    offsets = {c["offset"] for c in report["carved"]}
    for i, c in enumerate(report["carved"]):
        dup = c["duplicate_of"]
        if dup is not None and _file_key(dup) not in listed:
            problems.append(f"carved[{i}].duplicate_of: {_no_such_file(dup)}")
    members = {m["id"] for m in report.get("members", [])}
    for i, hit in enumerate(report["yara"]):
        problems.extend(_yara_problems(f"yara[{i}]", hit, listed, offsets))
        problems.extend(_yara_member_problems(f"yara[{i}]", hit, members))
    problems.extend(_member_problems(report, listed, offsets))
    return problems


_TIME_KEYS = ("mtime", "atime", "ctime", "crtime")


def _time_problems(where: str, entry: Mapping[str, Any], zone: str | None) -> list[str]:
    """A time's fields must agree with its kind: utc has only ``utc``; local has ``utc``,
    ``wall_clock`` and the report's source zone; local-unknown has no ``utc`` at all."""
    problems: list[str] = []
    named = [(key, entry[key]) for key in _TIME_KEYS]
    if isinstance(entry["file_name_times"], Mapping):
        named += [(f"file_name_times.{k}", entry["file_name_times"][k]) for k in _TIME_KEYS]
    for key, value in named:
        if not isinstance(value, Mapping):
            continue
        kind, utc, wall, tz = value["kind"], value["utc"], value["wall_clock"], value["zone"]
        if kind == "utc" and (utc is None or wall is not None or tz is not None):
            problems.append(f"{where}.{key}: kind utc needs utc and no wall_clock or zone")
        elif kind == "local" and (utc is None or wall is None or tz != zone):
            problems.append(f"{where}.{key}: kind local needs utc, wall_clock and zone equal "
                            f"to source_timezone ({zone!r}), not {tz!r}")
        elif kind == "local-unknown" and (utc is not None or wall is None or tz is not None):
            problems.append(f"{where}.{key}: kind local-unknown must not give a utc value "
                            "(the zone is unknown) and needs wall_clock")
        if kind == "local-unknown" and zone is not None:
            problems.append(f"{where}.{key}: local-unknown although source_timezone is {zone!r}")
    return problems


def _origin_problems(where: str, item: Mapping[str, Any], listed: set[FileKey],
                     offsets: set[Any], ids: set[int]) -> list[str]:
    """A member or archive names where it came from: a listed file, a carved item or an
    earlier member, consistently."""
    problems: list[str] = []
    file, carved_offset = item["file"], item["carved_offset"]
    if (file is None) == (carved_offset is None):
        problems.append(f"{where}: exactly one of file and carved_offset must be set")
    if isinstance(file, Mapping) and _file_key(file) not in listed:
        problems.append(f"{where}.file: {_no_such_file(file)}")
    if carved_offset is not None and carved_offset not in offsets:
        problems.append(f"{where}.carved_offset: no carved item at {carved_offset}")
    parent = item.get("parent", item.get("member"))
    if parent is not None and parent not in ids:
        problems.append(f"{where}: names member {parent}, which is not listed before it")
    return problems


def _member_problems(report: Mapping[str, Any], listed: set[FileKey],
                     offsets: set[Any]) -> list[str]:
    problems: list[str] = []
    seen: set[int] = set()
    for i, member in enumerate(report.get("members", [])):
        problems.extend(_origin_problems(f"members[{i}]", member, listed, offsets, seen))
        if member["id"] in seen:
            problems.append(f"members[{i}].id: {member['id']} is not unique")
        seen.add(member["id"])
    for i, archive in enumerate(report.get("archives", [])):
        problems.extend(_origin_problems(f"archives[{i}]", archive, listed, offsets, seen))
    return problems


def _yara_member_problems(where: str, hit: Mapping[str, Any], members: set[int]) -> list[str]:
    member = hit.get("member")
    if (member is not None) != (hit["source"] == "member"):
        return [f"{where}.member: must be set exactly when source is 'member'"]
    if member is not None and member not in members:
        return [f"{where}.member: no member with id {member}"]
    return []


FileKey = tuple[Any, Any, Any]


def _file_key(entry: Mapping[str, Any]) -> FileKey:
    """What a file reference must match: volume, path and inode of a files[] entry."""
    return (entry["volume"], entry["path"], entry["inode"])


def _no_such_file(ref: Mapping[str, Any]) -> str:
    return (
        f"no entry of files[] has volume {ref['volume']}, path {ref['path']!r} "
        f"and inode {'null' if ref['inode'] is None else ref['inode']}"
    )


def _yara_problems(
    where: str, hit: Mapping[str, Any], listed: set[FileKey], offsets: set[Any]
) -> list[str]:
    problems: list[str] = []
    source, file, carved_offset = hit["source"], hit["file"], hit["carved_offset"]
    if source == "file" and not isinstance(file, Mapping):
        problems.append(
            f"{where}.file: must name the scanned file ({{volume, path, inode}}) "
            f"when source is 'file', not {'null' if file is None else repr(file)}"
        )
    elif source in ("carved", "member") and file is not None:
        problems.append(f"{where}.file: must be null when source is '{source}'")
    if isinstance(file, Mapping) and _file_key(file) not in listed:
        problems.append(f"{where}.file: {_no_such_file(file)}")
    if (carved_offset is not None) != (source == "carved"):
        problems.append(f"{where}.carved_offset: must be set exactly when source is 'carved'")
    elif source == "carved" and carved_offset not in offsets:
        problems.append(f"{where}.carved_offset: no carved item at {carved_offset}")
    return problems


def report_problems(report: Any) -> list[str]:
    """List every way ``report`` breaks the schema; empty when it is valid."""
    if not isinstance(report, Mapping):
        return [f"(top level): a report must be a JSON object, not {type(report).__name__}"]
    problems = _schema_problems(report)
    return problems or _consistency_problems(report)


def validate_report(report: Any) -> None:
    """Raise :class:`InvalidInput` naming each problem if ``report`` is not a valid report of
    this schema version."""
    problems = report_problems(report)
    if not problems:
        return
    shown = problems[:_MAX_LISTED]
    more = len(problems) - len(shown)
    tail = f"\n  ... and {more} more" if more else ""
    raise InvalidInput(
        f"report does not match report.json schema {SCHEMA_VERSION} "
        f"({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n  "
        + "\n  ".join(shown)
        + tail
    )
