"""Who is working and what is waiting: the worker registry and the queue per zone.

Each `lccu worker` process registers itself (``host:pid``), renews a heartbeat from its
janitor thread (every half lease) and removes itself on a clean stop. A worker is *alive*
while its heartbeat is younger than :func:`alive_seconds` (two leases); one killed by the OOM
killer or a power cut goes stale and is shown as lost until it is pruned a day later. What a
worker runs comes from the stage rows it holds (their ``worker_host`` is its ``host:pid``).
The same overview feeds ``lccu status --workers``, the web's workers page and the metrics.

Kept in :mod:`lccu.evidence` with the other database services (nothing outside it opens
sessions); :mod:`lccu.tasks.health` re-exports it for the workers. Who may *see* the
overview is the gate's decision (:meth:`lccu.evidence.gate.Gate.unit_view`).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import delete, func, select

from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.models import Case, EvidenceItem, Zone
from lccu.evidence.runstate import PRIORITIES, ProcessingRun, StageRun, WorkerProcess

if TYPE_CHECKING:
    from lccu.evidence.db import Database

PRUNE_SECONDS = 24 * 3600
PRIORITY_NAMES = {v: k for k, v in PRIORITIES.items()}



class HasDatabase(Protocol):
    """What the unit-wide figures read: a lab, or the web server's state (metrics)."""

    @property
    def db(self) -> Database: ...

def worker_id() -> str:
    """This process as the queue and the registry name it: ``host:pid``."""
    from lccu.tasks.versions import worker_host

    return f"{worker_host()}:{os.getpid()}"


def alive_seconds() -> int:
    """A heartbeat older than this means the worker is gone (two leases)."""
    from lccu.evidence.fair_queue import lease_seconds

    return 2 * lease_seconds()


def register(lab: Any, *, threads: int, metrics_url: str | None) -> str:
    """Add this process to the registry (replacing a stale row of a reused pid)."""
    from lccu import __version__

    wid, now = worker_id(), int(time.time())
    with lab.db.session() as session:
        session.execute(delete(WorkerProcess).where(
            (WorkerProcess.id == wid) | (WorkerProcess.heartbeat_unix < now - PRUNE_SECONDS)))
        stamp = format_time(utc_now())
        session.add(WorkerProcess(id=wid, host=wid.rpartition(":")[0], pid=os.getpid(),
                                  username=lab.actor.username, version=__version__,
                                  threads=threads, started_at=stamp, heartbeat_at=stamp,
                                  heartbeat_unix=now, metrics_url=metrics_url))
    return wid


def beat(lab: Any, wid: str) -> None:
    """Renew the heartbeat (re-registers nothing: a pruned row stays gone until restart)."""
    with lab.db.session() as session:
        row = session.get(WorkerProcess, wid)
        if row is not None:
            row.heartbeat_at, row.heartbeat_unix = format_time(utc_now()), int(time.time())


def unregister(lab: Any, wid: str) -> None:
    with lab.db.session() as session:
        session.execute(delete(WorkerProcess).where(WorkerProcess.id == wid))


def overview(lab: HasDatabase) -> dict[str, Any]:
    """Workers (alive or lost, each with the stages it holds) and the queue per zone and
    priority: stages waiting for others, queued (runnable) and running."""
    now = int(time.time())
    limit = alive_seconds()
    with lab.db.session() as session:
        workers = list(session.scalars(select(WorkerProcess).order_by(WorkerProcess.id)))
        running = list(session.execute(
            select(StageRun.worker_host, StageRun.stage, StageRun.segment, StageRun.run_id,
                   ProcessingRun.evidence_id, StageRun.zone, StageRun.started_at)
            .join(ProcessingRun, ProcessingRun.id == StageRun.run_id)
            .where(StageRun.state == "running").order_by(StageRun.id)))
        counts = list(session.execute(
            select(StageRun.zone, StageRun.priority, StageRun.state, func.count())
            .where(StageRun.state.in_(("waiting", "queued", "running")))
            .group_by(StageRun.zone, StageRun.priority, StageRun.state)))
    holding: dict[str | None, list[dict[str, Any]]] = {}
    for host, stage, segment, run, evidence, zone, started in running:
        holding.setdefault(host, []).append(
            {"stage": stage, "segment": segment, "run": run, "evidence": evidence,
             "zone": zone, "started_at": started})
    queue_rows: dict[tuple[str, str], dict[str, Any]] = {}
    for zone, priority, state, count in counts:
        name = PRIORITY_NAMES.get(priority, str(priority))
        row = queue_rows.setdefault((zone, name), {"zone": zone, "priority": name,
                                                   "waiting": 0, "queued": 0, "running": 0})
        row[state] = int(count)
    return {
        "alive_seconds": limit,
        "workers": [{"id": w.id, "host": w.host, "pid": w.pid, "user": w.username,
                     "version": w.version, "threads": w.threads, "started_at": w.started_at,
                     "heartbeat_at": w.heartbeat_at, "heartbeat_unix": w.heartbeat_unix,
                     "alive": now - w.heartbeat_unix <= limit,
                     "metrics_url": w.metrics_url, "running": holding.get(w.id, [])}
                    for w in workers],
        "queue": sorted(queue_rows.values(), key=lambda r: (r["zone"], r["priority"])),
    }


def intake_bytes(lab: HasDatabase) -> dict[str, int]:
    """Bytes of evidence taken in per zone of the case (all intakes: CLI, web, library)."""
    with lab.db.session() as session:
        rows = session.execute(
            select(Zone.name, func.coalesce(func.sum(EvidenceItem.size), 0))
            .join(Case, Case.zone_id == Zone.id).join(EvidenceItem, EvidenceItem.case_id == Case.id)
            .group_by(Zone.name))
        return {zone: int(total or 0) for zone, total in rows}
