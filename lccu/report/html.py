"""Render report.json data as one self-contained, escaped HTML page.

The page embeds its CSS, SVG charts and thumbnails, loads nothing from the network and
needs no JavaScript, so it can be opened on an offline review workstation and attached to
a case file. Everything from the evidence is autoescaped; long tables are capped with a
note pointing at report.json, which always holds every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError

from lccu.errors import InvalidInput
from lccu.report import text
from lccu.report.charts import bar_chart, count_by_mime
from lccu.report.thumbnails import (
    DEFAULT_BUDGET,
    DEFAULT_LIMIT,
    DEFAULT_MAX_BYTES,
    _lexically_safe,
    collect_thumbnails,
)

DEFAULT_MAX_ROWS = 5000
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class Table:
    """The first rows of a list and how many there are in all."""

    rows: Sequence[Mapping[str, Any]]
    total: int

    @property
    def capped(self) -> bool:
        return len(self.rows) < self.total


def _table(rows: Sequence[Mapping[str, Any]], cap: int) -> Table:
    return Table(list(rows[:cap]), len(rows))


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lccu.report", "templates"),
        autoescape=True,  # always: the template is HTML whatever its file name says
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["visible"] = text.visible
    env.filters["size"] = text.human_size
    env.filters["utc"] = text.utc_display
    env.filters["fstime"] = text.fs_time_display
    env.filters["preview"] = text.hex_preview
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.tests["linkable"] = linkable
    env.filters["hsclass"] = hashset_class
    return env


def render_html(
    report: Mapping[str, Any],
    out_dir: Path,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_thumbnails: int = DEFAULT_LIMIT,
    max_thumbnail_bytes: int = DEFAULT_MAX_BYTES,
    thumbnail_budget: int = DEFAULT_BUDGET,
) -> str:
    """Return the HTML page for ``report``; pictures are read from under ``out_dir`` only.

    ``report`` should already be valid (see :func:`lccu.report.schema.validate_report`);
    this function does not re-validate but never follows a path out of ``out_dir``, and a
    report too malformed to draw raises :class:`InvalidInput` rather than a template error.
    """
    try:
        return _render(
            report, out_dir, max_rows, max_thumbnails, max_thumbnail_bytes, thumbnail_budget
        )
    except (TemplateError, TypeError, AttributeError, KeyError, ValueError) as exc:
        raise InvalidInput(
            f"report cannot be rendered as HTML ({type(exc).__name__}: {exc}); "
            "check it with lccu.report.validate_report"
        ) from exc


def _render(
    report: Mapping[str, Any],
    out_dir: Path,
    max_rows: int,
    max_thumbnails: int,
    max_thumbnail_bytes: int,
    thumbnail_budget: int,
) -> str:
    if not isinstance(report, Mapping):
        raise TypeError(f"a report must be a mapping, not {type(report).__name__}")
    files = list(report.get("files") or [])
    deleted = notable_first([f for f in files if not f.get("allocated", True)])
    thumbs = collect_thumbnails(
        report,
        out_dir,
        limit=max_thumbnails,
        max_bytes=max_thumbnail_bytes,
        budget=thumbnail_budget,
    )
    context = {
        "r": report,
        "case": report.get("case"),
        "evidence": report.get("evidence"),
        "image": report.get("image") or {},
        "summary": report.get("summary") or {},
        "volumes": _table(list(report.get("volumes") or []), max_rows),
        "deleted": _table(deleted, max_rows),
        "stomped": _table([f for f in files if f.get("timestomp")], max_rows),
        "carved": _table(notable_first(list(report.get("carved") or [])), max_rows),
        "yara": _table(list(report.get("yara") or []), max_rows),
        "rule_files": _table(list((report.get("yara_rules") or {}).get("files") or []),
                             max_rows),
        "engines": engine_counts(report),
        "errors": _table(list(report.get("errors") or []), max_rows),
        "read_errors": _table(list(report.get("read_errors") or []), max_rows),
        "warnings": _table(list(report.get("warnings") or []), max_rows),
        "expanded": "members" in report or "archives" in report,
        "archives": _table(list(report.get("archives") or []), max_rows),
        "members": _table(notable_first(list(report.get("members") or [])), max_rows),
        "has_hashsets": "hashsets" in report,
        "hashsets_used": list(report.get("hashsets") or []),
        "marked": _table(hashset_rows(report), max_rows),
        "member_names": {m.get("id"): m.get("provenance") for m in report.get("members") or []},
        "chart": bar_chart(count_by_mime(files)),
        "thumbs": thumbs,
        "max_thumbnail_bytes": max_thumbnail_bytes,
    }
    return _environment().get_template(TEMPLATE).render(**context)


def hashset_class(record: Mapping[str, Any]) -> str:
    """``notable`` or ``known`` for a record in a hash set of that kind (notable wins), else
    empty: the row's CSS class (rows of known files can be hidden)."""
    kinds = {hit.get("kind") for hit in record.get("hashsets") or ()}
    return "notable" if "notable" in kinds else "known" if "known" in kinds else ""


def notable_first(records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Records in notable hash sets first, then the others in their order."""
    return sorted(records, key=lambda r: hashset_class(r) != "notable")


def hashset_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every file, carved file and archive member in a hash set, notable first."""
    rows: list[dict[str, Any]] = []
    for f in report.get("files") or []:
        if f.get("hashsets"):
            origin = "file" if f.get("allocated", True) else "deleted file"
            rows.append({"origin": origin, "where": f"{f.get('volume')}:{f.get('path')}",
                         "record": f, "size": f.get("size")})
    for c in report.get("carved") or []:
        if c.get("hashsets"):
            rows.append({"origin": "carved", "where": f"at offset {c.get('offset'):,}",
                         "record": c, "size": c.get("length")})
    for m in report.get("members") or []:
        if m.get("hashsets"):
            rows.append({"origin": "member", "where": str(m.get("provenance")), "record": m,
                         "size": m.get("size")})
    return sorted(rows, key=lambda row: hashset_class(row["record"]) != "notable")


def engine_counts(report: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(``yara-x 1.22.1``, number of rule files) for each engine that ran rule files."""
    counts: dict[str, int] = {}
    for f in (report.get("yara_rules") or {}).get("files") or []:
        label = f"{f.get('engine')} {f.get('engine_version')}"
        counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items())


def linkable(exported: str | None) -> bool:
    """Whether an exported path may become a relative link: plain, inside the report's
    folder, under a ``files`` or ``carved`` folder (``lccu scan``: ``files/...``; a worker
    run: ``<stage>/files/...``; an archive member of a worker run: ``<archives stage>/
    <stage>/files/<n>.zip.members/...``). The template URL-quotes the target."""
    if not exported or not _lexically_safe(str(exported)) or ":" in str(exported):
        return False
    return bool({"files", "carved"} & set(str(exported).split("/")[:3]))
