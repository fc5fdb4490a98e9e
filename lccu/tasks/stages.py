"""The work of each stage, on a worker: ids in, a JSON result and derived files out.

Each function gets a :class:`StageContext` and returns the stage's result dictionary. The
engines are the very ones ``lccu scan`` uses (:mod:`lccu.pipeline`), so results match the
embedded scan. Derived files are uploaded under ``derived/<evidence id>/<stage dir>/``;
``exported`` paths in results are relative to ``derived/<evidence id>/``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from lccu.config import current_settings
from lccu.errors import PermanentTaskError
from lccu.fs import OutOfTime, Problem
from lccu.fs.times import source_zone, zone_name
from lccu.imaging.tsk import TskImage
from lccu.pipeline.carving import carve_image, carve_ranges
from lccu.pipeline.filesystem import list_entries, listing_budget
from lccu.pipeline.scan import files_result, hash_result
from lccu.pipeline.sink import DirectorySink
from lccu.pipeline.yarascan import image_records, scan_derived
from lccu.scan import RuleSet, ScanProblem, load_rules, scan_stream
from lccu.tasks.expand import run_archives
from lccu.tasks.thumbnails import run_thumbnails
from lccu.timeline import write_timeline

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab

Tick = Callable[[int, int | None], None]


@dataclass
class StageContext:
    """What a stage may touch: the lab (as operator), the store, its own segment."""

    lab: Lab
    store: Any
    evidence_id: str
    stage: str
    seg_start: int
    seg_end: int
    stage_dir: str  # <cache key prefix>: where this stage's derived files go
    options: dict[str, Any]
    inputs: dict[str, list[dict[str, Any]]]  # results of finished stages (report, yara-files)
    tick: Tick
    run_id: str = ""

    @property
    def purpose(self) -> str:
        """The ``accessed`` event's reason: one per run and stage kind, not per segment."""
        return f"processing run {self.run_id}: {self.stage}"

    @contextmanager
    def image(self) -> Iterator[tuple[Any, str]]:
        """The evidence image, through the library's processing path. Custody says once that
        this stage of this run read the item (``once=True``: up to thousands of segment
        jobs, one ``accessed`` event); each segment's own ``processed`` event names its
        byte range, and every open is audited."""
        with self.lab.open_evidence_image(self.evidence_id, purpose=self.purpose,
                                          processing=True, once=True) as (image, label):
            yield image, label

    def upload(self, sink: DirectorySink, relative: str | None) -> str | None:
        """Copy one derived file to the store; returns its path below derived/<evidence>/."""
        if not relative:
            return None
        name = f"{self.stage_dir}/{relative}"
        with sink.path(relative).open("rb") as fh:
            self.store.put_derived(f"{self.evidence_id}/{name}", fh)
        return name

    def rules(self) -> RuleSet:
        paths = [Path(p) for p in self.options.get("rules", [])]
        rules = load_rules(paths)
        if rules.identity != self.options.get("rules_identity"):
            raise PermanentTaskError(
                f"the YARA rules on this worker ({rules.identity[:12]}) differ from the ones "
                f"the run was submitted with ({str(self.options.get('rules_identity'))[:12]}); "
                "deploy the same rule files on every worker and resubmit")
        return rules


def run_hash(ctx: StageContext) -> dict[str, Any]:
    """Hash the media in one pass; the result also says whether it was read as acquired
    (read errors, hashes stored in the container) and as taken in (intake hashes)."""
    with ctx.image() as (image, _label):
        digests, result = hash_result(image, lambda n: ctx.tick(n, image.size))
    # compared with the hashes the intake event signed, never the mutable item columns
    signed = ctx.lab.signed_intake_hashes(ctx.evidence_id, processing=True)
    observed = {"md5": digests.md5, "sha1": digests.sha1, "sha256": digests.sha256}
    differ = sorted(k for k, v in observed.items() if signed["hashes"].get(k) not in (None, v))
    errors = [{"where": "hash", "message": f"{', '.join(differ)} differ from intake: the stored "
               "copy changed; verify the evidence (`lccu evidence verify`)"}] if differ else []
    errors += [{"where": "hash", "message": f"tampering: {finding}"}
               for finding in signed["tampering"]]
    return {**result, "matches_intake": not differ and not signed["tampering"],
            "errors": [*result["errors"], *errors]}


def run_files(ctx: StageContext) -> dict[str, Any]:
    zone = source_zone(ctx.options.get("timezone"))
    with tempfile.TemporaryDirectory(prefix="lccu-files-") as tmp, ctx.image() as (image, label):
        sink = DirectorySink(Path(tmp))
        tsk = TskImage(image, image.size, name=label)
        fs, result = files_result(tsk, sink, zone, lambda n: ctx.tick(n, None))
        uploaded: dict[str, str | None] = {}
        for record in fs.files:
            rel = record["exported"]
            if rel and rel not in uploaded:
                uploaded[rel] = ctx.upload(sink, rel)
            record["exported"] = uploaded.get(rel) if rel else None
    return result


def run_timeline(ctx: StageContext) -> dict[str, Any]:
    """The item's timeline, once per item (not per segment): every file-system time as CSV
    (local times of an unknown zone kept as such), with the SHA-256 the files stage computed,
    stored as ``<stage dir>/timeline.csv`` beside the report in derived/<evidence id>/."""
    zone = source_zone(ctx.options.get("timezone"))
    hashes = {(r["volume"], r["inode"]): r["sha256"] for result in ctx.inputs.get("files", [])
              for r in result["files"] if r.get("sha256") and r.get("inode") is not None}
    name = f"{ctx.stage_dir}/timeline.csv"
    with tempfile.TemporaryDirectory(prefix="lccu-timeline-") as tmp, \
            ctx.image() as (image, label):
        path = Path(tmp) / "timeline.csv"
        tsk = TskImage(image, image.size, name=label)
        try:
            with path.open("w", encoding="utf-8", newline="", errors="surrogateescape") as fh:
                written = write_timeline(tsk, fh, "csv", zone, label, budget=listing_budget(),
                                         hashes=hashes)
        finally:
            tsk.clear_cache()
        with path.open("rb") as fh:
            ctx.store.put_derived(f"{ctx.evidence_id}/{name}", fh)
    ctx.tick(1, 1)
    return {"timeline": name, "format": "csv", "events": written.lines,
            "volumes": written.volumes, "source_timezone": zone_name(zone), "errors": []}


def stopped_listing(problems: list[Problem], use: str) -> list[dict[str, str]]:
    """The "listing stopped" errors of a segment job's own walk (its other problems are the
    files stage's to report): the owners it names may be incomplete."""
    return [{"where": p.where, "message": f"{use}: {p.message}"}
            for p in problems if isinstance(p, OutOfTime)]


def run_carve(ctx: StageContext) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lccu-carve-") as tmp, ctx.image() as (image, label):
        sink = DirectorySink(Path(tmp))
        problems: list[Problem] = []
        entries = list_entries(image, label, problems)
        stopped = stopped_listing(problems, "owners of carved data")
        ranges = carve_ranges(image, label, entries, str(ctx.options.get("carve", "all")),
                              (ctx.seg_start, ctx.seg_end))
        if not ranges:
            ctx.tick(1, 1)
            return {"carved": [], "errors": stopped}
        carved, errors = carve_image(image, image.size, sink, entries, ranges=ranges,
                                     tick=lambda n: ctx.tick(n, None))
        for item in carved:
            item["exported"] = ctx.upload(sink, item["exported"])
    return {"carved": carved, "errors": [*stopped, *errors]}


def yara_threads() -> int:
    """Threads one YARA segment job uses (``LCCU_YARA_THREADS``, default 2 like ``lccu
    scan``); with several worker processes per server, 1 avoids oversubscribing cores."""
    return current_settings().yara_threads


def run_yara(ctx: StageContext) -> dict[str, Any]:
    """Scan the hits that start in image bytes ``[seg_start, seg_end)``: the very segment
    scan ``lccu scan`` runs (:func:`lccu.scan.scan_stream` with a ``span``: same
    look-behind, same overlap reaching into the next segment, which owns the hits there)."""
    rules = ctx.rules()
    problems: list[ScanProblem] = []
    with ctx.image() as (image, label):
        found = list(scan_stream(cast(BinaryIO, image), image.size, rules,
                                 span=(ctx.seg_start, min(ctx.seg_end, image.size)),
                                 workers=yara_threads(), errors=problems))
        walked: list[Problem] = []
        entries = list_entries(image, label, walked) if found else []
    ctx.tick(1, 1)
    errors = [*stopped_listing(walked, "owners of YARA hits"),
              *({"where": f"yara {p.target}", "message": p.message} for p in problems)]
    return {"yara": image_records(found, entries), "errors": errors}


def run_yara_files(ctx: StageContext) -> dict[str, Any]:
    """YARA over every extracted and carved file and archive member, read back from the
    store: ``lccu scan``'s file-level scan (:func:`lccu.pipeline.yarascan.scan_derived`)."""
    rules = ctx.rules()
    files = [r for result in ctx.inputs.get("files", []) for r in result["files"]]
    carved = [c for result in ctx.inputs.get("carve", []) for c in result["carved"]]
    members = [m for result in ctx.inputs.get("archives", []) for m in result["members"]]
    hits, errors = scan_derived(
        files, carved, members, rules,
        lambda relative: ctx.store.open_derived(f"{ctx.evidence_id}/{relative}"),
        tick=lambda n: ctx.tick(n, None))
    return {"yara": hits, "errors": errors}


def run_hashsets(ctx: StageContext) -> dict[str, Any]:
    """Look every file, carved file and archive member the run found up in the hash set
    versions the run was submitted with (by every hash type each set has); the result holds
    the hits per digest, which the report puts on each record."""
    from lccu.hashsets.lookup import records_of, stage_result

    result = stage_result(ctx.lab.hashsets, list(ctx.options.get("hashsets") or []),
                          records_of(ctx.inputs))
    ctx.tick(1, 1)
    return result


STAGES: dict[str, Callable[[StageContext], dict[str, Any]]] = {
    "hash": run_hash,
    "files": run_files,
    "carve": run_carve,
    "yara": run_yara,
    "archives": run_archives,
    "yara-files": run_yara_files,
    "timeline": run_timeline,
    "hashsets": run_hashsets,
    "thumbnails": run_thumbnails,
}
