"""`lccu evidence`: take in evidence images, show them, re-verify them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from lccu.cli.app import State, cli, emit_json, err_console, pass_state, plain, progress_bar
from lccu.errors import InvalidInput
from lccu.evidence.terms import ITEM_TYPES
from lccu.textsafe import visible


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{option} {value!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise InvalidInput(f"{option} needs a UTC offset, e.g. 2026-11-23T09:30:00+01:00")
    return moment


@cli.group()
def evidence() -> None:
    """Evidence items: intake into the evidence store, details, verification."""


@evidence.command("add")
@click.argument("case_ref", metavar="CASE")
@click.argument(
    "paths", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option("--description", required=True)
@click.option(
    "--type", "item_type", type=click.Choice(ITEM_TYPES), default="disk-image", show_default=True
)
@click.option("--seal", "seal_number", default=None, help="Seal or bag number.")
@click.option("--md5", default=None, help="Declared acquisition MD5.")
@click.option("--sha1", default=None, help="Declared acquisition SHA-1.")
@click.option("--sha256", default=None, help="Declared acquisition SHA-256.")
@click.option(
    "--accept-mismatch",
    is_flag=True,
    help="Take the copy in even if it does not match the declared hashes (marked "
    "hash-mismatch); without it a mismatch stores nothing.",
)
@click.option("--make", default=None)
@click.option("--model", default=None)
@click.option("--serial", default=None)
@click.option("--acquired-by", default=None)
@click.option("--acquired-at", default=None, help="ISO 8601 with offset.")
@click.option("--tool", "acquisition_tool", default=None, help="Acquisition tool.")
@click.option("--tool-version", "acquisition_tool_version", default=None)
@click.option("--format", "image_format", default=None, help="raw, E01, ...")
@click.option("--exhibit", "exhibit_number", default=None)
@click.option("--location", default=None, help="Where the original is kept.")
@click.option("--legal-hold", is_flag=True, help="Put the stored object under legal hold.")
@click.option(
    "--timezone",
    "timezone",
    default=None,
    metavar="ZONE",
    help="IANA time zone the source machine's clock was set to (Europe/Brussels); "
    "recorded in custody, used for FAT/exFAT/ISO 9660 local times.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def evidence_add(
    state: State,
    /,
    case_ref: str,
    paths: tuple[Path, ...],
    md5: str | None,
    sha1: str | None,
    sha256: str | None,
    acquired_at: str | None,
    timezone: str | None,
    as_json: bool,
    **fields: object,
) -> None:
    """Take in one acquisition: PATH is the image, or the first file of a multi-file one
    (disk.E01, disk.001, diskaa, a VMDK descriptor: the segments beside it are taken too),
    or all its files in order. Every file is streamed into the evidence store with its own
    MD5, SHA-1 and SHA-256; the item's hashes are those of the media (the disk) inside.
    A missing or out-of-order segment is refused before anything is stored. Declared
    hashes (--md5/--sha1/--sha256: the acquired disk's) are compared with the media's
    before anything is committed: a mismatch stores nothing (exit 1) unless
    --accept-mismatch, which records it loudly."""
    if timezone is not None:  # lccu.fs loads the file-system engine (pytsk3): only if needed
        from lccu.fs.times import source_zone

        source_zone(timezone)  # a bad zone is refused before anything is stored
    lab = state.lab()
    acquired = _parse_time(acquired_at, "--acquired-at")
    item_type = str(fields.get("item_type") or "disk-image")
    # refusals (audited) before the progress bar
    files = lab.gather_evidence(case_ref, list(paths), item_type=item_type).paths
    if len(files) > 1 and not as_json:
        err_console.print(
            f"taking {len(files)} container files: "  # names: never markup
            + ", ".join(visible(p.name) for p in files),
            markup=False,
            highlight=False,
        )
    advance, stop = progress_bar(sum(p.stat().st_size for p in files), f"intake {files[0].name}")
    try:
        info = lab.add_evidence(
            case_ref,
            list(files),
            declared={"md5": md5 or "", "sha1": sha1 or "", "sha256": sha256 or ""},
            acquired_at=acquired,
            progress=advance,
            **fields,  # type: ignore[arg-type]
        )
    finally:
        stop()
    if timezone:
        from lccu.evidence.timezones import set_item_timezone

        set_item_timezone(lab, info.id, timezone, reason="source time zone given at intake")
    if as_json:
        emit_json({**info.as_dict(), "source_timezone": timezone})
    else:
        fmt = info.container_format or "raw"
        lines = [
            f"{info.id}",
            f"  exhibit {visible(info.exhibit_number)}, media {info.size} "
            f"bytes ({fmt}, {len(info.containers) or 1} container file(s)), stored at "
            f"{visible(info.storage_uri)}",
            f"  md5    {info.md5}",
            f"  sha1   {info.sha1}",
            f"  sha256 {info.sha256}",
        ]
        if len(info.containers) > 1 or fmt not in ("raw", "file"):
            lines.append("  container files:")
            lines += [
                f"    {visible(c['name'])}  {c['size']} bytes  sha256 {c['sha256']}"
                for c in info.containers
            ]
        stored = (info.media_check or {}).get("stored_hashes") or {}
        if stored.get("match") in ("match", "mismatch"):
            lines.append(f"  hashes stored in the container: {stored['match']}")
        plain("\n".join(lines))
    check = info.media_check or {}
    if check.get("container_unreadable"):
        err_console.print(
            "[bold red]CONTAINER CANNOT BE READ[/]: "
            + visible(str(check["container_unreadable"]))
            + "; the file was taken in as received (its hashes are the file's, not a disk's),"
            " marked hash-mismatch, and this is recorded in the intake event."
        )
        raise SystemExit(1)
    if (check.get("stored_hashes") or {}).get("match") == "mismatch" or check.get("read_errors"):
        err_console.print(
            "[bold red]NOT READ AS ACQUIRED[/]: "
            + (
                "the hashes stored in the container differ from the media as read now; "
                if (check.get("stored_hashes") or {}).get("match") == "mismatch"
                else ""
            )
            + (
                f"{len(check['read_errors'])} range(s) could not be read (read as zeros); "
                if check.get("read_errors")
                else ""
            )
            + "the copy was taken in as received, marked hash-mismatch, and this is recorded "
            "in the intake event."
        )
        raise SystemExit(1)
    if info.hash_mismatches:
        err_console.print(
            f"[bold red]HASH MISMATCH[/]: declared {', '.join(info.hash_mismatches)} "
            "differ from the bytes received; this is recorded in the intake event and the "
            "item is marked hash-mismatch."
        )
        raise SystemExit(1)


@evidence.command("list")
@click.argument("case_ref", metavar="CASE")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def evidence_list(state: State, case_ref: str, as_json: bool) -> None:
    """Evidence items of a case."""
    items = state.lab().list_evidence(case_ref)
    if as_json:
        emit_json([i.as_dict() for i in items])
        return
    for i in items:
        plain(f"{visible(i.exhibit_number)}  {i.id}  {i.state}  {i.size}  {visible(i.description)}")


@evidence.command("show")
@click.argument("item_ref", metavar="EVIDENCE")
@pass_state
def evidence_show(state: State, item_ref: str) -> None:
    """All recorded details of one item (JSON), with its source time zone and its origin."""
    from lccu.evidence.timezones import item_timezone

    lab = state.lab()
    zone = item_timezone(lab, item_ref)
    emit_json(
        {
            **lab.get_evidence(item_ref).as_dict(),
            "source_timezone": zone.zone,
            "source_timezone_origin": zone.origin,
        }
    )


@evidence.command("timezone")
@click.argument("item_ref", metavar="EVIDENCE")
@click.argument("zone", metavar="ZONE")
@click.option("--reason", required=True, help="Why this zone (recorded in custody).")
@pass_state
def evidence_timezone(state: State, item_ref: str, zone: str, reason: str) -> None:
    """Set or change the source time zone of EVIDENCE (an IANA name such as Europe/Brussels),
    with a signed custody note; later processing and timelines use it."""
    from lccu.evidence.timezones import change_item_timezone

    head = change_item_timezone(state.lab(), item_ref, zone, reason=reason)
    plain(f"source time zone of {item_ref} is now {zone} (custody event {head['seq']})")


@evidence.command("verify")
@click.argument("item_ref", metavar="EVIDENCE")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def evidence_verify(state: State, item_ref: str, as_json: bool) -> None:
    """Re-hash a stored item (every container file and the media they carry), compare with
    intake (and an E01's stored hashes with the media) and record a `verified` event."""
    lab = state.lab()
    info = lab.get_evidence(item_ref)
    stored_bytes = sum(int(c["size"]) for c in info.containers) or info.size
    advance, stop = progress_bar(stored_bytes, f"verify {info.exhibit_number}")
    try:
        outcome = lab.verify_evidence(item_ref, progress=advance)
    finally:
        stop()
    if as_json:
        emit_json(outcome)
    else:
        word = "MATCHES" if outcome["match"] else "DOES NOT MATCH"
        lines = [
            f"{info.exhibit_number} {word} its intake hashes "
            f"(media sha256 {outcome['observed']['sha256']})"
        ]
        for name in outcome["containers_mismatched"]:
            lines.append(f"  container file {visible(name)} differs from intake")
        if outcome["stored_hashes"].get("match") == "mismatch":
            lines.append("  the hashes stored in the container differ from the media as read")
        if outcome["read_errors"]:
            lines.append(f"  {len(outcome['read_errors'])} range(s) could not be read")
        for finding in outcome.get("tampering", []):
            lines.append(f"  TAMPERING: {visible(finding)}")
        plain("\n".join(lines))
    if not outcome["match"]:
        raise SystemExit(1)
