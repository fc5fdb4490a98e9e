"""`lccu case`: open, list, show, share and close cases."""

from __future__ import annotations

from datetime import datetime

import click

from lccu.cli.app import State, cells, cli, console, emit_json, new_table, pass_state, plain
from lccu.errors import InvalidInput
from lccu.textsafe import visible


@cli.group()
def case() -> None:
    """Cases of your zone and cases shared with it."""


@case.command("create")
@click.option("--title", required=True)
@click.option("--zone", "zone_name", default=None, help="Owning zone (default: yours).")
@click.option("--reference", default=None, help="Proces-verbaal or magistrate reference.")
@click.option("--number", default=None, help="Case number (default: LCCU-<year>-<n>).")
@click.option("--question", default=None,
              help="The investigative question asked (stated in the report for court).")
@pass_state
def case_create(state: State, title: str, zone_name: str | None, reference: str | None,
                number: str | None, question: str | None) -> None:
    """Open a case; prints its id."""
    info = state.lab().create_case(title, zone=zone_name, reference=reference, number=number,
                                   question=question)
    plain(info.id)
    click.echo(f"case {visible(info.number)} opened for {visible(info.zone)}", err=True)


@case.command("question")
@click.argument("case_ref", metavar="CASE")
@click.argument("question")
@pass_state
def case_question(state: State, case_ref: str, question: str) -> None:
    """Set the investigative question asked (a custody note keeps each wording)."""
    info = state.lab().set_question(case_ref, question)
    click.echo(f"question of case {visible(info.number)} recorded", err=True)


@case.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def case_list(state: State, as_json: bool) -> None:
    """Cases you can see."""
    cases = state.lab().list_cases()
    if as_json:
        emit_json([c.as_dict() for c in cases])
        return
    table = new_table("number", "title", "zone", "status", "reference", "id")
    for c in cases:
        table.add_row(*cells(c.number, c.title, c.zone, c.status, c.reference, c.id))
    console.print(table)


@case.command("show")
@click.argument("case_ref", metavar="CASE")
@click.option("--justification", default=None, help="Why you consult this case (logged).")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def case_show(state: State, case_ref: str, justification: str | None, as_json: bool) -> None:
    """A case, its shares and its evidence items."""
    lab = state.lab()
    info = lab.get_case(case_ref, justification=justification)
    items = lab.list_evidence(info.id)
    if as_json:
        emit_json({**info.as_dict(), "evidence": [i.as_dict() for i in items]})
        return
    plain(f"{visible(info.number)}  {visible(info.title)}\n  id {info.id}\n"
          f"  zone {visible(info.zone)}, {info.status}, reference "
          f"{visible(info.reference or '-')}\n  custody head #{info.head_seq} {info.head_hash}")
    if info.question:
        plain(f"  question: {visible(info.question)}")
    for share in info.shares:
        state_text = "revoked" if share.revoked_at else "active"
        plain(f"  shared with {visible(share.zone)} ({share.permission}, {state_text}): "
              f"{visible(share.purpose or '')}")
    table = new_table("exhibit", "description", "state", "size", "sha256", "id")
    for i in items:
        table.add_row(*cells(i.exhibit_number, i.description, i.state, i.size, i.sha256, i.id))
    console.print(table)


@case.command("share")
@click.argument("case_ref", metavar="CASE")
@click.option("--with", "zone_name", required=True, help="Zone to share with.")
@click.option("--purpose", default=None, help="Why (logged, shown to the DPO).")
@click.option("--read-only", is_flag=True, help="The other zone may read but not add.")
@click.option("--until", default=None, help="Expiry, ISO 8601 with offset.")
@pass_state
def case_share(state: State, case_ref: str, zone_name: str, purpose: str | None,
               read_only: bool, until: str | None) -> None:
    """Share a case with another zone."""
    valid_until = None
    if until:
        try:
            valid_until = datetime.fromisoformat(until)
        except ValueError as exc:
            raise InvalidInput(f"--until {until!r} is not an ISO 8601 time") from exc
        if valid_until.tzinfo is None:
            raise InvalidInput("--until needs a UTC offset, e.g. 2027-01-31T23:59:00+01:00")
    info = state.lab().share_case(case_ref, zone_name, purpose=purpose,
                                  permission="read" if read_only else "contribute",
                                  valid_until=valid_until)
    plain(f"case {info.number} shared with {zone_name}")


@case.command("unshare")
@click.argument("case_ref", metavar="CASE")
@click.option("--with", "zone_name", required=True)
@click.option("--reason", default=None)
@pass_state
def case_unshare(state: State, case_ref: str, zone_name: str, reason: str | None) -> None:
    """Revoke a zone's access to a case."""
    info = state.lab().revoke_share(case_ref, zone_name, reason=reason)
    plain(f"case {info.number} no longer shared with {zone_name}")


@case.command("close")
@click.argument("case_ref", metavar="CASE")
@click.option("--reason", required=True)
@pass_state
def case_close(state: State, case_ref: str, reason: str) -> None:
    """Close a case (recorded as a custody event)."""
    info = state.lab().close_case(case_ref, reason=reason)
    plain(f"case {info.number} closed")
