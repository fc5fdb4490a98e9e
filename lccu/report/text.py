"""Make evidence-derived text safe to look at, not just safe to put in HTML.

Autoescaping stops markup; these helpers stop deception: a file name with a right-to-left
override (``invoice\u202egpj.exe``) or a newline must show its tricks to the investigator.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

# Bidirectional formatting characters that reorder what the reader sees.
_BIDI = {0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def visible(value: object, keep_newlines: bool = False) -> str:
    """Return ``value`` as text with control, bidi and unpaired surrogate characters shown.

    ``keep_newlines`` leaves ``\n`` alone, for our own multi-line messages (not for names).
    """
    if value is None:
        return ""
    out: list[str] = []
    for ch in str(value):
        code = ord(ch)
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif code in _BIDI or 0xD800 <= code <= 0xDFFF or unicodedata.category(ch) in {"Cc", "Cf"}:
            out.append(f"\u27e8U+{code:04X}\u27e9")
        else:
            out.append(ch)
    return "".join(out)


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
