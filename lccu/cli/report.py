"""`lccu report`: a case for a court or another tool (CASE/UCO JSON-LD), or the processing
report of an evidence item (JSON or HTML)."""

from __future__ import annotations

from pathlib import Path

import click

from lccu.cli.app import State, cli, pass_state, plain
from lccu.errors import InvalidInput


@cli.command("report")
@click.argument("target", metavar="CASE|EVIDENCE")
@click.option("--format", "fmt", type=click.Choice(["case", "json", "html"]), default=None,
              help="Default: case for a CASE, json for an EVIDENCE item. "
                   "case: CASE/UCO JSON-LD of a case with its custody chain as provenance; "
                   "json/html: the report of an evidence item's newest finished processing "
                   "run (for a CASE, -o is a directory with one report per item).")
@click.option("--run", "run_id", default=None, help="With json/html: a specific run.")
@click.option("--recipient", default=None, help="Who receives it (court, defence ...); logged.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@pass_state
def report(state: State, target: str, fmt: str | None, run_id: str | None,
           recipient: str | None, output: Path) -> None:
    """Export a case (CASE/UCO) or write processing reports (JSON/HTML)."""
    from lccu.cli.process import write_run_report

    lab = state.lab()
    kind = lab.resolve(target)
    fmt = fmt or ("case" if kind == "case" else "json")
    if fmt == "case":
        if kind != "case":
            raise InvalidInput("--format case exports a case: give a case number or id")
        path = lab.export_case_uco(target, output, recipient=recipient)
        plain(f"wrote CASE/UCO export to {path}")
        return
    if kind == "evidence":
        run = write_run_report(lab, target, run_id, fmt, output)
        plain(f"wrote {fmt} report of run {run} to {output}")
        return
    if run_id is not None:
        raise InvalidInput("--run names one item's run: give an EVIDENCE id, not a case")
    output.mkdir(parents=True, exist_ok=True)
    for item in lab.list_evidence(target):
        destination = output / f"{item.exhibit_number}.{fmt}"
        run = write_run_report(lab, item.id, None, fmt, destination)
        plain(f"wrote {fmt} report of {item.exhibit_number} (run {run}) to {destination}")
