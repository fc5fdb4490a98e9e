"""The processing queue's run state: the models are kept in :mod:`lccu.evidence.runstate`
(ORM models live in :mod:`lccu.evidence`); re-exported here for the queue's own modules."""

from __future__ import annotations

from lccu.evidence.runstate import (
    PRIORITIES,
    STAGE_STATES,
    TERMINAL,
    ProcessingRun,
    StageResult,
    StageRun,
    WorkerProcess,
)

__all__ = ["PRIORITIES", "STAGE_STATES", "TERMINAL", "ProcessingRun", "StageResult",
           "StageRun", "WorkerProcess"]
