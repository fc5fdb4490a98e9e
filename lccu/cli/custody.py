"""`lccu custody`: read, record, export and verify the chain of custody."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

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
    plain,
)
from lccu.errors import InvalidInput
from lccu.evidence.terms import ACTIONS, COUNTERSIGN_ROLES
from lccu.textsafe import visible

if TYPE_CHECKING:
    from lccu.evidence.chain import VerifyResult


@cli.group()
def custody() -> None:
    """The signed, hash-chained custody log of a case."""


@custody.command("log")
@click.argument("case_ref", metavar="CASE")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def custody_log(state: State, case_ref: str, as_json: bool) -> None:
    """Every custody event of a case, in order."""
    events = state.lab().custody_log(case_ref)
    if as_json:
        emit_json(events)
        return
    table = new_table("#", "recorded (UTC)", "actor", "zone", "action", "item", "reason", "hash")
    for e in events:
        table.add_row(*cells(e["seq"], e["recorded_at"][:19], e["actor"], e["actor_zone"],
                             e["action"], (e["evidence_id"] or "")[:8], e["reason"],
                             e["event_hash"][:16]))
    console.print(table)


@custody.command("record")
@click.argument("case_ref", metavar="CASE")
@click.option("--action", required=True, type=click.Choice(ACTIONS))
@click.option("--item", "item_ref", default=None, help="Evidence item concerned.")
@click.option("--location", default=None, help="Where the item is (after a hand-over: where "
              "it went).")
@click.option("--reason", default=None)
@click.option("--released-by", default=None, metavar="USER",
              help="Hand-overs: who released the item (default: you; must be its custodian).")
@click.option("--received-by", default=None, metavar="USER",
              help="Hand-overs: who received it (left out: you keep custody, only the place "
                   "changes).")
@click.option("--witness", default=None, help="Hand-overs: who witnessed it.")
@click.option("--from-location", default=None, help="Where the item was taken from.")
@click.option("--to-location", default=None, help="Where the item went.")
@click.option("--seal-before", default=None, help="Seal number as found.")
@click.option("--seal-after", default=None, help="Seal number as left (resealed: the new one).")
@click.option("--seal-intact/--seal-not-intact", default=None,
              help="Whether the seal was found intact (not intact records a seal break).")
@pass_state
def custody_record(state: State, case_ref: str, action: str, item_ref: str | None,
                   location: str | None, reason: str | None, released_by: str | None,
                   received_by: str | None, witness: str | None, from_location: str | None,
                   to_location: str | None, seal_before: str | None, seal_after: str | None,
                   seal_intact: bool | None) -> None:
    """Record a handling (transfer, check-out/in, seal break, reseal, return, note ...)
    signed with your key; refused if it contradicts the item's custodian, place or seal."""
    given = {"released_by": released_by, "received_by": received_by, "witness": witness,
             "from_location": from_location, "to_location": to_location,
             "seal_before": seal_before, "seal_after": seal_after, "seal_intact": seal_intact}
    details = {name: value for name, value in given.items() if value is not None}
    head = state.lab().record_event(case_ref, action, evidence=item_ref, location=location,
                                    reason=reason, details=details or None)
    plain(f"event #{head['seq']} recorded; head {head['event_hash']}")


@custody.command("countersign")
@click.argument("case_ref", metavar="CASE")
@click.argument("seq", type=click.IntRange(1, 2**31 - 1))
@click.option("--as", "--role", "role", type=click.Choice(tuple(COUNTERSIGN_ROLES)),
              default=None, help="The role the event names you in (default: the one it "
              "names you in).")
@pass_state
def custody_countersign(state: State, case_ref: str, seq: int, role: str | None) -> None:
    """Countersign hand-over SEQ as its receiver or witness, with your own key: the
    signature covers the event's hash, which does not change."""
    signed = state.lab().countersign(case_ref, seq, role=role)
    plain(f"event #{signed['seq']} countersigned by {signed['signer']} as {signed['role']}; "
          f"key {signed['key_id'][:16]}...")


@custody.command("export")
@click.argument("case_ref", metavar="CASE")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@click.option("--recipient", default=None, help="Who receives it (court, defence ...); logged.")
@pass_state
def custody_export(state: State, case_ref: str, output: Path, recipient: str | None) -> None:
    """Write the custody log and the public keys to verify it (JSON Lines)."""
    result = state.lab().export_custody(case_ref, output, recipient=recipient)
    plain(f"exported {result.events_checked} events to {output}")
    plain(f"head #{result.head_seq} {result.head_hash}  (note this in the proces-verbaal)")


def _pending(result: VerifyResult, say: Callable[[str], object]) -> None:
    """Hand-over parties who have not countersigned: a status, not a failure."""
    if result.pending:
        say("countersignatures (not a failure):")
    for pending in result.pending:
        say(f"  {pending}")


def _notes(result: VerifyResult, say: Callable[[str], object]) -> None:
    """Remarks that are not failures (events anchored late after their process stopped)."""
    if result.notes:
        say("notes (not a failure):")
    for note in result.notes:
        say(f"  {visible(note)}")


def _report(result: VerifyResult, as_json: bool) -> None:
    if as_json:
        emit_json(result.as_dict())
    elif result.ok:
        plain(result.summary())
        if result.after_head:
            plain(f"events after the noted head #{result.noted_head_seq} (--prefix):")
        for after in result.after_head:
            plain(f"  {visible(after)}")
        _pending(result, plain)
        _notes(result, plain)
    else:
        from rich.text import Text

        err_console.print(Text(visible(result.summary()), style="bold red"), highlight=False)
        if result.problems:
            err_console.print("integrity:", markup=False)
        for problem in result.problems:
            err_console.print(f"  {visible(problem)}", markup=False)
        if result.violations:
            err_console.print("custody rules:", markup=False)
        for violation in result.violations:
            err_console.print(f"  {visible(violation)}", markup=False)
        _pending(result, lambda line: err_console.print(visible(line), markup=False))
        _notes(result, lambda line: err_console.print(line, markup=False))
    if not result.ok:
        raise SystemExit(1)


@custody.command("verify")
@click.argument("case_ref", metavar="CASE", required=False)
@click.option("--file", "file_path", type=click.Path(path_type=Path), default=None,
              help="Verify an export file, with no database.")
@click.option("--head", "expected_head", default=None,
              help="Head hash noted earlier (e.g. in the proces-verbaal): the log must end "
                   "there.")
@click.option("--prefix", is_flag=True,
              help="With --head: accept a log that extends the noted head (the events after "
                   "it are listed).")
@click.option("--unit-key", default=None, metavar="HEX",
              help="The unit's public key as noted in its procedures (`lccu unit key`): "
                   "signers' keys count only if its key registry certifies them.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def custody_verify(state: State, case_ref: str | None, file_path: Path | None,
                   expected_head: str | None, prefix: bool, unit_key: str | None,
                   as_json: bool) -> None:
    """Recompute every hash and signature and check the custody rules (custodian, place,
    seal, disposal); name each broken event."""
    if (case_ref is None) == (file_path is None):
        raise click.UsageError("give either CASE or --file FILE")
    if expected_head is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", expected_head.strip()):
        raise InvalidInput("--head must be a 64-digit SHA-256 hex value")
    if prefix and expected_head is None:
        raise click.UsageError("--prefix needs --head")
    expected_head = expected_head.strip() if expected_head else None
    if file_path is not None:
        from lccu.evidence.export import verify_export

        if unit_key is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", unit_key.strip()):
            raise InvalidInput("--unit-key must be 64 hex digits (`lccu unit key` prints it)")
        result = verify_export(file_path, expected_head=expected_head, prefix=prefix,
                               unit_key=unit_key)
        if result.unit_key_from_file and not as_json:
            err_console.print("note: the unit key was taken from the file itself; give "
                              "--unit-key (noted in the unit's procedures) to check it",
                              markup=False)
    else:
        assert case_ref is not None
        result = state.lab().verify_custody(case_ref, expected_head=expected_head,
                                            prefix=prefix, unit_key=unit_key)
    _report(result, as_json)
