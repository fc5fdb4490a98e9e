"""`lccu audit`: the access log, for the data protection officer."""

from __future__ import annotations

import json
from typing import Any

import click

from lccu.cli.app import (
    State,
    cells,
    cli,
    console,
    emit_json,
    err_console,
    new_table,
    pass_state,
)
from lccu.textsafe import visible


@cli.command("audit")
@click.option("--zone", "zone_name", default=None, help="Entries of one zone (its users or "
                                                          "its cases).")
@click.option("--limit", type=int, default=None)
@click.option("--verify", "check", is_flag=True, help="Also verify the audit hash chain.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def audit(state: State, zone_name: str | None, limit: int | None, check: bool,
          as_json: bool) -> None:
    """Who read or changed what, allowed or refused (data protection officers only)."""
    lab = state.lab()
    entries = lab.audit_log(zone=zone_name, limit=limit)
    rows: list[dict[str, Any]] = [
        {"seq": e.seq, "at": e.at, "user": e.username, "zone": e.zone, "role": e.role,
         "operation": e.operation, "object_type": e.object_type,
         "object_id": e.object_id, "case_id": e.case_id, "case_zone": e.case_zone,
         "allowed": e.allowed, "justification": e.justification,
         "detail": json.loads(e.detail) if e.detail else None} for e in entries]
    if as_json:
        emit_json(rows)
    else:
        table = new_table("#", "at (UTC)", "user", "zone", "operation", "object", "case zone",
                      "allowed", "justification")
        for r in rows:
            row = cells(r["seq"], r["at"][:19], r["user"], r["zone"], r["operation"],
                        f"{r['object_type'] or ''} {(r['object_id'] or '')[:12]}",
                        r["case_zone"], "yes" if r["allowed"] else "DENIED",
                        r["justification"])
            if not r["allowed"]:
                row[7].stylize("red")
            table.add_row(*row)
        console.print(table)
    if check:
        problems = lab.verify_audit()
        for p in problems:
            err_console.print(f"audit log: {visible(p)}", markup=False)
        if problems:
            raise SystemExit(1)
        click.echo("audit log chain verified", err=True)
