"""Geometry for the inline SVG charts of the HTML report.

Charts are computed here as plain numbers and drawn by the template, so the report needs
no JavaScript and no external resource, and every label still goes through autoescaping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

UNKNOWN = "(unknown)"
OTHER = "(other types)"


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, value and pixel geometry."""

    label: str
    count: int
    y: int
    width: int


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart ready to draw."""

    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    total: int


def count_by_mime(files: Iterable[Mapping[str, Any]], top: int = 12) -> list[tuple[str, int]]:
    """Count regular files by MIME type, largest first; the tail beyond ``top`` is merged."""
    counts = Counter((f.get("mime") or UNKNOWN) for f in files if f.get("kind", "file") == "file")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) <= top:
        return ranked
    head, tail = ranked[: top - 1], ranked[top - 1 :]
    return [*head, (OTHER, sum(n for _, n in tail))]


def bar_chart(
    data: list[tuple[str, int]],
    *,
    width: int = 760,
    label_width: int = 260,
    bar_height: int = 22,
    gap: int = 6,
) -> BarChart:
    """Lay out ``data`` as horizontal bars scaled to the largest value."""
    plot = width - label_width - 70  # room for the count printed after each bar
    peak = max((n for _, n in data), default=0)
    bars = [
        Bar(label, n, i * (bar_height + gap), max(1, round(plot * n / peak)) if peak else 0)
        for i, (label, n) in enumerate(data)
    ]
    height = max(len(bars) * (bar_height + gap), bar_height)
    return BarChart(bars, width, height, label_width, bar_height, sum(n for _, n in data))
