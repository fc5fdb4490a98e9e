"""`lccu timeline`: the file-system times of an image or evidence item, as a bodyfile
(The Sleuth Kit's ``fls -m``), Timesketch JSONL or CSV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, cast

import click

from lccu.cli.app import cli, err_console
from lccu.errors import InvalidInput
from lccu.textsafe import visible

#: A local image is read in 1 MiB blocks without read-ahead threads: a directory walk reads
#: metadata in 64 KiB pieces and the page cache reads ahead itself; on 500,000 files this
#: took 0.1-0.2 s of CPU off the default 4 MiB blocks with two read-ahead threads, and the
#: cache is 32 MiB instead of 128 (docs/benchmarks.md, Timeline). Stored items keep theirs.
_LOCAL_STREAM = {"block_size": 1024 * 1024, "read_ahead": 0}


@cli.command("timeline")
@click.argument("target", metavar="IMAGE|EVIDENCE")
@click.option(
    "--timezone",
    "timezone",
    default=None,
    metavar="ZONE",
    help="IANA time zone the source machine's clock was set to (Europe/Brussels): "
    "converts the local times of FAT, exFAT and ISO 9660 volumes (default: "
    "the item's, or LCCU_SOURCE_TIMEZONE).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["bodyfile", "jsonl", "csv"]),
    default="bodyfile",
    show_default=True,
    help="bodyfile: like fls -m (for mactime); jsonl: Timesketch import; csv.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="File to write (replaced only once complete); - for standard output.",
)
@click.pass_context
def timeline(ctx: click.Context, target: str, timezone: str | None, fmt: str, output: Path) -> None:
    """Write the MACB timeline of every file system in TARGET, deleted files included."""
    from lccu.cli.sources import open_target
    from lccu.fs.times import source_zone
    from lccu.fs.walk import listing_budget
    from lccu.imaging.tsk import TskImage
    from lccu.timeline import write_timeline

    zone = source_zone(timezone)
    if str(output) != "-" and output.is_dir():
        raise InvalidInput(f"-o {output} is a directory; name the file to write")
    if zone is None:
        zone = source_zone(_default_zone(ctx, target))
    with open_target(ctx, target, purpose="timeline", **_LOCAL_STREAM) as (image, label):
        tsk = TskImage(cast(BinaryIO, image), image.size, name=label)
        try:
            if str(output) == "-":
                stdout = click.get_text_stream("stdout")
                result = write_timeline(tsk, stdout, fmt, zone, label, budget=listing_budget())
            else:
                result = _write_file(
                    output,
                    lambda fh: write_timeline(tsk, fh, fmt, zone, label, budget=listing_budget()),
                )
        finally:
            tsk.clear_cache()
    for problem in result.problems:  # both may quote the image's file names
        err_console.print(
            f"lccu: warning: {visible(problem.where)}: {visible(problem.message)}",
            markup=False,
            highlight=False,
            emoji=False,
        )
    engines = ", ".join(dict.fromkeys(result.engines))  # which walk ran: docs/timeline.md
    err_console.print(
        f"timeline: {result.lines} {fmt} lines from {result.volumes} volume(s) "
        f"of {visible(label)}"
        + ("" if str(output) == "-" else f" -> {visible(output)}")
        + (f" (walked with {engines})" if engines else ""),
        markup=False,
        highlight=False,
        emoji=False,  # a name with :smile: in it stays as it is
    )


def _default_zone(ctx: click.Context, target: str) -> str | None:
    """An evidence item's source time zone (recorded, or the settings' default for its
    police zone); for an image file the unit's default (LCCU_SOURCE_TIMEZONE). A name that
    exists but cannot be followed (a symlink loop) is a path: the image check refuses it."""
    if os.path.lexists(target):
        from lccu.config import load_settings

        return load_settings().source_timezone
    from lccu.evidence.timezones import item_timezone

    return item_timezone(ctx.obj.lab(), target).zone


def _write_file(output: Path, write):  # type: ignore[no-untyped-def]
    """Write ``output`` whole or not at all (:mod:`lccu.outfile`), so a refused or failed
    run leaves no partial timeline; ``-o /dev/null`` or a FIFO is written in place."""
    from lccu.outfile import output_file

    with output_file(output, "w", encoding="utf-8", newline="",
                     errors="surrogateescape") as fh:  # fmt: skip
        return write(fh)
