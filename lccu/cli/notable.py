"""`lccu notable`: mark files of processed items as notable for the unit's notable hash
set; a unit admin approves (the hashes join the set, as a new version) or rejects."""

from __future__ import annotations

from typing import Any

import click

from lccu.cli.app import State, cli, emit_json, pass_state, plain
from lccu.textsafe import visible


@cli.group("notable")
def notable() -> None:
    """Files proposed for the unit's notable set, and the admin's decisions."""


def _line(info: Any) -> str:
    where = f"{visible(info.exhibit_number)}  {visible(info.path)}  " if info.path else ""
    decided = (
        f"  -> {visible(info.set_name)} v{info.set_version}" if info.set_name else ""
    )
    return (
        f"{info.id}  {info.state}  {where}[{visible(info.category)}]  sha256 {info.sha256}  "
        f"by {visible(info.proposed_by)} ({visible(info.zone)}){decided}"
    )


@notable.command("mark")
@click.argument("evidence")
@click.argument("file", metavar="PATH|INODE|SHA256")
@click.option("--category", required=True, help="What it is: CSAM 1, malware, fraud kit ...")
@click.option("--reason", required=True, help="Why the unit should know this file.")
@click.option("--volume", type=click.IntRange(0), default=None,
              help="The volume number when several volumes hold this path.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def notable_mark(state: State, evidence: str, file: str, category: str, reason: str,
                 volume: int | None, as_json: bool) -> None:
    """Propose a file of EVIDENCE's newest finished report for the unit's notable set."""
    info = state.lab().mark_notable(evidence, file, category=category, reason=reason,
                                    volume=volume)
    if as_json:
        emit_json(info.as_dict())
        return
    plain(info.id)


@notable.command("list")
@click.argument("target", metavar="[CASE|EVIDENCE]", required=False)
@click.option("--state", "mark_state", type=click.Choice(["proposed", "approved", "rejected"]),
              default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def notable_list(state: State, target: str | None, mark_state: str | None,
                 as_json: bool) -> None:
    """The marks of a case or item; without one, the whole unit's (unit admin)."""
    marks = state.lab().notable_marks(target, state=mark_state)
    if as_json:
        emit_json([m.as_dict() for m in marks])
        return
    if not marks:
        plain("no notable marks")
    for mark in marks:
        plain(_line(mark))


@notable.command("approve")
@click.argument("mark")
@click.option("--set", "set_name", default="unit notable", show_default=True,
              help="The notable hash set the file's hashes join.")
@pass_state
def notable_approve(state: State, mark: str, set_name: str) -> None:
    """Approve MARK: its hashes join the notable set as a new version (unit admin)."""
    info = state.lab().approve_mark(mark, set_name=set_name)
    plain(_line(info))


@notable.command("reject")
@click.argument("mark")
@click.option("--reason", required=True)
@pass_state
def notable_reject(state: State, mark: str, reason: str) -> None:
    """Reject MARK, with the reason (unit admin)."""
    plain(_line(state.lab().reject_mark(mark, reason=reason)))
