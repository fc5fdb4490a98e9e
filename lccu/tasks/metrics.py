"""Prometheus metrics of processing, for `lccu worker` and `lccu serve`.

Two kinds:

- **per process** (counters and a histogram, counted where the work happens): stages done,
  failed and retried, stage durations and bytes per stage kind (bytes/s is
  ``rate(lccu_stage_bytes_total[5m])``). With ``lccu worker --processes N`` the children
  write them to files in a directory the supervisor owns (prometheus_client's multiprocess
  mode, ``PROMETHEUS_MULTIPROC_DIR``) and the supervisor serves their sum.
- **from the case database** at each scrape (:class:`UnitCollector`): queue depth per zone,
  priority and state, workers alive, seconds since each worker's heartbeat, and intake
  bytes per zone (every evidence item's size, whichever way it came in). Any endpoint of the
  unit gives the same figures.

Dramatiq's own Prometheus middleware is not used: it keeps its files in one fixed temporary
directory per machine, is configured by its own environment variables and serves from a
process only Dramatiq's command line forks; the retries it would count are the work tokens',
which lccu counts per stage instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from lccu.evidence.unit_status import HasDatabase

#: stage durations: from a cached reuse (milliseconds) to a 2 TB hash (hours)
BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600)

STAGES_DONE = Counter("lccu_stages_done_total", "Stages finished (computed or reused).",
                      ["stage", "reused"])
STAGE_FAILURES = Counter("lccu_stage_failures_total",
                         "Stages failed for a permanent reason (not retried).", ["stage"])
STAGE_RETRIES = Counter("lccu_stage_retries_total",
                        "Stages given back to the queue after a transient error.", ["stage"])
STAGE_SECONDS = Histogram("lccu_stage_duration_seconds", "Wall-clock time of finished stages.",
                          ["stage"], buckets=BUCKETS)
STAGE_BYTES = Counter("lccu_stage_bytes_total",
                      "Image bytes covered by finished stages (computed, not reused).",
                      ["stage"])


def stage_kind(stage: str) -> str:
    """Metric label of a stage: its kind, never a segment number (bounded cardinality)."""
    return stage.split("#", 1)[0]


def observe_stage(stage: str, outcome: str, seconds: float, nbytes: int,
                  reused: bool = False) -> None:
    """Count one stage attempt: ``outcome`` is done, failed or retried."""
    kind = stage_kind(stage)
    if outcome == "done":
        STAGES_DONE.labels(kind, "true" if reused else "false").inc()
        STAGE_SECONDS.labels(kind).observe(seconds)
        if not reused:
            STAGE_BYTES.labels(kind).inc(nbytes)
    elif outcome == "failed":
        STAGE_FAILURES.labels(kind).inc()
    else:
        STAGE_RETRIES.labels(kind).inc()


class UnitCollector(Collector):
    """Figures read from the case database at scrape time (see the module docstring)."""

    def __init__(self, lab: HasDatabase) -> None:
        self.lab = lab

    def collect(self) -> Iterator[Any]:
        from lccu.tasks.health import intake_bytes, overview

        view = overview(self.lab)
        depth = GaugeMetricFamily("lccu_queue_stages", "Stages of unfinished runs per zone, "
                                  "priority and state (waiting, queued, running).",
                                  labels=["zone", "priority", "state"])
        for row in view["queue"]:
            for state in ("waiting", "queued", "running"):
                depth.add_metric([row["zone"], row["priority"], state], row[state])
        yield depth
        alive = GaugeMetricFamily("lccu_workers_alive", "Worker processes whose heartbeat is "
                                  "recent (two leases).")
        alive.add_metric([], sum(w["alive"] for w in view["workers"]))
        yield alive
        age = GaugeMetricFamily("lccu_worker_heartbeat_age_seconds", "Seconds since each "
                                "registered worker's last heartbeat.", labels=["worker"])
        now = time.time()
        for w in view["workers"]:
            age.add_metric([w["id"]], max(0.0, now - w["heartbeat_unix"]))
        yield age
        intake = CounterMetricFamily("lccu_intake_bytes", "Bytes of evidence taken in, per "
                                     "zone of the case.", labels=["zone"])
        for zone, total in sorted(intake_bytes(self.lab).items()):
            intake.add_metric([zone], total)
        yield intake


class _Joined(Collector):
    """Several collectors served as one (this process's own registry is shared)."""

    def __init__(self, *sources: Any) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Any]:
        for source in self.sources:
            yield from source.collect()


def registry_for(lab: HasDatabase, *, multiprocess_dir: str | None = None) -> CollectorRegistry:
    """What one endpoint serves: this process's counters (or, for a supervisor, the sum of
    its children's from ``multiprocess_dir``) and the unit's figures from the database."""
    from prometheus_client import REGISTRY

    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir is None:
        registry.register(_Joined(REGISTRY, UnitCollector(lab)))
    else:
        from prometheus_client import multiprocess

        inner = CollectorRegistry()
        multiprocess.MultiProcessCollector(inner, path=multiprocess_dir)
        registry.register(_Joined(inner, UnitCollector(lab)))
    return registry


def serve(registry: CollectorRegistry, host: str, port: int) -> str:
    """Start the exposition HTTP server in a daemon thread; returns its URL."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=registry)
    bound = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{bound}/metrics"


def multiprocess_dir() -> str | None:
    """The directory this process writes its counters to, if a supervisor gave one."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")
