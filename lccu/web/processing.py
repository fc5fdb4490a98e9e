"""Processing runs from the web: submit a run, run it here when there is no Redis, and show
per-stage progress with an ETA (issue #7). Everything goes through ``lccu.tasks``."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lccu.evidence.access import Actor
from lccu.evidence.lab import Lab
from lccu.report.summary import finding_lines

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab

log = logging.getLogger(__name__)
FINISHED = frozenset({"done", "failed"})


def eta_seconds(elapsed: float, fraction: float) -> float | None:
    """Remaining seconds if the stage keeps its pace so far; None before any progress."""
    if fraction <= 0 or elapsed < 0:
        return None
    return elapsed * (1 - min(fraction, 1.0)) / fraction


def format_eta(seconds: float | None) -> str:
    """``"—"`` when unknown, else ``1:05:09`` / ``5:09`` / ``9 s`` (rounded up)."""
    if seconds is None:
        return "—"
    total = int(seconds) + (seconds % 1 > 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    if minutes:
        return f"{minutes}:{secs:02d}"
    return f"{secs} s"


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def annotate(status: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Adds ``fraction`` (0..1 or None), ``elapsed`` and ``eta``/``eta_text`` to each stage."""
    for stage in status["stages"]:
        done, total = stage["progress"]
        if stage["state"] == "done":
            fraction: float | None = 1.0
        elif total:
            fraction = min(done / total, 1.0)
        else:
            fraction = None
        started = _parse(stage["started_at"])
        elapsed = (now - started).total_seconds() if started else None
        eta = None
        if stage["state"] == "running" and elapsed is not None:
            eta = eta_seconds(elapsed, fraction or 0.0)
        stage.update(fraction=fraction, elapsed=elapsed, eta=eta,
                     eta_text=format_eta(eta) if stage["state"] == "running" else "",
                     label=stage["stage"] + (f" #{stage['segment']}"
                                             if stage["stage"] in ("carve", "yara") else ""))
    status["finished"] = status["state"] in FINISHED
    status["finding_lines"] = finding_lines(status.get("findings") or {})
    return status


def processing_view(lab: Lab, evidence_ref: str) -> dict[str, Any]:
    """The evidence item (access-checked and audited by the library) and its runs, newest
    first, each stage annotated with progress and ETA."""
    from lccu.tasks import run_status, runs_of

    item = lab.get_evidence(evidence_ref)
    now = datetime.now(UTC)
    runs = [annotate(run_status(lab, run_id), now) for run_id in runs_of(lab, item.id)]
    return {"evidence": item.as_dict(), "runs": runs,
            "finished": all(r["finished"] for r in runs)}


class Processor:
    """Starts submitted runs: work tokens to Redis workers, or (no Redis) one background
    thread that drains the queue in this process, so the request returns at once."""

    def __init__(self, make_lab: Any) -> None:
        self._make_lab = make_lab
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        #: who submitted, with the signing key their request held (embedded processing
        #: signs its custody events as the submitter, with that key and no other)
        self._pending: list[tuple[Actor, Ed25519PrivateKey | None]] = []

    def submit(self, lab: Lab, evidence_ref: str, priority: str) -> str:
        """Queue a run as the acting user; returns its id."""
        from lccu.tasks import submit

        submitted = submit(lab, evidence_ref, priority=priority)
        if lab.settings.redis_url:
            from lccu.tasks.broker import declare, make_broker

            broker = make_broker(lab.settings)
            try:
                actor = declare(broker)
                for _ in range(submitted.queued):
                    actor.send(submitted.run_id)
            finally:
                broker.close()
        else:
            self._start(lab.actor, lab.keys.held(lab.actor.username))
        return submitted.run_id

    def _start(self, actor: Actor, key: Ed25519PrivateKey | None) -> None:
        with self._lock:
            self._pending.append((actor, key))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain_all, daemon=True,
                                                name="lccu-web-drain")
                self._thread.start()

    def _drain_all(self) -> None:
        """One drainer at a time, as the submitters in turn (embedded ``lccu process``)."""
        from lccu.storage import open_store
        from lccu.tasks import drain

        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return
                actor, key = self._pending.pop(0)
            lab = self._make_lab(actor)
            lab.keys.passphrase = None  # never the server's LCCU_PASSPHRASE
            if key is not None:
                lab.keys.hold(actor.username, key)
            try:
                store = open_store(lab.settings)
                try:
                    drain(lab, store)
                finally:
                    store.close()
            except Exception:  # a thread has no caller: keep the reason in the server log
                log.exception("embedded processing as %s failed", actor.username)

    def wait(self, timeout: float) -> bool:
        """Whether the drainer finished within ``timeout`` seconds (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True
