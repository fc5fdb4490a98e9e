"""Write a case's merged timeline (:func:`lccu.timeline.caseview.sorted_rows`) as CSV or
Timesketch JSONL, each row or event naming its exhibit.

The JSONL is made from the stored CSV rows: the same fields as an item's
(:mod:`lccu.timeline.jsonl`) where the CSV holds them, plus ``exhibit`` and
``evidence_id``; Timesketch reads every ``datetime`` as an instant, so a case holding a
local time of unknown zone is refused (exit 2) before anything is written.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

from lccu.errors import InvalidInput
from lccu.timeline.caseview import COLUMNS, Filters, Row, Source, csv_cell, sorted_rows

FORMATS = ("csv", "jsonl")


def _refuse_unknown(row: Row) -> None:
    if row.get("time_kind") == "local-unknown" or not row.get("utc"):
        raise InvalidInput(
            f"{row.get('exhibit')}: {row.get('path')} has a local time of unknown zone (FAT, "
            "exFAT or ISO 9660 processed without a source time zone), and Timesketch reads "
            "every time as an instant: set the item's zone (`lccu evidence timezone`) and "
            "process it again, or use --format csv")


def event(row: Row) -> dict[str, Any]:
    """The Timesketch object of one merged row (which has a UTC instant)."""
    moment = datetime.fromisoformat(row["utc"])
    deleted = row.get("deleted") == "yes"
    record: dict[str, Any] = {
        "message": f"{row['exhibit']} {row['path']}{' (deleted)' if deleted else ''}: "
                   f"{row['description']}",
        "datetime": moment.isoformat(),
        "timestamp": int(moment.timestamp()) * 1_000_000 + moment.microsecond,
        "timestamp_desc": row["description"],
        "path": row["path"],
        "inode": int(row["inode"]) if row.get("inode", "").isdigit() else None,
        "sha256": row.get("sha256") or None,
        "deleted": deleted,
        "source": row["exhibit"],
        "exhibit": row["exhibit"],
        "evidence_id": row["evidence_id"],
        "data_type": "fs:stat",
        "volume": int(row["volume"]) if row.get("volume", "").isdigit() else row.get("volume"),
        "file_system": row.get("file_system"),
        "attribute": row.get("attribute") or None,
        "macb": row.get("macb"),
        "time_kind": row.get("time_kind"),
        "resolution": float(row["resolution_s"]) if row.get("resolution_s") else None,
        "mime": row.get("mime") or None,
        "notable": row.get("notable") == "yes",
        "known": row.get("known") == "yes",
    }
    if row.get("time_kind") == "local":
        record["wall_clock"] = row.get("wall_clock")
        record["zone"] = row.get("zone")
    if row.get("timestomp"):
        record["timestomp"] = row["timestomp"]
    return record


def write_case_timeline(sources: Iterable[Source], out: TextIO, fmt: str,
                        filters: Filters | None = None) -> int:
    """Write every matching event of every source in time order; returns how many."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown case timeline format {fmt!r}; use one of "
                           f"{', '.join(FORMATS)}")
    written = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in sorted_rows(sources, filters):
            writer.writerow([csv_cell(row.get(c, "")) if c in ("exhibit", "mime")
                             else row.get(c, "") for c in COLUMNS])
            written += 1
        return written
    for row in sorted_rows(sources, filters, check=_refuse_unknown):
        out.write(json.dumps(event(row), ensure_ascii=True, separators=(",", ":")) + "\n")
        written += 1
    return written
