"""Write report.json and report.html into a scan's output directory.

The report is validated first and the HTML rendered before anything touches the disk, so a
bad report leaves no file behind. Each file is written to a temporary name in the same
directory and renamed into place, so a reader never sees half a report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lccu.errors import InvalidInput, StorageError
from lccu.outfile import output_file
from lccu.report.html import render_html
from lccu.report.schema import validate_report

JSON_NAME = "report.json"
HTML_NAME = "report.html"


def encode_json(report: Mapping[str, Any]) -> bytes:
    """Serialise a report: ASCII-escaped (file names may hold unpaired surrogates), no NaN."""
    try:
        text = json.dumps(report, indent=2, ensure_ascii=True, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"report cannot be written as JSON: {exc}", key="report_not_json"
        ) from exc
    return text.encode("ascii")


def write_reports(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Validate ``report`` and write ``out_dir/report.json`` and ``out_dir/report.html``.

    Returns both paths. Raises :class:`InvalidInput` for a report that breaks the schema
    (nothing is written) and :class:`StorageError` when the directory cannot be written.
    """
    out_dir = Path(out_dir)
    validate_report(report)
    payload = encode_json(report)
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(
            f"report output {out_dir} exists and is not a directory", key="report_not_folder"
        )
    page = render_html(report, out_dir)
    # Evidence names can hold unpaired surrogates; show them escaped rather than fail.
    html_bytes = page.encode("utf-8", errors="backslashreplace")
    json_path, html_path = out_dir / JSON_NAME, out_dir / HTML_NAME
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path, data in ((json_path, payload), (html_path, html_bytes)):
            with output_file(path) as fh:
                fh.write(data)
    except OSError as exc:
        raise StorageError(
            f"could not write the scan report into {out_dir}: {exc}", key="report_write_failed"
        ) from exc
    return json_path, html_path
