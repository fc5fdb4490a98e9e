"""Processing on workers: Dramatiq actors over a fair queue kept in the case database.

Submit with :func:`submit`; workers (``lccu worker``) or :func:`drain` (embedded) run the
stages: hash, files, carve and yara (per segment), yara-files, report. See docs/workers.md.
"""

from __future__ import annotations

from lccu.tasks.embedded import drain
from lccu.tasks.submit import Submitted, run_status, runs_of, submit

__all__ = ["Submitted", "drain", "run_status", "runs_of", "submit"]
