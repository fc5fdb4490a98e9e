"""Showing report values to a reader: sizes, times, matched bytes, and evidence-derived text
made safe to look at (:func:`lccu.textsafe.visible`, the page's ``|visible`` filter).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lccu.textsafe import visible

__all__ = ["fs_time_display", "hex_preview", "human_size", "utc_display", "visible"]


def human_size(value: int | None) -> str:
    """``1536`` -> ``1.5 KiB``; sizes stay exact in report.json."""
    if value is None:
        return "unknown"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{value:,} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def utc_display(value: str | None) -> str:
    """``2024-03-01T10:00:00+00:00`` -> ``2024-03-01 10:00:00 UTC`` (blank when unknown)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return visible(value)
    suffix = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%d %H:%M:%S") + suffix + " UTC"


def fs_time_display(value: Mapping[str, Any] | None) -> str:
    """A file-system time as a person should read it: UTC when known, and for a local time
    also the stored wall clock and zone; a local time of unknown zone never says UTC."""
    if not value:
        return ""
    wall = str(value.get("wall_clock") or "").replace("T", " ")
    if value.get("kind") == "local-unknown":
        return f"{visible(wall)} (local, zone unknown)"
    shown = utc_display(value.get("utc"))
    if value.get("kind") == "local":
        shown += f" ({visible(wall)} local, {visible(value.get('zone'))})"
    if value.get("ambiguous"):
        shown += " (ambiguous: daylight-saving change)"
    return shown


def hex_preview(matched: str | None, limit: int = 48) -> str:
    """Show matched bytes (hex in the report) as printable ASCII with dots for the rest."""
    if not matched:
        return ""
    try:
        data = bytes.fromhex(matched)
    except ValueError:
        return visible(matched)
    text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data[:limit])
    return text + ("…" if len(data) > limit else "")
