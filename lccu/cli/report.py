"""`lccu report`: a case for a court or another tool (CASE/UCO JSON-LD)."""

from __future__ import annotations

from pathlib import Path

import click

from lccu.cli.app import State, cli, pass_state, plain


@cli.command("report")
@click.argument("case_ref", metavar="CASE")
@click.option("--format", "fmt", type=click.Choice(["case"]), default="case", show_default=True,
              help="case: CASE/UCO JSON-LD with the custody chain as provenance.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@click.option("--recipient", default=None, help="Who receives it (court, defence ...); logged.")
@pass_state
def report(state: State, case_ref: str, fmt: str, output: Path, recipient: str | None) -> None:
    """Export a case, its evidence and its custody chain."""
    path = state.lab().export_case_uco(case_ref, output, recipient=recipient)
    plain(f"wrote {fmt} export to {path}")
