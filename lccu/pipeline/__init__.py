"""The processing stages that turn one evidence image into a report.

Each stage takes an open image (:class:`lccu.imaging.ImageStream`) and writes what it
derives into a :class:`~lccu.pipeline.sink.Sink`, returning report-shaped records. ``lccu
scan`` runs them in this process; the Dramatiq actors in :mod:`lccu.tasks` run the very same
functions on workers. The stages call the engines (``lccu.fs``, ``lccu.carve``, ``lccu.scan``)
and know nothing of the database or the queue.
"""

from __future__ import annotations

from lccu.pipeline.scan import ScanOptions, run_scan

__all__ = ["ScanOptions", "run_scan"]
