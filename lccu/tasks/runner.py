"""One work token: claim the fairest runnable stage, run it, record it exactly once.

Exactly once: the result is stored first (under a key derived from its cache key, so a
redo overwrites the same objects), then the ``processed`` custody event is appended unless
one for this stage of this run exists (its ``reason`` names the stage run; the library
checks and appends under the case row's lock, ``record_event(once=True)``), then the stage
is marked done while the claim still holds. A worker killed at any point leaves a running
stage whose lease expires; whoever claims it next finds the stored result or the event and
finishes the bookkeeping instead of redoing the work twice.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lccu.errors import (
    AccessDenied,
    ImageFormatError,
    InvalidInput,
    LccuError,
    NotFound,
    PermanentTaskError,
    RuleError,
)
from lccu.report.summary import FINDINGS_LIMIT, findings
from lccu.tasks import metrics, queue
from lccu.tasks.health import worker_id
from lccu.tasks.report import merge_report, report_key
from lccu.tasks.stages import STAGES, StageContext
from lccu.tasks.versions import (
    RULE_DEPENDENT,
    cache_key,
    canonical,
    digest,
    tool_versions,
    worker_host,
)

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab

#: errors that retrying cannot fix: the stage fails with the reason, the run goes on
PERMANENT = (PermanentTaskError, ImageFormatError, AccessDenied, NotFound, InvalidInput,
             RuleError)
Enqueue = Callable[[int], None]
log = logging.getLogger(__name__)


class _Busy:
    """How many of this process's threads are running a stage (the janitor sends overdue
    tokens only for threads that are free to take them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __enter__(self) -> None:
        with self._lock:
            self.count += 1

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self.count -= 1


BUSY = _Busy()


def stage_reason(claim: queue.Claim) -> str:
    return f"stage {claim.stage} segment {claim.segment} of processing run {claim.run_id}"


class _Beat(threading.Thread):
    """Renews the lease and publishes progress while a stage runs."""

    def __init__(self, lab: Lab, claim: queue.Claim, every: float) -> None:
        super().__init__(daemon=True, name=f"lccu-heartbeat-{claim.stage_id}")
        self.lab, self.claim, self.every = lab, claim, every
        self.done: int = 0
        self.total: int | None = None
        self.stopped = threading.Event()

    def tick(self, n: int, total: int | None) -> None:
        self.done += n
        self.total = total

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                self.lab.run_queue.heartbeat(self.claim, self.done, self.total)
            except Exception:
                continue


def _recorded(lab: Lab, claim: queue.Claim) -> bool:
    return bool(lab.run_queue.processed_recorded(claim.evidence_id, stage_reason(claim)))


def _inputs(lab: Lab, store: Any, claim: queue.Claim) -> dict[str, list[dict[str, Any]]]:
    rows = lab.run_queue.stage_results(claim.run_id)
    out: dict[str, list[dict[str, Any]]] = {}
    for stage in queue.DEPENDS[claim.stage]:
        for row in rows.get(stage, []):
            if row.state == "done" and row.result_key:
                with store.open_derived(row.result_key) as fh:
                    out.setdefault(stage, []).append(json.loads(fh.read()))
            else:
                out.setdefault(f"{stage}:failed", []).append(
                    {"stage": stage, "segment": row.segment, "reason": row.reason})
    return out


def _execute(lab: Lab, store: Any, claim: queue.Claim, key: str,
             beat: _Beat) -> tuple[str, str, bool, dict[str, Any] | None]:
    """Run the stage, or reuse the result an earlier run of this item stored under ``key``
    (the key names the item); returns (result key, result digest, reused, the result when
    it was computed here)."""
    hit = lab.run_queue.cached(key) if claim.stage != "report" else None
    if hit is not None:
        return hit.result_key, hit.result_digest, True, None
    ctx = StageContext(lab, store, claim.evidence_id, claim.stage, claim.seg_start,
                       claim.seg_end, key[:16], claim.options, _inputs(lab, store, claim),
                       beat.tick, run_id=claim.run_id)
    if claim.stage == "report":
        result = merge_report(ctx, lab, claim)
        result_key = report_key(claim.evidence_id, claim.run_id, "json")
    else:
        result = STAGES[claim.stage](ctx)
        result_key = f"{claim.evidence_id}/{key[:16]}/result.json"
    store.put_derived(result_key, io.BytesIO(canonical(result)))
    return result_key, digest(result), False, result


def handle_token(lab: Lab, store: Any, enqueue: Enqueue) -> str | None:
    """Do one unit of work; returns the stage run ('hash', 'carve#2', ...) or None if idle.

    Transient errors propagate after the stage is released (Dramatiq retries the token with
    backoff); permanent ones fail the stage with the reason."""
    with BUSY:
        return _handle_token(lab, store, enqueue)


def _handle_token(lab: Lab, store: Any, enqueue: Enqueue) -> str | None:
    claim = lab.run_queue.claim(worker_id())
    if claim is None:
        return None
    started, outcome, reused = time.monotonic(), "retried", False
    label = claim.stage if claim.stage in ("hash", "files", "archives", "yara-files", "hashsets",
                                           "thumbnails", "report") \
        else f"{claim.stage}#{claim.segment}"
    beat = _Beat(lab, claim, max(1.0, queue.lease_seconds() / 4))
    beat.start()
    try:
        sha256 = lab.get_evidence(claim.evidence_id, processing=True).sha256 or ""
        key = cache_key(claim.evidence_id, sha256, claim.stage, claim.seg_start,
                        claim.seg_end, claim.options)
        if claim.stage == "report":
            key = digest({"report": claim.run_id})
        result: dict[str, Any] | None = None
        if claim.result_key:  # a previous holder stored (or found) the result, then died
            result_key, reused = claim.result_key, claim.reused
            with store.open_derived(result_key) as fh:
                result = json.loads(fh.read())
            result_digest = digest(result)
        else:
            result_key, result_digest, reused, result = _execute(lab, store, claim, key, beat)
        if result is None and claim.stage in ("hash", "report", "hashsets"):  # reused: read it
            with store.open_derived(result_key) as fh:
                result = json.loads(fh.read())
        _record(lab, claim, result_key, result_digest, reused, result)
        queued = lab.run_queue.finish(claim, state="done", cache_key=key,
                                      result_key=result_key, result_digest=result_digest,
                                      reused=reused, evidence_sha256=sha256,
                                      versions=tool_versions(),
                                      findings=findings(result) if claim.stage == "report"
                                      and result is not None else None)
        outcome = "done"
    except PERMANENT as exc:
        queued = lab.run_queue.finish(claim, state="failed",
                                      reason=f"{type(exc).__name__}: {exc}")
        outcome = "failed"
    except BaseException as exc:
        queued = lab.run_queue.release(claim, f"{type(exc).__name__}: {exc}")
        if queued >= 0:
            outcome = "failed"  # out of attempts
        if queued < 0 or not isinstance(exc, Exception):
            raise
    finally:
        beat.stopped.set()
        if claim.stage == "archives" and outcome in ("done", "failed"):
            _drop_passwords(store, claim)
        metrics.observe_stage(claim.stage, outcome, time.monotonic() - started,
                              claim.seg_end - claim.seg_start, reused)
    if queued > 0:
        enqueue(queued)
    return label


def _drop_passwords(store: Any, claim: queue.Claim) -> None:
    """The archives stage ended: the run's sealed case password list is no longer needed."""
    from lccu.archive.sealed import drop_passwords

    try:
        drop_passwords(store, claim.options)
    except LccuError as exc:  # the run's result stands; say so, without the list
        log.warning("run %s: the sealed case password list was not deleted: %s",
                    claim.run_id, exc)


def _offer_notable(lab: Lab, claim: queue.Claim, report: dict[str, Any]) -> None:
    """The report's notable files are offered for cross-zone hit/no-hit (idempotent: a
    successor finishing this stage offers them again harmlessly)."""
    from lccu.hashsets.lookup import notable_sha256s

    offered = notable_sha256s(report)
    if offered:
        lab.xzone_offer(claim.case_id, claim.evidence_id, claim.run_id, offered,
                        processing=True)


def _record(lab: Lab, claim: queue.Claim, result_key: str, result_digest: str,
            reused: bool, result: dict[str, Any] | None = None) -> None:
    # a successor finishes from here, without redoing, and says what this holder did
    if not lab.run_queue.keep_result(claim, result_key, reused):
        raise PermanentTaskError(f"{stage_reason(claim)}: lease lost before recording")
    if claim.stage == "report" and result is not None:
        _offer_notable(lab, claim, result)
    if _recorded(lab, claim):
        return
    details = {"stage": claim.stage, "segment": claim.segment,
               "range": [claim.seg_start, claim.seg_end], "run": claim.run_id,
               "worker_host": worker_host(), "worker_pid": os.getpid(),
               "versions": tool_versions(),
               "rules": claim.options.get("rules_identity"), "result": result_key,
               "result_digest": result_digest, "reused": reused}
    if claim.stage in RULE_DEPENDENT and claim.options.get("yara_rules"):
        # the engine (and version) that ran each rule file; the identity pins them
        details["rule_engines"] = [
            {k: f.get(k) for k in ("namespace", "sha256", "engine", "engine_version", "reason",
                                   "split")}
            for f in claim.options["yara_rules"]["files"]]
    if claim.stage == "hash" and result is not None:  # read as acquired? facts of the media
        image = result.get("image", {})
        faults = result.get("read_errors", [])
        details["media"] = {"read_errors": faults[:FINDINGS_LIMIT],
                            "read_errors_total": len(faults),
                            "unreadable_bytes": image.get("unreadable_bytes", 0),
                            "stored_hashes": image.get("stored_hashes")}
    if claim.stage == "archives":  # how expansion ran; never the case passwords themselves
        from lccu.archive.sealed import REF
        from lccu.pipeline.archives import expansion_settings
        from lccu.tasks.expand import run_limits

        details["expansion"] = expansion_settings(run_limits(claim.options),
                                                  bool(claim.options.get(REF)))
    if claim.stage == "hashsets" and result is not None:  # the set versions used, counts
        found = result
        details["hashsets"] = {"sets": [{k: s[k] for k in ("name", "version", "kind")}
                                        for s in found["hashsets"]],
                               "known": found["known"], "notable": found["notable"]}
    lab.record_event(claim.case_id, "processed", evidence=claim.evidence_id,
                     reason=stage_reason(claim), details=details, processing=True, once=True)
