"""Timesketch JSONL: one JSON object per line with the fields Timesketch requires
(``message``, ``datetime`` in ISO 8601, ``timestamp_desc``) and ``timestamp`` in
microseconds, plus where the time comes from: ``path``, ``inode``, ``sha256`` (when the
content was hashed), ``deleted``, ``source`` and how the time was stored.

Only instants go to Timesketch, which reads every ``datetime`` as a moment in time: a local
time of unknown zone cannot be written (see :func:`lccu.timeline.source.local_volumes`).
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from lccu.fs.times import zone_name
from lccu.timeline.events import Event


def event_record(event: Event, zone: ZoneInfo | None, source: str,
                 sha256: str | None = None) -> dict[str, Any]:
    """The Timesketch object for one event; ValueError for a local time without a zone."""
    moment = event.time.instant(zone)
    if moment is None:
        raise ValueError("a local time needs the source time zone for Timesketch")
    entry = event.entry
    path = entry.name_path
    deleted = not entry.allocated
    record: dict[str, Any] = {
        "message": f"{path}{' (deleted)' if deleted else ''}: {event.description}",
        "datetime": moment.isoformat(),
        "timestamp": int(moment.timestamp()) * 1_000_000 + moment.microsecond,
        "timestamp_desc": event.description,
        "path": path,
        "inode": entry.inode if entry.has_meta else None,
        "sha256": sha256,
        "deleted": deleted,
        "source": source,
        "data_type": "fs:stat",
        "volume": event.volume.index,
        "file_system": event.volume.fs_type,
        "attribute": event.attribute,
        "macb": event.macb,
        "time_kind": event.time.kind(zone),
        "resolution": event.time.to_json(zone)["resolution"],
    }
    if event.time.local:
        record["wall_clock"] = event.time.wall_text()
        record["zone"] = zone_name(zone)
    if entry.timestomp:
        record["timestomp"] = entry.timestomp
    return record


def jsonl_line(event: Event, zone: ZoneInfo | None, source: str,
               sha256: str | None = None) -> str:
    return json.dumps(event_record(event, zone, source, sha256), ensure_ascii=True,
                      separators=(",", ":"))
