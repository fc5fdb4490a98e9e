"""YARA scanning engine: rules in, typed hit records out (no database, queue or store here)."""

from __future__ import annotations

from lccu.scan.files import scan_file
from lccu.scan.image import scan_stream
from lccu.scan.lengths import longest_match
from lccu.scan.mapping import map_hits
from lccu.scan.records import Hit, ScanProblem
from lccu.scan.rules import RuleFileError, RuleSet, load_rules

__all__ = [
    "Hit",
    "RuleFileError",
    "RuleSet",
    "ScanProblem",
    "load_rules",
    "longest_match",
    "map_hits",
    "scan_file",
    "scan_stream",
]
