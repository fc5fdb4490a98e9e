"""Scan reports: the report.json schema, its validation and the self-contained HTML page.

This layer takes plain data (dicts shaped like report.json) and knows nothing of how the
engines produced it. CASE/UCO export lives in :mod:`lccu.report.case_uco`.
"""

from __future__ import annotations

from lccu.report.html import render_html
from lccu.report.schema import SCHEMA_VERSION, load_schema, report_problems, validate_report
from lccu.report.summary import finding_lines, findings, outcome, summarize
from lccu.report.writer import write_reports

__all__ = [
    "SCHEMA_VERSION",
    "finding_lines",
    "findings",
    "load_schema",
    "outcome",
    "render_html",
    "report_problems",
    "summarize",
    "validate_report",
    "write_reports",
]
