"""`lccu tag`: tag files of a processed evidence item with a label and a note, list and
remove tags (case data for the court report; audited, and noted in the custody log)."""

from __future__ import annotations

from typing import Any

import click

from lccu.cli.app import State, cells, cli, console, emit_json, new_table, pass_state, plain


@cli.group("tag")
def tag() -> None:
    """Tags and notes on files of processed items (relevant, to check, privileged ...)."""


def _line(info: Any) -> str:
    sha = info.sha256 or "-"
    return (
        f"{info.id}  {info.exhibit_number}  volume {info.volume}  {info.path}  "
        f"[{info.label}]  sha256 {sha}"
    )


@tag.command("add")
@click.argument("evidence")
@click.argument("file", metavar="PATH|INODE|SHA256")
@click.option("--label", required=True, help="The tag: relevant, to-check, privileged ...")
@click.option("--note", default=None, help="What the file shows, why it matters.")
@click.option(
    "--volume",
    type=click.IntRange(0),
    default=None,
    help="The volume number when several volumes hold this path.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the tag as JSON.")
@pass_state
def tag_add(
    state: State,
    evidence: str,
    file: str,
    label: str,
    note: str | None,
    volume: int | None,
    as_json: bool,
) -> None:
    """Tag a file of EVIDENCE's newest finished processing report, named by its path
    (/dir/file.txt), inode, or SHA-256."""
    info = state.lab().tag_file(evidence, file, label=label, note=note, volume=volume)
    if as_json:
        emit_json(info.as_dict())
        return
    plain(f"tagged {_line(info)}")


@tag.command("list")
@click.argument("target", metavar="CASE|EVIDENCE")
@click.option("--all", "include_removed", is_flag=True, help="Also the removed tags.")
@click.option("--json", "as_json", is_flag=True, help="Print the tags as JSON.")
@pass_state
def tag_list(state: State, target: str, include_removed: bool, as_json: bool) -> None:
    """The tags of a case or of one evidence item."""
    infos = state.lab().tags(target, include_removed=include_removed)
    if as_json:
        emit_json([i.as_dict() for i in infos])
        return
    if not infos:
        plain(f"no tags in {target}")
        return
    table = new_table("tag", "exhibit", "vol", "path", "label", "note", "sha256", "by", "removed")
    for i in infos:
        table.add_row(
            *cells(
                i.id,
                i.exhibit_number,
                i.volume,
                i.path,
                i.label,
                i.note or "",
                i.sha256 or "-",
                i.created_by,
                i.removed_at or "",
            )
        )
    console.print(table)


@tag.command("remove")
@click.argument("tag_id", metavar="TAG")
@click.option("--reason", default=None, help="Why the tag is removed (kept with it).")
@pass_state
def tag_remove(state: State, tag_id: str, reason: str | None) -> None:
    """Remove a tag (it is kept as removed, with who and why)."""
    info = state.lab().untag(tag_id, reason=reason)
    plain(f"removed {_line(info)}")


@tag.command("label")
@click.argument("label")
@click.option(
    "--case",
    "case_ref",
    default=None,
    help="The case whose tags take it (default: every case of the unit; the unit admin).",
)
@pass_state
def tag_label(state: State, label: str, case_ref: str | None) -> None:
    """Define a tag LABEL for a case, or for the whole unit: once labels are defined, a
    tag takes one of them (relevant, to check, privileged ...)."""
    labels = state.lab().define_label(label, case=case_ref)
    plain(f"tag labels of {case_ref or 'the unit'}: {', '.join(labels)}")


@tag.command("labels")
@click.argument("target", metavar="CASE|EVIDENCE")
@click.option("--json", "as_json", is_flag=True, help="Print the labels as JSON.")
@pass_state
def tag_labels(state: State, target: str, as_json: bool) -> None:
    """The labels a tag in a case takes (the unit's and the case's); none: any label."""
    labels = state.lab().tag_labels(target)
    if as_json:
        emit_json(labels)
        return
    plain(", ".join(labels) if labels else f"no tag labels defined for {target}: any label")
