"""`lccu xzone`: cross-zone hit/no-hit. Ask whether another zone holds a notable or marked
file of your case (the answer names zones, nothing of their cases), request a disclosure,
grant or refuse the requests your zone receives; a unit admin enables zones."""

from __future__ import annotations

from typing import Any

import click

from lccu.cli.app import State, cli, emit_json, pass_state, plain
from lccu.textsafe import visible


@cli.group("xzone")
def xzone() -> None:
    """Cross-zone hit/no-hit: has another zone seen this file? (audited for both zones)"""


def _hit_line(hit: Any) -> str:
    if hit.hit:
        return f"{hit.sha256}  hit: also present in a case of {', '.join(map(visible, hit.zones))}"
    return f"{hit.sha256}  no hit"


def _request_line(view: Any) -> str:
    line = (
        f"{view.id}  {view.state}  {visible(view.from_zone)} -> {visible(view.to_zone)}  "
        f"{view.sha256}  purpose: {visible(view.purpose)}"
    )
    if view.holding_cases:
        line += f"  (our cases: {visible(', '.join(view.holding_cases))})"
    if view.case_number:
        line += f"  case {visible(view.case_number)}, contact {visible(view.contact or '')}"
    return line


@xzone.command("enable")
@click.argument("zone")
@click.option("--legal-basis", required=True, help="The legal basis recorded for the DPOs.")
@pass_state
def xzone_enable(state: State, zone: str, legal_basis: str) -> None:
    """Let ZONE ask other zones and be found by them (unit admin)."""
    setting = state.lab().xzone_enable(zone, legal_basis=legal_basis)
    plain(f"cross-zone hit/no-hit enabled for {visible(setting.zone)}")


@xzone.command("disable")
@click.argument("zone")
@click.option("--reason", required=True, help="Why the zone stops taking part.")
@pass_state
def xzone_disable(state: State, zone: str, reason: str) -> None:
    """Stop ZONE asking and being found (unit admin)."""
    setting = state.lab().xzone_disable(zone, reason=reason)
    plain(f"cross-zone hit/no-hit disabled for {visible(setting.zone)}")


@xzone.command("zones")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def xzone_zones(state: State, as_json: bool) -> None:
    """Which zones take part, on what legal basis (unit admin, data protection officer)."""
    zones = state.lab().xzone_zones()
    if as_json:
        emit_json([z.as_dict() for z in zones])
        return
    for z in zones:
        word = "enabled" if z.enabled else "not enabled"
        basis = f"  legal basis: {visible(z.legal_basis)}" if z.legal_basis else ""
        plain(f"{visible(z.zone)}: {word}{basis}")


@xzone.command("lookup")
@click.argument("case")
@click.argument("sha256")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def xzone_lookup(state: State, case: str, sha256: str, as_json: bool) -> None:
    """Does another zone hold SHA256, a notable or marked file of CASE?"""
    hit = state.lab().xzone_lookup(case, sha256)
    if as_json:
        emit_json(hit.as_dict())
        return
    plain(_hit_line(hit))


@xzone.command("hits")
@click.argument("evidence")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def xzone_hits(state: State, evidence: str, as_json: bool) -> None:
    """Hit or no-hit for every notable or marked file of EVIDENCE, hits first."""
    hits = state.lab().xzone_hits(evidence)
    if as_json:
        emit_json([h.as_dict() for h in hits])
        return
    if not hits:
        plain("no notable or marked files to ask about")
    for hit in hits:
        plain(_hit_line(hit))


@xzone.command("request")
@click.argument("case")
@click.argument("sha256")
@click.option("--zone", required=True, help="The zone that holds the hit.")
@click.option("--purpose", required=True, help="Why you need the case number and contact.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def xzone_request(
    state: State, case: str, sha256: str, zone: str, purpose: str, as_json: bool
) -> None:
    """Ask ZONE for the case number and a contact behind a hit on SHA256 of CASE."""
    view = state.lab().xzone_request(case, sha256, zone=zone, purpose=purpose)
    if as_json:
        emit_json(view.as_dict())
        return
    plain(view.id)


@xzone.command("requests")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def xzone_requests(state: State, as_json: bool) -> None:
    """The requests your zone sent and received, newest first."""
    views = state.lab().xzone_requests()
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    if not views:
        plain("no cross-zone requests")
    for view in views:
        plain(_request_line(view))


@xzone.command("grant")
@click.argument("request")
@click.option("--case", default=None, help="The case to name, when several hold the file.")
@click.option("--contact", default=None, help="Who to contact (default: you and your zone).")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def xzone_grant(
    state: State, request: str, case: str | None, contact: str | None, as_json: bool
) -> None:
    """Grant REQUEST to your zone: the requester learns the case number and the contact."""
    view = state.lab().xzone_grant(request, case=case, contact=contact)
    if as_json:
        emit_json(view.as_dict())
        return
    plain(_request_line(view))


@xzone.command("refuse")
@click.argument("request")
@click.option("--reason", default=None, help="Kept for your zone and the audit, not sent.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def xzone_refuse(state: State, request: str, reason: str | None, as_json: bool) -> None:
    """Refuse REQUEST to your zone: the requester learns nothing more."""
    view = state.lab().xzone_refuse(request, reason=reason)
    if as_json:
        emit_json(view.as_dict())
        return
    plain(_request_line(view))
