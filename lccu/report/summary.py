"""Counts for the ``summary`` block of report.json, derived from the lists themselves.

The summary is redundant on purpose: a reader (or a human skimming the JSON) sees the totals
without counting, and :func:`lccu.report.schema.validate_report` checks that they agree with
the lists, so a truncated or hand-edited report is caught.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def summarize(report: Mapping[str, Any]) -> dict[str, int]:
    """Return the ``summary`` block that matches the lists in ``report``."""
    files = list(report.get("files") or [])
    carved = list(report.get("carved") or [])
    expanded: dict[str, int] = {}
    if "members" in report or "archives" in report:  # 1.1: archive and document expansion
        members = list(report.get("members") or [])
        expanded = {"members": len(members),
                    "members_exported": sum(1 for m in members if m.get("exported")),
                    "archives": len(report.get("archives") or [])}
    marked: dict[str, int] = {}
    if "hashsets" in report:  # 2.4: files in known and notable hash sets
        marked = {"known": 0, "notable": 0}
        for key in ("files", "carved", "members"):
            for record in report.get(key) or []:
                kinds = {hit.get("kind") for hit in record.get("hashsets") or ()}
                marked["known"] += "known" in kinds
                marked["notable"] += "notable" in kinds
    return {
        "volumes": len(report.get("volumes") or []),
        "files": len(files),
        "deleted_files": sum(1 for f in files if not f.get("allocated", True)),
        "exported_files": sum(1 for f in files if f.get("exported")),
        "carved": len(carved),
        "carved_validated": sum(1 for c in carved if c.get("validated")),
        "yara_hits": len(report.get("yara") or []),
        "errors": len(report.get("errors") or []),
        "read_errors": len(report.get("read_errors") or []),
        "warnings": len(report.get("warnings") or []),
        **expanded,
        **marked,
    }


def outcome(report: Mapping[str, Any]) -> str:
    """How a run over the image ended: ``done with errors`` when anything could not be read
    or checked (``errors``, ``read_errors``), ``done with warnings`` when something was
    found but not analysed (``warnings``: an encrypted volume, a partition cut short, a
    capped file), else ``done``."""
    if report.get("errors") or report.get("read_errors"):
        return "done with errors"
    if report.get("warnings"):
        return "done with warnings"
    return "done"


#: entries of each kind a run keeps for ``lccu status`` and the processing page (the
#: report holds them all)
FINDINGS_LIMIT = 20


def findings(report: Mapping[str, Any], limit: int = FINDINGS_LIMIT) -> dict[str, Any]:
    """What ``lccu status`` and the processing page show of a finished run's report: its
    outcome, the first ``limit`` read errors (offset, length, cause), errors and warnings
    (an encrypted volume, a partition cut short, a capped file) with their totals, and
    whether the media hashes cover bytes that could not be read or differ from the
    container's stored hashes."""
    image = report.get("image") or {}
    stored = image.get("stored_hashes") or {}
    kept: dict[str, Any] = {"outcome": outcome(report),
                            "unreadable_bytes": int(image.get("unreadable_bytes") or 0),
                            "stored_hashes_match": stored.get("match")}  # fmt: skip
    for kind in ("read_errors", "errors", "warnings"):
        entries = list(report.get(kind) or [])
        kept[kind] = entries[:limit]
        kept[f"{kind}_total"] = len(entries)
    return kept


def finding_lines(found: Mapping[str, Any]) -> list[str]:
    """One line per finding, as ``lccu status`` prints them (errors first)."""
    lines = []
    if found.get("unreadable_bytes"):
        lines.append(f"media hashes cover {found['unreadable_bytes']} unreadable bytes (read "
                     "as zeros): they are not the hashes of the acquired media")  # fmt: skip
    if found.get("stored_hashes_match") is False:
        lines.append("media hashes differ from the hashes stored in the container")
    for fault in found.get("read_errors", []):
        lines.append(f"read error at {fault['offset']} ({fault['length']} bytes): "
                     f"{fault['cause']}")  # fmt: skip
    for kind, word in (("errors", "error"), ("warnings", "warning")):
        for entry in found.get(kind, []):
            lines.append(f"{word}: {entry['where']}: {entry['message']}")
    for kind in ("read_errors", "errors", "warnings"):
        more = int(found.get(f"{kind}_total") or 0) - len(found.get(kind, []))
        if more > 0:
            lines.append(f"... and {more} more {kind.replace('_', ' ')} (see the report)")
    return lines
