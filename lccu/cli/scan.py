"""`lccu scan`, `lccu hash` and `lccu yara`: the engines on a local image, no servers needed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, cast

import click

from lccu.cli.app import cli, emit_json, err_console, plain
from lccu.textsafe import visible


def _stage_progress() -> tuple[Callable[[str, int, int | None], None], Callable[[], None]]:
    """A rich display with one line per stage on a terminal, one line per stage otherwise."""
    labels = {"hash": "hashing image", "files": "file systems (files)",
              "carve": "carving (files)", "archives": "archives (containers)",
              "yara": "YARA (targets)", "hashsets": "hash set lookups"}
    if sys.stderr.isatty():
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskID,
            TimeElapsedColumn,
        )

        bar = Progress("{task.description}", BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), console=err_console)
        tasks: dict[str, TaskID] = {}
        bar.start()

        def update(stage: str, n: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.advance(tasks[stage], n)

        return update, bar.stop
    seen: set[str] = set()

    def announce(stage: str, _n: int, _total: int | None) -> None:
        if stage not in seen:
            seen.add(stage)
            click.echo(f"scan: {labels.get(stage, stage)} ...", err=True)

    return announce, lambda: None


@cli.command("scan")
@click.argument("image", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Output directory: files/, carved/, report.json, report.html.")
@click.option("--rules", "rules", multiple=True, type=click.Path(path_type=Path),
              help="Extra YARA rule file or directory (repeatable; adds to the bundled set).")
@click.option("--no-yara", is_flag=True, help="Skip the YARA stage.")
@click.option("--carve", "carve_scope", type=click.Choice(["all", "unallocated", "none"]),
              default="all", show_default=True, help="Where to carve.")
@click.option("--no-expand", is_flag=True,
              help="Do not open archives and documents (zip, 7z, RAR, tar, PDF, ...).")
@click.option("--passwords", "password_file", type=click.Path(path_type=Path),
              help="The case's password list for encrypted archives, one per line; never "
                   "written to the report (only that one was used).")
@click.option("--timezone", "timezone", default=None, metavar="ZONE",
              help="IANA time zone the source machine's clock was set to (Europe/Brussels), "
                   "for FAT/exFAT/ISO 9660 local times (default: LCCU_SOURCE_TIMEZONE).")
@click.option("--hashset", "hashset_files", multiple=True, metavar="[KIND:]FILE",
              help="Look every file up in this hash set file (repeatable; any format of "
                   "`lccu hashset import`; KIND known: or notable:, default known for NSRL, "
                   "notable otherwise). Without it: the case database's active sets, if any.")
@click.option("--no-hashsets", is_flag=True,
              help="Look files up in no hash set (not even the case database's).")
@click.option("--json", "as_json", is_flag=True, help="Print report.json to stdout.")
def scan(image: Path, out_dir: Path, rules: tuple[Path, ...], no_yara: bool,
         carve_scope: str, no_expand: bool, password_file: Path | None,
         timezone: str | None, hashset_files: tuple[str, ...], no_hashsets: bool,
         as_json: bool) -> None:
    """Hash, list file systems (deleted files too), extract, carve, open archives and
    documents, and YARA-scan IMAGE (raw, split, E01, VMDK, VHD, VHDX, QCOW2). Exit 1 when
    the media could not be read as acquired (read errors, or hashes stored in the container
    that differ)."""
    import dataclasses
    from contextlib import ExitStack

    from lccu.archive import expansion_limits
    from lccu.archive.passwords import read_password_list
    from lccu.cli.app import progress_bar
    from lccu.config import load_settings
    from lccu.errors import InvalidInput
    from lccu.fs.times import source_zone
    from lccu.pipeline import ScanOptions, run_scan

    settings = load_settings()
    source_zone(timezone)  # a bad zone is refused before the scan starts
    extra = tuple(settings.rules) + rules
    passwords = read_password_list(password_file) if password_file else ()
    options = ScanOptions(rules=extra, yara=not no_yara, carve=carve_scope,
                          timezone=timezone or settings.source_timezone,
                          expand=not no_expand, limits=expansion_limits(),
                          passwords=passwords)
    if hashset_files and no_hashsets:
        raise InvalidInput("--hashset and --no-hashsets exclude each other")
    with ExitStack() as stack:
        if hashset_files or not no_hashsets:
            from lccu.imaging import open_image

            with open_image(image):  # a bad image is refused before any set is loaded
                pass
            from lccu.hashsets.scanning import from_database, from_files

            lookup = stack.enter_context(
                from_files(hashset_files, progress_bar) if hashset_files
                else from_database(settings, lambda text: err_console.print(text,
                                                                            markup=False)))
            options = dataclasses.replace(options, hashsets=lookup)
        update, stop = _stage_progress()
        try:
            report = run_scan(image, out_dir, options, update)
        finally:
            stop()
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_summary(report, out_dir)
    if not media_as_acquired(report):
        raise SystemExit(1)


def media_as_acquired(report: dict[str, object]) -> bool:
    """False when the media could not be read as acquired: read errors, or hashes stored in
    the container that differ (exit 1, like a failed verification)."""
    image = report["image"]
    stored = image.get("stored_hashes") if isinstance(image, dict) else None
    return not report.get("read_errors") and not (stored and stored.get("match") is False)


def _print_summary(report: dict[str, Any], out_dir: Path) -> None:
    s, image = report["summary"], report["image"]
    containers = image.get("containers") or []
    carried = (f", {image['format']} in {len(containers)} file(s)"
               if image["format"] != "raw" else "")
    plain(f"image   {visible(image['path'])} ({image['size']} bytes{carried})\n"
          f"sha256  {image['sha256']}\n"
          f"volumes {s['volumes']}, files {s['files']} ({s['deleted_files']} deleted, "
          f"{s['exported_files']} exported), carved {s['carved']} "
          f"({s['carved_validated']} validated), "
          + (f"archives {s['archives']} ({s['members']} members), " if "archives" in s else "")
          + (f"hash sets: {s['notable']} notable, {s['known']} known, " if report.get("hashsets")
             else "")
          + f"YARA hits {s['yara_hits']}, errors {s['errors']}, "
          f"read errors {s['read_errors']}, warnings {s['warnings']}")
    for fault in report["read_errors"][:20]:
        plain(f"read error at {fault['offset']} ({fault['length']} bytes): "
              f"{visible(fault['cause'])}")
    for entry in [*report["errors"], *report["warnings"]][:20]:
        plain(f"{visible(entry['where'])}: {visible(entry['message'])}")
    plain(f"{report['outcome']}\nreport  {visible(out_dir / 'report.html')}")


@cli.command("hash")
@click.argument("target", metavar="PATH_OR_EVIDENCE")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def hash_command(ctx: click.Context, target: str, as_json: bool) -> None:
    """MD5, SHA-1, SHA-256 and size of the media in one pass (a local image or a stored
    evidence item); for E01 also the hashes stored in the container and whether they match.
    Exit 1 when they do not, or when part of the media could not be read (read errors)."""
    from lccu.cli.app import progress_bar
    from lccu.cli.sources import open_target
    from lccu.hashing import hash_stream
    from lccu.imaging.integrity import check_media

    with open_target(ctx, target) as (image, label):
        advance, stop = progress_bar(image.size, f"hash {label}")
        try:
            digests = hash_stream(image, progress=advance)
        finally:
            stop()
        media = check_media(image, digests)
        result: dict[str, Any] = {"target": label, **digests.as_dict(),
                                  "format": image.media.format if image.media else "raw"}
        if media.stored:
            result["container_hashes"] = {"md5": media.stored.get("md5"),
                                          "sha1": media.stored.get("sha1")}
            result["container_hashes_match"] = media.stored_match
        result["read_errors"] = media.read_errors()
        result["unreadable_bytes"] = media.unreadable_bytes
        result["errors"] = media.errors()
    if as_json:
        emit_json(result)
    else:
        plain(f"{visible(label)}\n  size   {digests.size}\n  md5    {digests.md5}\n"
              f"  sha1   {digests.sha1}\n  sha256 {digests.sha256}")
        if "container_hashes" in result:
            word = "match" if result["container_hashes_match"] else "DO NOT MATCH"
            plain(f"  stored in the container {result['container_hashes']} {word}")
        for fault in result["read_errors"]:
            plain(f"  read error at {fault['offset']} ({fault['length']} bytes): "
                  f"{fault['cause']}")
        for error in result["errors"]:
            plain(f"  {error['message']}")
    if not media.ok:
        raise SystemExit(1)


@cli.command("yara")
@click.argument("target", metavar="IMAGE_OR_EVIDENCE")
@click.option("--rules", "rules", multiple=True, type=click.Path(path_type=Path),
              help="Extra rule file or directory (repeatable; adds to the bundled set).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def yara_command(ctx: click.Context, target: str, rules: tuple[Path, ...],
                 as_json: bool) -> None:
    """YARA over the whole image only; each hit names the file that holds it (deleted files
    too) or "unallocated"."""
    from lccu.cli.sources import open_target
    from lccu.config import load_settings
    from lccu.fs import Problem as FsProblem
    from lccu.pipeline.filesystem import list_entries
    from lccu.pipeline.yarascan import scan_all
    from lccu.scan import load_rules

    ruleset = load_rules(list(load_settings().rules) + list(rules))
    with open_target(ctx, target, purpose="yara") as (image, label):
        problems: list[FsProblem] = []
        entries = list_entries(image, label, problems)
        hits, errors = scan_all(cast(BinaryIO, image), image.size, ruleset, entries, [], [],
                                None)
    errors += [{"where": p.where, "message": p.message} for p in problems]
    if as_json:
        emit_json({"target": label, "rules": ruleset.identity,
                   "yara_rules": ruleset.report_record(), "hits": hits, "errors": errors})
        return
    for hit in hits:
        owner = hit["file"]
        where = (f"{owner['volume']}:{visible(owner['path'])} (inode {owner['inode']})"
                 if isinstance(owner, dict) else visible(owner))
        plain(f"{hit['offset']:>12}  {visible(hit['namespace'])}:{visible(hit['rule'])}  "
              f"{visible(hit['string'])}  {where}")
    for error in errors:
        err_console.print(f"warning: {visible(error['where'])}: {visible(error['message'])}",
                          markup=False)
    engines: dict[str, int] = {}
    for f in ruleset.files():
        label_ = f"{f['engine']} {f['engine_version']}"
        engines[label_] = engines.get(label_, 0) + 1
    on = ", ".join(f"{n} file(s) on {e}" for e, n in sorted(engines.items()))
    click.echo(f"{len(hits)} hit(s), rules {ruleset.identity[:16]}... ({on})", err=True)
