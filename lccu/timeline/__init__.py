"""Timelines of file-system times: The Sleuth Kit bodyfile, Timesketch JSONL and CSV.

Built on :mod:`lccu.fs` (the times each file system holds, their kind and resolution);
knows nothing of the database or the task queue.
"""

from __future__ import annotations

from lccu.timeline.writer import FORMATS, TimelineResult, needs_zone, write_timeline

__all__ = ["FORMATS", "TimelineResult", "needs_zone", "write_timeline"]
