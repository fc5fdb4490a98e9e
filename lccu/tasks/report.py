"""The report stage: merge the stage results of a run into one report, assembled by the
function ``lccu scan`` uses (:func:`lccu.pipeline.assemble.assemble_report`); validate it
and store ``report-<run id>.json`` and ``.html`` in ``derived/<evidence id>/``, where the
exported files' relative links resolve.

A failed stage does not stop the report: its reason becomes an ``errors`` entry. Only a
failed hash stage does, since the report must name the image it describes.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lccu.errors import LccuError, PermanentTaskError
from lccu.pipeline.assemble import assemble_report
from lccu.report import validate_report, write_reports
from lccu.report.thumbnails import DEFAULT_LIMIT, DEFAULT_MAX_BYTES, _candidates, _lexically_safe

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab


def merge_report(ctx: Any, lab: Lab, claim: Any) -> dict[str, Any]:
    inputs: dict[str, list[dict[str, Any]]] = ctx.inputs
    errors: list[dict[str, str]] = []
    for name, items in inputs.items():
        if name.endswith(":failed"):
            errors += [{"where": f"stage {i['stage']} segment {i['segment']}",
                        "message": f"stage failed: {i['reason']}"} for i in items]
    if not inputs.get("hash"):
        raise PermanentTaskError(f"no report for evidence {claim.evidence_id}: the hash stage "
                                 "failed, see `lccu status`")
    evidence = lab.get_evidence(claim.evidence_id, processing=True)
    # the one assembly `lccu scan` uses too; the engines the run's identity stands for
    report = assemble_report(inputs, label=evidence.exhibit_number, errors=errors,
                             yara_rules=claim.options.get("yara_rules"))
    validate_report(report)
    with tempfile.TemporaryDirectory(prefix="lccu-report-") as tmp:
        fetch_pictures(ctx.store, claim.evidence_id, report, Path(tmp))
        _json_path, html_path = write_reports(report, Path(tmp))
        ctx.store.put_derived(report_key(claim.evidence_id, claim.run_id, "html"),
                              io.BytesIO(html_path.read_bytes()))
    return report


def report_key(evidence_id: str, run_id: str, fmt: str) -> str:
    """Where a run's report is stored: beside the stage folders, so the ``exported`` paths in
    it (relative to ``derived/<evidence id>/``) are also relative to the report itself."""
    return f"{evidence_id}/report-{run_id}.{fmt}"


def finished_report(lab: Lab, evidence_ref: str, run_id: str | None = None,
                    fmt: str = "json") -> tuple[str, str]:
    """The run id and stored key of the ``fmt`` (json or html) report of the newest
    finished run of an item, or of its run ``run_id``; checked and audited by the gate
    (:meth:`lccu.evidence.lab.Lab.finished_report`)."""
    return lab.finished_report(evidence_ref, run_id, fmt)


def fetch_pictures(store: Any, evidence_id: str, report: dict[str, Any], out_dir: Path) -> int:
    """Copy the exported pictures the HTML page would embed from the store into ``out_dir``
    (the renderer reads them from there only); returns how many. Paths are checked like the
    renderer checks them, and pictures over its size limit are not fetched at all."""
    count = 0
    for _label, _origin, _deleted, exported in _candidates(report)[:DEFAULT_LIMIT]:
        if not _lexically_safe(exported):
            continue
        target = out_dir / exported
        try:
            with store.open_derived(f"{evidence_id}/{exported}") as fh:
                data = fh.read(DEFAULT_MAX_BYTES + 1)
        except (LccuError, OSError):
            continue  # the renderer counts it as missing
        if len(data) > DEFAULT_MAX_BYTES:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        count += 1
    return count
