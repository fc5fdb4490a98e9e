"""Who is working and what is waiting: the worker registry and the queue per zone, kept in
:mod:`lccu.evidence.unit_status` (the database services live in :mod:`lccu.evidence`)."""

from __future__ import annotations

from lccu.evidence.unit_status import (
    PRIORITY_NAMES,
    PRUNE_SECONDS,
    alive_seconds,
    beat,
    intake_bytes,
    overview,
    register,
    unregister,
    worker_id,
)

__all__ = ["PRIORITY_NAMES", "PRUNE_SECONDS", "alive_seconds", "beat", "intake_bytes",
           "overview", "register", "unregister", "worker_id"]
