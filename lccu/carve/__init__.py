"""Signature carving: find files by their headers and validate their structure to the end.

``carve(stream, size)`` yields :class:`CarvedFile` records; ``read_carved`` streams one out;
``mark_duplicates`` links carved files to allocated files that hold the same data.
"""

from __future__ import annotations

from lccu.carve.engine import carve, mark_duplicates, read_carved
from lccu.carve.record import CarvedFile
from lccu.carve.registry import FORMATS

__all__ = ["FORMATS", "CarvedFile", "carve", "mark_duplicates", "read_carved"]
