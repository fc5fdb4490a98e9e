"""The broker and the one actor: Redis when ``LCCU_REDIS_URL`` is set, else in-process.

The actor ``lccu_work`` receives a *work token* carrying only a run id (for logs); what it
runs is chosen from the database (:mod:`lccu.tasks.queue`). Options stated here:
``time_limit`` 6 h (Dramatiq cannot interrupt a C call: YARA has its own per-segment
timeout, file-system listings a wall-clock budget checked between TSK calls,
``LCCU_FS_BUDGET_SECONDS``), ``max_retries`` 20 with 1 s..5 min backoff for
transient errors (store, Redis or database briefly unavailable); permanent errors
(:data:`lccu.tasks.runner.PERMANENT`) fail the stage inside the actor and are never retried.
"""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from lccu.config import Settings
from lccu.errors import ConfigError

QUEUE = "lccu"
ACTOR = "lccu_work"
TIME_LIMIT_MS = 6 * 3600 * 1000

_process: dict[str, Any] = {}
_opening = threading.Lock()  # worker threads may take their first token together


def make_broker(settings: Settings) -> RedisBroker:
    """A Redis broker; ``LCCU_BROKER_HEARTBEAT_MS`` sets how soon a dead worker's unacked
    tokens are requeued (default 60 s), ``LCCU_BROKER_MAINTENANCE`` how often (per million
    commands) the broker looks for them, ``LCCU_BROKER_NAMESPACE`` the Redis key prefix
    (default ``dramatiq``; give separate units or benchmarks sharing a Redis their own)."""
    if not settings.redis_url:
        raise ConfigError("no broker: set LCCU_REDIS_URL (redis://host:6379/0) to run workers")
    return RedisBroker(url=settings.redis_url, namespace=settings.broker_namespace,
                       heartbeat_timeout=settings.broker_heartbeat_ms,
                       maintenance_chance=settings.broker_maintenance)


def _operator(settings: Settings | None = None) -> tuple[Any, Any]:
    """This process's lab and store, opened once: as ``settings.user`` (the worker's
    ``--as``) when the worker opens it first with its settings, else as LCCU_USER."""
    with _opening:
        return _open_operator(settings)


def _open_operator(settings: Settings | None) -> tuple[Any, Any]:
    if "lab" not in _process:
        from lccu.evidence.lab import open_lab, require_user
        from lccu.storage import open_store

        lab = open_lab(settings=settings)
        require_user(lab)
        if lab.actor.role != "operator":
            raise ConfigError(f"workers act as an operator; {lab.actor.username} is "
                              f"{lab.actor.role}: set LCCU_USER to the unit's processing user")
        _process["lab"], _process["store"] = lab, open_store(lab.settings)
    return _process["lab"], _process["store"]


def declare(broker: dramatiq.Broker) -> dramatiq.Actor[[str], None]:
    """Register the work-token actor on ``broker`` and return it."""
    from lccu.tasks.runner import PERMANENT, handle_token

    def lccu_work(run_id: str) -> None:
        lab, store = _operator()

        def enqueue(count: int) -> None:
            for _ in range(count):
                actor.send(run_id)

        handle_token(lab, store, enqueue)

    actor: dramatiq.Actor[[str], None] = dramatiq.actor(
        actor_name=ACTOR, broker=broker, queue_name=QUEUE,
        time_limit=TIME_LIMIT_MS, max_retries=20, min_backoff=1000, max_backoff=300000,
        throws=PERMANENT)(lccu_work)
    return actor
