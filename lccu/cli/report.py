"""`lccu report`: a case for a court (HTML, PDF or Word, Dutch or English) or another tool
(CASE/UCO JSON-LD), or the processing report of an evidence item (JSON or HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lccu.cli.app import State, cli, pass_state, plain
from lccu.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from lccu.evidence.lab_export import ReportCopy


@cli.command("report")
@click.argument("target", metavar="CASE|EVIDENCE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["case", "json", "html", "pdf", "docx"]),
    default=None,
    help="Default: case for a CASE, json for an EVIDENCE item. "
    "case: CASE/UCO JSON-LD of a case with its custody chain as provenance. "
    "html/pdf/docx of a CASE: the report for court (exhibits, seals, hashes, "
    "custody head, method, tagged files, processing runs); with -o an "
    "existing directory, html writes one processing report per item instead. "
    "json/html of an EVIDENCE item: its newest finished run's report "
    "(json of a CASE: one per item into the directory -o).",
)
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"]),
    default="nl",
    show_default=True,
    help="Language of the report for court.",
)
@click.option("--run", "run_id", default=None, help="With json/html: a specific run.")
@click.option("--recipient", default=None, help="Who receives it (court, defence ...); logged.")
@click.option(
    "--no-files",
    "no_files",
    is_flag=True,
    help="With html processing reports: write the page only, without copying the exported "
    "files it links beside it (their paths are then text, and the page says how to get "
    "them). Copies are logged in the audit log (report.export) with their count and bytes. "
    "json never copies files.",
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@pass_state
def report(
    state: State,
    target: str,
    fmt: str | None,
    lang: str,
    run_id: str | None,
    recipient: str | None,
    no_files: bool,
    output: Path,
) -> None:
    """Write a case's report for court, export a case (CASE/UCO) or write processing
    reports (JSON/HTML)."""
    lab = state.lab()
    kind = lab.resolve(target, "report.export")  # a refusal is audited as the report's
    fmt = fmt or ("case" if kind == "case" else "json")
    if fmt == "case":
        if kind != "case":
            raise InvalidInput("--format case exports a case: give a case number or id")
        path = lab.export_case_uco(target, output, recipient=recipient)
        plain(f"wrote CASE/UCO export to {path}")
        return
    if kind == "evidence":
        if fmt in ("pdf", "docx"):
            raise InvalidInput(f"--format {fmt} writes a case's report for court: give a CASE")
        written = lab.export_run_report(
            target, output, run_id=run_id, fmt=fmt, files=not no_files, recipient=recipient
        )
        note = _files_note(written, no_files)
        plain(f"wrote {fmt} report of run {written.run} to {output}{note}")
        return
    if run_id is not None:
        raise InvalidInput("--run names one item's run: give an EVIDENCE id, not a case")
    if fmt in ("pdf", "docx") or (fmt == "html" and not output.is_dir()):
        from lccu.report.court import write_court_report

        court = write_court_report(lab, target, output, fmt=fmt, lang=lang)
        plain(f"wrote the {fmt} report for court ({lang}) to {court}")
        return
    output.mkdir(parents=True, exist_ok=True)
    for item in lab.list_evidence(target):
        destination = output / f"{item.exhibit_number}.{fmt}"
        try:
            written = lab.export_run_report(
                item.id, destination, fmt=fmt, files=not no_files, recipient=recipient
            )
        except NotFound:
            plain(f"{item.exhibit_number} was never processed: no report written for it")
            continue
        plain(
            f"wrote {fmt} report of {item.exhibit_number} (run {written.run}) to "
            f"{destination}{_files_note(written, no_files)}"
        )


def _files_note(written: ReportCopy, no_files: bool) -> str:
    """What became of the exported files the page names."""
    if not written.linked:
        return ""
    if no_files:
        return f"; the {written.linked} exported file(s) it names were not copied (--no-files)"
    return (
        f"; copied {written.files} of the {written.linked} exported file(s) it names, "
        f"{written.bytes:,} bytes, beside it (audit log: report.export)"
    )
