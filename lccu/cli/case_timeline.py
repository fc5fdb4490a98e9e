"""`lccu case timeline`: the stored timelines of every processed item of a case, merged
in time order, each row naming its exhibit (CSV, or Timesketch JSONL)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from lccu.cli.app import State, err_console, pass_state
from lccu.cli.cases import case
from lccu.errors import InvalidInput
from lccu.textsafe import visible


@case.command("timeline")
@click.argument("case_ref", metavar="CASE")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="csv: for spreadsheets; jsonl: Timesketch import.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="File to write (replaced only once complete); - for standard output.")
@click.option("--deleted", type=click.Choice(["yes", "no"]), default=None,
              help="Only deleted (yes) or allocated (no) names.")
@click.option("--notable", is_flag=True, help="Only tagged files and notable hash-set hits.")
@click.option("--from", "start", default="", metavar="YYYY-MM-DD", help="First day.")
@click.option("--to", "end", default="", metavar="YYYY-MM-DD", help="Last day.")
@pass_state
def case_timeline(state: State, case_ref: str, fmt: str, output: Path, deleted: str | None,
                  notable: bool, start: str, end: str) -> None:
    """Merge the timelines processing stored for the items of CASE, in time order."""
    from datetime import date

    from lccu.cli.timeline import _write_file
    from lccu.storage import open_store
    from lccu.timeline.casefile import write_case_timeline
    from lccu.timeline.caseview import Filters
    from lccu.timeline.stored import case_sources

    for name, day in (("--from", start), ("--to", end)):
        try:
            if day:
                date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"{name} {day!r} is not a day (YYYY-MM-DD)") from None
    if str(output) != "-" and output.is_dir():
        raise InvalidInput(f"-o {output} is a directory; name the file to write")
    lab = state.lab()
    found = lab.case_timelines(case_ref)
    filters = Filters(start=start, end=end, deleted=deleted or "",
                      mark="notable" if notable else "")
    store = open_store(lab.settings)
    try:
        sources = case_sources(found, store.open_derived)

        def write(fh: TextIO) -> int:
            return write_case_timeline(sources, fh, fmt, filters)

        if str(output) == "-":
            count = write(click.get_text_stream("stdout"))
        else:
            count = _write_file(output, write)
    finally:
        store.close()
    for exhibit in found.missing:
        err_console.print(f"lccu: warning: {visible(exhibit)} has no processed timeline "
                          "(`lccu process` it)", markup=False, highlight=False)
    err_console.print(f"case timeline: {count} events from {len(found.items)} item(s) of "
                      f"{visible(found.case_number)}"
                      + ("" if str(output) == "-" else f" -> {visible(output)}"),
                      markup=False, highlight=False)
