"""`lccu hashset`: the unit's known and notable hash sets (import, list, show, remove)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lccu.cli.app import State, cells, cli, console, emit_json, new_table, pass_state, plain
from lccu.textsafe import visible

#: kept here (not imported from lccu.hashsets) so that --help loads no parser or SQLAlchemy
FORMATS = (
    "auto",
    "nsrl-rds2",
    "nsrl-rds3",
    "vics",
    "md5sum",
    "sha1sum",
    "sha256sum",
    "hashdeep",
    "csv",
)


@cli.group("hashset")
def hashset() -> None:
    """The unit's hash sets: known files (NSRL) set aside, notable ones put first.

    Every file of every scan and processing run is looked up in the active sets (the newest
    version of each name)."""


def _malformed(info: Any) -> None:
    if not info.malformed:
        return
    click.echo(
        f"lccu: {info.malformed} row(s) of {visible(info.source)} could not be read "
        "and were not imported:",
        err=True,
    )
    for example in info.malformed_examples[:10]:
        click.echo(f"  {visible(example['where'])}: {visible(example['why'])}", err=True)
    if info.malformed > 10:
        click.echo(
            f"  ... `lccu hashset show {visible(info.name)}` lists up to "
            f"{len(info.malformed_examples)}",
            err=True,
        )


@hashset.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["known", "notable"]),
    required=True,
    help="known: files to set aside (NSRL); notable: files to put first.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="The file's format (auto: from its first bytes).",
)
@click.option("--description", default=None, help="What the set is and where it came from.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def hashset_import(
    state: State, name: str, file: Path, kind: str, fmt: str, description: str | None, as_json: bool
) -> None:
    """Import FILE as the next version of the hash set NAME (the unit admin)."""
    from lccu.cli.app import progress_bar

    lab = state.lab()
    size = file.stat().st_size if file.is_file() else None
    advance, stop = progress_bar(size, f"import {file.name}")
    try:
        info = lab.hashset_import(
            name, file, kind=kind, fmt=fmt, description=description, progress=advance
        )
    finally:
        stop()
    if as_json:
        emit_json(info.as_dict())
    else:
        plain(
            f"hash set {visible(info.name)} version {info.version} ({info.kind}, "
            f"{info.format}): {info.entries} entries, {info.hashes} hashes "
            f"({', '.join(info.hash_types) or 'none'}), {info.malformed} malformed"
        )
    _malformed(info)


@hashset.command("list")
@click.option("--all", "all_versions", is_flag=True, help="Every version, not only the active.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def hashset_list(state: State, all_versions: bool, as_json: bool) -> None:
    """The active hash sets (with --all: every version kept)."""
    sets = state.lab().hashset_list(all_versions=all_versions)
    if as_json:
        emit_json([s.as_dict() for s in sets])
        return
    if not sets:
        plain("no hash sets; the unit admin imports one with `lccu hashset import`")
        return
    table = new_table(
        "name", "version", "kind", "entries", "hash types", "malformed", "state", "imported"
    )
    for s in sets:
        state_word = "active" if s.active else s.state
        table.add_row(
            *cells(
                s.name,
                s.version,
                s.kind,
                s.entries,
                ", ".join(s.hash_types),
                s.malformed,
                state_word,
                (s.finished_at or s.started_at)[:19],
            )
        )
    console.print(table)


@hashset.command("show")
@click.argument("name")
@click.option(
    "--version",
    "version",
    type=click.IntRange(1),
    default=None,
    help="This version (default: the active one).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def hashset_show(state: State, name: str, version: int | None, as_json: bool) -> None:
    """One hash set version: where it came from, its counts, categories and unread rows."""
    lab = state.lab()
    info = lab.hashset_show(name, version)
    versions = lab.hashset_versions(name)
    if as_json:
        emit_json({**info.as_dict(), "versions": [v.version for v in versions]})
        return
    plain(
        f"name         {visible(info.name)}\n"
        f"version      {info.version}{' (active)' if info.active else ''} of "
        f"{', '.join(str(v.version) for v in versions)}\n"
        f"kind         {info.kind}\n"
        f"description  {visible(info.description or '')}\n"
        f"format       {info.format}\n"
        f"source       {visible(info.source)}\n"
        f"sha256       {info.source_sha256 or ''}\n"
        f"state        {info.state}\n"
        f"entries      {info.entries}\n"
        f"hashes       {info.hashes} ({', '.join(info.hash_types)})\n"
        f"categories   {visible(', '.join(info.categories))}\n"
        f"malformed    {info.malformed}\n"
        f"imported by  {visible(info.imported_by)} at {info.finished_at or info.started_at}"
    )
    for example in info.malformed_examples:
        plain(f"  {visible(example['where'])}: {visible(example['why'])}")


@hashset.command("remove")
@click.argument("name")
@click.option(
    "--version",
    "version",
    type=click.IntRange(1),
    default=None,
    help="Only this version (default: every version of NAME).",
)
@pass_state
def hashset_remove(state: State, name: str, version: int | None) -> None:
    """Remove a hash set, or one of its versions (the unit admin)."""
    removed = state.lab().hashset_remove(name, version)
    for info in removed:
        plain(
            f"hash set {visible(info.name)} version {info.version} removed ({info.entries} entries)"
        )
