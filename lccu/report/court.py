"""The report for court of a whole case (``lccu report CASE --format html|pdf|docx``): what a
magistrate needs to read and what the proces-verbaal must note, in Dutch or English.

Everything is read through the :class:`~lccu.evidence.lab.Lab` (so every read is decided
and audited by the gate): the case, its exhibits with seals, media hashes, intake and
verification results, the custody log's summary, its verification and the head hash to
note in the PV, each exhibit's processing runs and the newest finished run's report (for
the method: lccu and engine versions, rule sets, hash sets, settings), and the tagged files
with their notes. An exhibit that was never processed is said to be so; the rest is still
written. Times are shown in Europe/Brussels, with the zone stated.

The PDF is WeasyPrint's rendering of the same HTML (no network: the page embeds its CSS);
the Word document (:mod:`lccu.report.court_docx`) is written from the same content with the
same labels.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from lccu.errors import ConfigError, InvalidInput, LccuError, NotFound
from lccu.outfile import output_file
from lccu.report import text
from lccu.report.thumbnails import _lexically_safe, sniff_picture

if TYPE_CHECKING:  # the report reads through a Lab; it does not need one to be imported
    from lccu.evidence.lab import Lab
    from lccu.evidence.records import CaseInfo, EvidenceInfo
    from lccu.evidence.tags import TagInfo
    from lccu.storage.base import EvidenceStore

LANGUAGES = ("nl", "en")
FORMATS = ("html", "pdf", "docx")
#: what a download of each format is
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
ZONE = "Europe/Brussels"
#: custody actions that are examinations of an item (collapsed in the summary)
PROCESSING = "processed"
#: a tagged picture larger than this is listed without its picture
THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024


def local_time(value: str | None) -> str:
    """An RFC 3339 time as ``2026-12-06 07:12:03 CET (UTC+01:00)`` in Europe/Brussels."""
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    here = moment.astimezone(ZoneInfo(ZONE))
    offset = here.strftime("%z")
    return f"{here:%Y-%m-%d %H:%M:%S} {here.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def fs_time(value: Mapping[str, Any] | None, unknown: str = "local time, zone unknown") -> str:
    """A file system time of a report: its UTC moment in Europe/Brussels, or the local
    wall-clock time of an unknown zone as such (``unknown`` says so in the language)."""
    if not value:
        return "-"
    if value.get("utc"):
        return local_time(str(value["utc"]))
    wall = value.get("wall_clock")
    return f"{wall} ({unknown})" if wall else "-"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lccu.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["visible"] = text.visible
    env.filters["size"] = text.human_size
    env.filters["local"] = local_time
    env.filters["fs_time"] = fs_time
    return env


def _load_report(lab: Lab, item_id: str) -> tuple[str, dict[str, Any]] | None:
    """The run id and report of the item's newest finished run, or None."""
    from lccu.storage import open_store
    from lccu.tasks.report import finished_report

    try:
        run, key = finished_report(lab, item_id)
    except NotFound:
        return None
    store = open_store(lab.settings)
    try:
        with store.open_derived(key) as fh:
            return run, dict(json.loads(fh.read()))
    finally:
        store.close()


def _exhibit(lab: Lab, item: EvidenceInfo, events: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [e for e in events if e["evidence_id"] == item.id]
    intake = next((e for e in mine if e["action"] in ("intake", "acquired")), None)
    runs = [lab.run_status(r, evidence=item.id) for r in lab.runs_of(item.id)]
    loaded = _load_report(lab, item.id)
    report = loaded[1] if loaded else None
    method = None
    if report is not None:
        rules = report.get("yara_rules") or {}
        method = {
            "run": loaded[0] if loaded else None,
            "tool": report.get("tool", {}),
            "generated_at": report.get("generated_at"),
            "source_timezone": report.get("source_timezone"),
            "rules_identity": rules.get("identity"),
            "rule_files": rules.get("files", []),
            "hashsets": report.get("hashsets", []),
            "options": next((r["options"] for r in runs if r["run"] == loaded[0]), {})
            if loaded
            else {},
            "summary": report.get("summary", {}),
            "outcome": report.get("outcome"),
        }
    # the media hashes as the signed intake event holds them, never the mutable columns
    signed = lab.signed_intake_hashes(item.id)
    return {
        "item": item,
        "signed_hashes": signed["hashes"],
        "tampering": signed["tampering"],
        "intake": intake,
        "verifications": [e for e in mine if e["action"] == "verified"],
        "runs": runs,
        "processed": report is not None,
        "method": method,
        "events": len(mine),
    }


def _custody_summary(lab: Lab, case: CaseInfo, events: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(e["action"] for e in events)
    processing_runs = {
        (e["details"] or {}).get("run") or (e["reason"] or "").rpartition(" ")[2]
        for e in events
        if e["action"] == PROCESSING
    }
    try:
        result = lab.verify_custody(case.id)
        verified = {"ok": result.ok, "summary": result.summary()}
    except LccuError as exc:
        verified = {"ok": False, "summary": str(exc)}
    return {
        "events": len(events),
        "counts": sorted(counts.items()),
        "processing_runs": len(processing_runs),
        "first": events[0]["occurred_at"] if events else None,
        "last": events[-1]["recorded_at"] if events else None,
        "head_seq": case.head_seq,
        "head_hash": case.head_hash,
        "verified": verified,
    }


def _examiners(lab: Lab, events: list[dict[str, Any]], tags: list[TagInfo]) -> list[str]:
    """Who examined: the people (not workers' operators) who took in, verified, tagged or
    noted, and the author of this report."""
    seen: dict[str, str] = {}
    for e in events:
        if e["actor_role"] in ("investigator", "analyst"):
            seen.setdefault(e["actor"], f"{e['actor_role']}, {e['actor_zone']}")
    for tag in tags:
        seen.setdefault(tag.created_by, "")
    actor = lab.actor
    seen.setdefault(actor.username, f"{actor.role}, {actor.zone}")
    return [f"{name} ({role})" if role else name for name, role in seen.items()]


def _thumbnail(store: EvidenceStore, evidence_id: str, exported: object) -> str | None:
    """A tagged picture as a data: URI, from the file the run exported; None when it is
    not a picture (sniffed from its bytes), too large, missing or its path unsafe."""
    if not isinstance(exported, str) or not _lexically_safe(exported):
        return None
    try:
        with store.open_derived(f"{evidence_id}/{exported}") as fh:
            data = fh.read(THUMBNAIL_MAX_BYTES + 1)
    except (LccuError, OSError):
        return None
    mime = sniff_picture(data[:32])
    if mime is None or len(data) > THUMBNAIL_MAX_BYTES:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _tag_rows(
    lab: Lab, tags: list[TagInfo], items: Mapping[str, EvidenceInfo]
) -> list[dict[str, Any]]:
    from lccu.storage import open_store

    store = open_store(lab.settings)
    try:
        return [
            {
                "tag": t,
                "item": items.get(t.evidence_id),
                "thumbnail": _thumbnail(store, t.evidence_id, t.file.get("exported")),
            }
            for t in tags
        ]
    finally:
        store.close()


def court_report_data(lab: Lab, case_ref: str) -> dict[str, Any]:
    """Everything the court report shows, read through ``lab``."""
    import lccu

    case = lab.get_case(case_ref)
    items = lab.list_evidence(case.id)
    events = lab.custody_log(case.id)
    tags = lab.tags(case.id)
    exhibits = [_exhibit(lab, item, events) for item in items]
    by_item = {item.id: item for item in items}
    return {
        "case": case,
        "exhibits": exhibits,
        "custody": _custody_summary(lab, case, events),
        "examiners": _examiners(lab, events, tags),
        "tags": _tag_rows(lab, tags, by_item),
        "lccu_version": lccu.__version__,
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "author": lab.actor.username,
        "zone_name": ZONE,
    }


def court_labels(lang: str) -> dict[str, str]:
    """The report's labels in ``lang``: the ``T`` of ``court_<lang>.j2``, the one source the
    HTML (and so the PDF) and the Word document share."""
    if lang not in LANGUAGES:
        raise InvalidInput(f"--lang must be one of {', '.join(LANGUAGES)}")
    return dict(_environment().get_template(f"court_{lang}.j2").module.T)  # type: ignore[attr-defined]


def court_report_bytes(data: Mapping[str, Any], fmt: str, lang: str) -> bytes:
    """The report for court of ``data`` (``court_report_data``) as ``fmt`` in ``lang``."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)} for a court report")
    if fmt == "docx":
        from lccu.report.court_docx import docx_bytes

        return docx_bytes(data, lang)
    html = render_court_html(data, lang)
    return html.encode("utf-8") if fmt == "html" else pdf_bytes(html)


def render_court_html(data: Mapping[str, Any], lang: str) -> str:
    if lang not in LANGUAGES:
        raise InvalidInput(f"--lang must be one of {', '.join(LANGUAGES)}")
    template = _environment().get_template("court.html.j2")
    return template.render(lang=lang, strings=f"court_{lang}.j2", **data)


def write_court_report(lab: Lab, case_ref: str, output: Path, *, fmt: str, lang: str) -> Path:
    """Write the court report of ``case_ref`` as ``fmt`` (html, pdf or docx) to ``output``."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)} for a court report")
    if lang not in LANGUAGES:
        raise InvalidInput(f"--lang must be one of {', '.join(LANGUAGES)}")
    if output.is_dir():
        raise InvalidInput(f"-o {output} is a directory; give a file name")
    content = court_report_bytes(court_report_data(lab, case_ref), fmt, lang)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output_file(output) as fh:
        fh.write(content)
    return output


def pdf_bytes(html: str) -> bytes:
    """The court report's HTML as a PDF (WeasyPrint; fetches nothing)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise ConfigError(
            f"PDF needs WeasyPrint and Pango ({exc}); install lccu with scripts/install.sh, "
            "or write --format html"
        ) from exc
    from weasyprint.urls import URLFetcher

    # the page embeds everything (pictures as data: URIs): nothing else is ever fetched
    fetcher = URLFetcher(allowed_protocols=("data",))
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())


def file_name(case_number: str, lang: str, fmt: str) -> str:
    """A download name: ``verslag-LCCU-2026-00001.pdf`` (safe characters only)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", case_number)[:80] or "case"
    return f"{'verslag' if lang == 'nl' else 'report'}-{safe}.{fmt}"
