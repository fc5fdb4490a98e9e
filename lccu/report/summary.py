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
