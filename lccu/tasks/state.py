"""The processing queue's vocabulary (priorities, stage states, terminal states). The run
state's ORM models live in :mod:`lccu.evidence.runstate`, behind the evidence package: the
queue's modules outside it do not import them from here."""

from __future__ import annotations

from lccu.evidence.runstate import PRIORITIES, STAGE_STATES, TERMINAL

__all__ = ["PRIORITIES", "STAGE_STATES", "TERMINAL"]
