"""``lccu scan``: the whole job on one machine, from an image file to ``report.json/html``.

Order: hash the image (one sequential pass, MD5+SHA-1+SHA-256), list and extract file
systems, carve, YARA, then write the reports. A stage that fails puts its problem in
``errors`` and the others still run; only an image that cannot be read at all raises.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast
from zoneinfo import ZoneInfo

from lccu.archive import ExpansionLimits, expansion_limits
from lccu.errors import LccuError
from lccu.fs.times import source_zone, zone_name
from lccu.hashing import Digests, hash_stream
from lccu.hashsets.lookup import HashSetLookup
from lccu.imaging import ImageStream, open_image
from lccu.imaging.integrity import check_media
from lccu.imaging.tsk import TskImage
from lccu.pipeline.archives import ExpansionResult, expand_containers, expansion_settings
from lccu.pipeline.assemble import assemble_report
from lccu.pipeline.carving import carve_image, carve_ranges
from lccu.pipeline.filesystem import FileSystemResult, list_and_extract
from lccu.pipeline.sink import DirectorySink
from lccu.pipeline.yarascan import scan_all
from lccu.report import write_reports

#: progress(stage, advance, total): advance units of work done in stage (total may be None)
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class ScanOptions:
    rules: Sequence[Path] = ()
    yara: bool = True
    carve: str = "all"  # "all", "unallocated" or "none"
    case: dict[str, Any] | None = None
    evidence: dict[str, Any] | None = None
    extra_errors: list[dict[str, str]] = field(default_factory=list)
    timezone: str | None = None  # IANA zone of the source machine (FAT/exFAT local times)
    #: open archives and documents found (``--no-expand`` turns it off)
    expand: bool = True
    #: expansion limits; None reads them from the settings (LCCU_ARCHIVE_*)
    limits: ExpansionLimits | None = None
    #: the case's password list for encrypted archives: never in a report or a repr
    passwords: tuple[str, ...] = field(default=(), repr=False)
    #: the hash sets every file is looked up in (None: none, every ``hashsets`` is empty)
    hashsets: HashSetLookup | None = None


def _noop(_stage: str, _n: int, _total: int | None) -> None:
    return None


def image_format(stream: ImageStream) -> str:
    """The container format that carried the media (``raw``, ``split``, ``ewf``, ``vmdk``,
    ``vhd``, ``vhdx``, ``qcow2``...)."""
    return stream.media.format if stream.media is not None else "raw"


def image_fields(image: ImageStream, digests: Digests) -> dict[str, Any]:
    """The ``image`` block's media facts: size, hashes, format and container files."""
    return {"size": digests.size, "md5": digests.md5, "sha1": digests.sha1,
            "sha256": digests.sha256, "format": image_format(image),
            "containers": list(image.media.containers) if image.media else []}


def hash_result(image: ImageStream,
                progress: Callable[[int], None]) -> tuple[Digests, dict[str, Any]]:
    """The hash stage's result: one pass for MD5, SHA-1 and SHA-256, and what that pass
    learned about the media (read errors, hashes stored in the container)."""
    digests = hash_stream(image, progress=progress)
    media = check_media(image, digests)  # complete: the hash read every byte
    return digests, {"image": {**image_fields(image, digests), **media.image_fields()},
                     "errors": media.errors(), "read_errors": media.read_errors()}


def files_result(tsk: TskImage, sink: DirectorySink, zone: ZoneInfo | None,
                 tick: Callable[[int], None]) -> tuple[FileSystemResult, dict[str, Any]]:
    """The files stage's result: every volume and file listed, readable ones extracted to
    ``sink`` (``exported`` relative to it)."""
    try:
        fs = list_and_extract(tsk, sink, tick=tick, zone=zone)
    finally:
        tsk.clear_cache()
    return fs, {"volumes": fs.volumes, "files": fs.files, "errors": fs.errors,
                "warnings": fs.warnings, "source_timezone": zone_name(zone)}


def build_report(image: ImageStream, label: str, out: DirectorySink, options: ScanOptions,
                 progress: Progress = _noop) -> dict[str, Any]:
    """Run every stage over an open image; return the report dictionary (not yet written),
    assembled from the stages' results like a worker run's
    (:func:`lccu.pipeline.assemble.assemble_report`)."""
    zone = source_zone(options.timezone)
    _digests, hashed = hash_result(image, lambda n: progress("hash", n, image.size))
    results: dict[str, list[dict[str, Any]]] = {"hash": [hashed]}
    image.seek(0)
    stream = cast(BinaryIO, image)  # ImageStream is a read-only, seekable binary stream
    tsk = TskImage(stream, image.size, name=label)
    fs, listed = files_result(tsk, out, zone, lambda n: progress("files", n, None))
    results["files"] = [listed]
    carved: list[dict[str, Any]] = []
    if options.carve != "none":
        ranges = carve_ranges(image, label, fs.entries, options.carve)
        carved, carve_errors = carve_image(stream, image.size, out, fs.entries, ranges=ranges,
                                           tick=lambda n: progress("carve", n, None))
        results["carve"] = [{"carved": carved, "errors": carve_errors}]
    expanded = ExpansionResult()
    limits = options.limits or expansion_limits()
    if options.expand:
        expanded = expand_containers(fs.files, carved, out, limits=limits,
                                     passwords=options.passwords,
                                     tick=lambda n: progress("archives", n, None))
        results["archives"] = [{"members": expanded.members, "archives": expanded.archives,
                                "expansion": expansion_settings(limits, options.passwords),
                                "errors": expanded.errors}]
    yara_rules: dict[str, Any] | None = None
    if options.yara:
        try:
            from lccu.scan import load_rules

            rules = load_rules(list(options.rules))
        except LccuError as exc:
            results["yara"] = [{"yara": [], "errors": [{"where": "yara rules",
                                                        "message": str(exc)}]}]
        else:
            yara_rules = rules.report_record()
            hits, yara_errors = scan_all(stream, image.size, rules, fs.entries, fs.files, carved,
                                         out, tick=lambda n: progress("yara", n, None),
                                         members=expanded.members)
            results["yara"] = [{"yara": hits, "errors": yara_errors}]
    if options.hashsets is not None:
        if options.hashsets.sets:
            progress("hashsets", 0, None)
        results["hashsets"] = [options.hashsets.result(results)]
    return assemble_report(results, label=label, errors=options.extra_errors,
                           yara_rules=yara_rules, case=options.case, evidence=options.evidence)


def run_scan(image_path: str | os.PathLike[str], out_dir: Path,
             options: ScanOptions | None = None, progress: Progress = _noop) -> dict[str, Any]:
    """Scan a local image (raw, split raw or E01) into ``out_dir``; returns the report."""
    options = options or ScanOptions()
    out = DirectorySink(out_dir)
    with open_image(image_path) as image:
        report = build_report(image, str(image_path), out, options, progress)
    write_reports(report, out.root)
    return report
