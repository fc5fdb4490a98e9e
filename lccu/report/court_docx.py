"""The report for court as a Word document (``lccu report CASE --format docx``), for a
magistrate's office that edits or annexes it.

It is written from the same content as the HTML (:func:`court_report_data`) and with the
same Dutch and English labels (``court_<lang>.j2``), so the three formats cannot say
different things. Every value taken from evidence or from a person passes through
:func:`~lccu.textsafe.visible` (control and bidi characters shown, never obeyed: Word's XML
would reject some of them anyway). Pictures are the tagged files' thumbnails the context
already holds (data: URIs, sniffed and size-capped there).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table

from lccu.report.court import court_labels, fs_time, local_time
from lccu.textsafe import visible

#: a thumbnail's longest side in the document
PICTURE_SIDE = Mm(60)
WARN = RGBColor(0xAA, 0x00, 0x00)


def _kv(document: DocumentObject) -> Table:
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    return table


def _row(table: Table, label: str, *lines: str, warn: bool = False) -> None:
    """A label and its value (one paragraph per line) as a table row."""
    cells = table.add_row().cells
    cells[0].paragraphs[0].add_run(label).bold = True
    first = True
    for line in lines or ("-",):
        paragraph = cells[1].paragraphs[0] if first else cells[1].add_paragraph()
        first = False
        run = paragraph.add_run(line)
        if warn:
            run.bold = True
            run.font.color.rgb = WARN


def _options(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items()) or "-"


def _v(T: Mapping[str, str], value: Any) -> str:
    """A state or outcome in the report's language (``v_<value>`` labels)."""
    return T.get(f"v_{value}", str(value)) if value else "-"


def _hashes(hashes: Mapping[str, Any]) -> list[str]:
    return [
        f"{name} {hashes.get(key) or '-'}"
        for name, key in (("SHA-256", "sha256"), ("SHA-1", "sha1"), ("MD5", "md5"))
    ]


def _header(document: DocumentObject, T: Mapping[str, str], data: Mapping[str, Any]) -> None:
    case = data["case"]
    document.add_heading(T["title"], level=0)
    table = _kv(document)
    _row(table, T["case"], visible(case.number))
    _row(table, T["case_title"], visible(case.title))
    _row(table, T["pv"], visible(case.reference) if case.reference else T["no_pv"])
    _row(table, T["question"], visible(case.question) if case.question else T["no_question"])
    _row(table, T["zone"], visible(case.zone))
    _row(table, T["status"], _v(T, case.status))
    _row(table, T["examiners"], ", ".join(visible(e) for e in data["examiners"]))
    _row(
        table,
        T["generated"],
        f"{local_time(data['generated_at'])} {T['by']} "
        f"{visible(data['author'])}; lccu {data['lccu_version']}",
    )
    document.add_paragraph(T["times"])


def _exhibit(document: DocumentObject, T: Mapping[str, str], ex: Mapping[str, Any]) -> None:
    item = ex["item"]
    document.add_heading(f"{T['exhibit']} {visible(item.exhibit_number)}", level=2)
    table = _kv(document)
    _row(table, T["description"], visible(item.description))
    _row(table, T["type"], T.get(f"t_{item.item_type}", str(item.item_type)))
    if item.make or item.model or item.serial:
        _row(
            table,
            T["make_model"],
            " / ".join(visible(v or "-") for v in (item.make, item.model, item.serial)),
        )
    _row(table, T["seal"], visible(item.seal_number) if item.seal_number else T["no_seal"])
    if item.acquired_by or item.acquired_at or item.acquisition_tool:
        _row(
            table,
            T["acquired"],
            f"{visible(item.acquired_by or '-')} / "
            f"{local_time(item.acquired_at)} / {visible(item.acquisition_tool or '-')} "
            f"{visible(item.acquisition_tool_version or '')}",
        )
    size = item.size if item.size is not None else "-"
    media = f"{T['size']}: {size} {T['bytes']}"
    if item.container_format:
        media += f"; {T['container']}: {item.container_format}"
    _row(table, T["media"], media, *_hashes(ex["signed_hashes"]), T["signed_hashes"])
    if ex["tampering"]:
        _row(table, T["tampering"], *(visible(f) for f in ex["tampering"]), warn=True)
    if item.declared:
        lines = [f"{name.upper()} {value}" for name, value in item.declared.items()]
        if item.hash_mismatches:
            _row(
                table,
                T["declared"],
                *lines,
                f"{T['declared_mismatch']} ({', '.join(item.hash_mismatches)})",
                warn=True,
            )
        else:
            _row(table, T["declared"], *lines, T["declared_match"])
    else:
        _row(table, T["declared"], T["none"])
    stored = (item.media_check or {}).get("stored_hashes") or {}
    if stored.get("md5") or stored.get("sha1"):
        names = (("MD5", "md5"), ("SHA-1", "sha1"))
        lines = [f"{n} {stored[k]}" for n, k in names if stored.get(k)]
        ok = bool(stored.get("match"))
        _row(table, T["stored_check"], *lines, T["match"] if ok else T["mismatch"], warn=not ok)
    intake = ex["intake"]
    if intake:
        where = f", {visible(intake['location'])}" if intake.get("location") else ""
        _row(
            table,
            T["intake"],
            f"{local_time(intake['occurred_at'])}, "
            f"{visible(intake['actor'])}{where}: {visible(intake['reason'])} (#{intake['seq']})",
        )
    else:
        _row(table, T["intake"], T["intake_missing"], warn=True)
    checks = ex["verifications"]
    bad = any(not (v["details"] or {}).get("match") for v in checks)
    done = [
        f"{local_time(v['occurred_at'])}, {visible(v['actor'])}: "
        f"{T['match'] if (v['details'] or {}).get('match') else T['mismatch']} (#{v['seq']})"
        for v in checks
    ]
    _row(table, T["verification"], *(done or [T["no_verification"]]), warn=bad)
    _row(table, T["state"], _v(T, item.state))
    if ex["processed"]:
        method = ex["method"]
        _row(
            table,
            T["processing"],
            f"{T['run']} {method['run']}, {T['outcome'].lower()}: {_v(T, method['outcome'])}",
        )
    else:
        _row(table, T["processing"], T["never_processed"], warn=True)


def _custody(document: DocumentObject, T: Mapping[str, str], c: Mapping[str, Any]) -> None:
    document.add_heading(f"2. {T['custody']}", level=1)
    table = _kv(document)
    runs = (
        f" ({T['processing_runs']} {c['processing_runs']} {T['runs']})"
        if c["processing_runs"]
        else ""
    )
    _row(table, T["events"], f"{c['events']}{runs}")
    _row(table, T["actions"], ", ".join(f"{T.get('a_' + a, a)}: {n}" for a, n in c["counts"]))
    _row(table, T["period"], f"{local_time(c['first'])} / {local_time(c['last'])}")
    _row(
        table, T["head"], f"{T['head_seq']} {c['head_seq']}", f"{T['head_hash']}: {c['head_hash']}"
    )
    verified = c["verified"]
    _row(
        table,
        T["verify"],
        f"{T['verify_ok'] if verified['ok'] else T['verify_failed']}: "
        f"{visible(verified['summary'])}",
        warn=not verified["ok"],
    )


def _split(f: Mapping[str, Any]) -> str:
    """``; libyara 4.5.4: rule, rule`` for a rule file cut between two engines."""
    split = f.get("split")
    if not split:
        return ""
    return f"; {split['engine']} {split['engine_version']}: {visible(', '.join(split['rules']))}"


def _method(document: DocumentObject, T: Mapping[str, str], data: Mapping[str, Any]) -> None:
    document.add_heading(f"3. {T['method']}", level=1)
    _row(_kv(document), T["lccu"], str(data["lccu_version"]))
    for ex in data["exhibits"]:
        document.add_heading(f"{T['exhibit']} {visible(ex['item'].exhibit_number)}", level=2)
        m = ex["method"]
        if not m:
            document.add_paragraph(T["never_processed"])
            continue
        table = _kv(document)
        _row(table, T["tool"], f"{m['tool'].get('name', '-')} {m['tool'].get('version', '')}")
        _row(table, T["run"], f"{m['run']}, {local_time(m['generated_at'])}")
        _row(table, T["options"], _options(m["options"]))
        _row(table, T["source_tz"], visible(m["source_timezone"] or T["unknown"]))
        _row(
            table,
            T["rules"],
            m["rules_identity"] or T["none"],
            *(
                f"{T['rule_file']} {visible(f['path'])} ({T['engine']} {f['engine']} "
                f"{f['engine_version']}{_split(f)}) SHA-256 {f['sha256']}"
                for f in m["rule_files"]
            ),
        )
        sets = [
            f"{visible(h['name'])} v{h['version']} "
            f"({T.get('k_' + h['kind'], h['kind'])}; {', '.join(h['hash_types'])})"
            for h in m["hashsets"]
        ]
        _row(table, T["hashsets"], *(sets or [T["no_hashsets"]]))


def _picture(table: Table, label: str, thumbnail: str) -> None:
    """The tagged picture inline, at most 60 mm a side; left out if Word cannot place it."""
    from docx.image.exceptions import UnrecognizedImageError
    from docx.image.image import Image

    blob = base64.b64decode(thumbnail.partition(",")[2])
    try:
        image = Image.from_blob(blob)
    except (UnrecognizedImageError, ValueError, KeyError):
        return
    wide = image.px_width >= image.px_height
    cells = table.add_row().cells
    cells[0].paragraphs[0].add_run(label).bold = True
    run = cells[1].paragraphs[0].add_run()
    if wide:
        run.add_picture(io.BytesIO(blob), width=PICTURE_SIDE)
    else:
        run.add_picture(io.BytesIO(blob), height=PICTURE_SIDE)


def _tags(document: DocumentObject, T: Mapping[str, str], tags: Iterable[Any]) -> None:
    document.add_heading(f"4. {T['tagged']}", level=1)
    shown = False
    for entry in tags:
        shown = True
        t, f = entry["tag"], entry["tag"].file
        table = _kv(document)
        _row(table, T["path"], visible(t.path))
        _row(table, T["label"], visible(t.label))
        _row(
            table,
            T["note"],
            *(visible(t.note, keep_newlines=True).split("\n") if t.note else ("-",)),
        )
        inode = t.inode if t.inode is not None else "-"
        size = f.get("size") if f.get("size") is not None else "-"
        state = T["deleted"] if f.get("allocated") is False else T["allocated"]
        _row(
            table,
            T["provenance"],
            f"{T['exhibit']} {visible(t.exhibit_number)}, "
            f"{T['volume']} {t.volume}, {T['inode']} {inode}, {state}; {T['size']} {size} "
            f"{T['bytes']}; {T['mime']} {visible(f.get('mime') or '-')}; "
            f"{T['run'].lower()} {t.run_id}",
        )
        _row(table, T["hashes"], *_hashes(f))
        _row(
            table,
            T["timestamps"],
            *(
                f"{T[word]}: {fs_time(f.get(key), T['local_unknown'])}"
                for word, key in (
                    ("modified", "mtime"),
                    ("accessed", "atime"),
                    ("changed", "ctime"),
                    ("created", "crtime"),
                )
            ),
        )
        if entry["thumbnail"]:
            _picture(table, T["picture"], entry["thumbnail"])
        _row(table, T["tagged_by"], f"{visible(t.created_by)} / {local_time(t.created_at)}")
        document.add_paragraph()
    if not shown:
        document.add_paragraph(T["no_tags"])


def _annex(document: DocumentObject, T: Mapping[str, str], exhibits: Iterable[Any]) -> None:
    document.add_heading(T["annex"], level=1)
    for ex in exhibits:
        document.add_heading(f"{T['exhibit']} {visible(ex['item'].exhibit_number)}", level=2)
        if not ex["runs"]:
            document.add_paragraph(T["no_runs"])
            continue
        table = document.add_table(rows=1, cols=6)
        table.style = "Table Grid"
        heads = ("run", "state", "outcome", "submitted", "finished", "options")
        for cell, key in zip(table.rows[0].cells, heads, strict=True):
            cell.paragraphs[0].add_run(T[key]).bold = True
        for r in ex["runs"]:
            values = (
                str(r["run"]),
                _v(T, r["state"]),
                _v(T, r["outcome"]),
                f"{local_time(r['submitted_at'])}\n{visible(r['submitted_by'])}",
                local_time(r["finished_at"]),
                _options(r["options"]),
            )
            for cell, value in zip(table.add_row().cells, values, strict=True):
                cell.text = value


def docx_bytes(data: Mapping[str, Any], lang: str) -> bytes:
    """The court report's content (``court_report_data``) as a .docx in ``lang``."""
    T = court_labels(lang)
    document = Document()
    document.styles["Normal"].font.size = Pt(9.5)
    document.core_properties.title = f"{T['title']} {visible(data['case'].number)}"
    document.core_properties.author = visible(data["author"])
    document.core_properties.language = lang
    _header(document, T, data)
    document.add_heading(f"1. {T['exhibits']}", level=1)
    for ex in data["exhibits"]:
        _exhibit(document, T, ex)
    _custody(document, T, data["custody"])
    _method(document, T, data)
    _tags(document, T, data["tags"])
    _annex(document, T, data["exhibits"])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
