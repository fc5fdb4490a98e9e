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
@pass_state
def report(state: State, case_ref: str, fmt: str, output: Path) -> None:
    """Export a case, its evidence and its custody chain."""
    path = state.lab().export_case_uco(case_ref, output)
    plain(f"wrote {fmt} export to {path}")
