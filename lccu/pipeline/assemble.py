"""One report from stage results, for ``lccu scan``, embedded ``lccu process`` and workers.

Each way of running the stages hands their results here in the shape a worker stage stores
(``{"image", "errors", "read_errors"}`` for hash, ``{"volumes", "files", "errors",
"warnings", "source_timezone"}`` for files, ``{"carved", "errors"}`` per carve segment,
``{"yara", "errors"}`` per YARA part, ``{"members", "archives", "expansion", "errors"}`` for
archives, ``{"hashsets", "hits", "known", "notable", "errors", "warnings"}`` for hash set
lookups), so the same image gives the same report whichever way it ran, apart from run
metadata (when, which lccu, the image's name). The one schema version is
:data:`lccu.report.SCHEMA_VERSION`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lccu import __version__
from lccu.evidence.canonical import format_time, utc_now
from lccu.hashsets.lookup import mark
from lccu.report import SCHEMA_VERSION, outcome, summarize

Results = Mapping[str, Sequence[dict[str, Any]]]
#: the order in which the stages' errors and warnings are listed
STAGE_ORDER = ("hash", "files", "carve", "archives", "yara", "yara-files", "hashsets")
_NO_FILES: dict[str, Any] = {"volumes": [], "files": [], "errors": [], "warnings": []}


def rule_errors(yara_rules: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The rule files that did not compile and were skipped, as report errors."""
    return [
        {"where": f"yara rules {e['path']}", "message": e["message"]}
        for e in (yara_rules or {}).get("skipped", [])
    ]


def assemble_report(
    results: Results,
    *,
    label: str,
    errors: Sequence[dict[str, str]] = (),
    yara_rules: Mapping[str, Any] | None = None,
    case: dict[str, Any] | None = None,
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report of one image from its stages' results (``results["hash"]`` is needed: a
    report must name the media it describes). ``errors`` come first (problems of the run
    itself: failed stages, unreadable rules); a stage that did not run has no entry."""
    hashed = results["hash"][0]
    files = (results.get("files") or [_NO_FILES])[0]
    listed = list(errors)
    warnings: list[dict[str, str]] = []
    for stage in STAGE_ORDER:
        if stage == "yara":
            listed += rule_errors(yara_rules)
        for result in results.get(stage, ()):
            listed += result.get("errors", [])
            warnings += result.get("warnings", [])
    carved = sorted(
        (c for r in results.get("carve", ()) for c in r["carved"]), key=lambda c: c["offset"]
    )
    hits = [
        h for stage in ("yara", "yara-files") for r in results.get(stage, ()) for h in r["yara"]
    ]
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "lccu", "version": __version__},
        "generated_at": format_time(utc_now()),
        "source_timezone": files.get("source_timezone"),
        "image": {"path": label, **hashed["image"]},
        "volumes": files["volumes"],
        "files": files["files"],
        "carved": carved,
        "yara": hits,
        "errors": listed,
        "read_errors": hashed.get("read_errors", []),
        "warnings": warnings,
    }
    for result in results.get("archives", ())[:1]:  # one archives stage per run
        report.update(
            members=result["members"], archives=result["archives"], expansion=result["expansion"]
        )
    if yara_rules:
        report["yara_rules"] = dict(yara_rules)
    if case:
        report["case"] = case
    if evidence:
        report["evidence"] = evidence
    mark(report, results.get("hashsets", ()))  # every record's hashsets, empty without sets
    report["summary"] = summarize(report)
    report["outcome"] = outcome(report)
    return report
