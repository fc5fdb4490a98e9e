"""Custody export files for a court or the defence, and their verification without a database.

One JSON object a line: a ``header`` (case identity, head, who exported), one ``key`` line per
signer (username and Ed25519 public key; its fingerprint must equal the events' ``key_id``),
every ``event`` in order, the ``countersignature`` lines of hand-overs (a receiver's,
witness's or releaser's signature over the event hash), and the ``anchor`` lines recorded
outside the database. The same
:func:`lccu.evidence.chain.verify_events` checks the file as checks the database, so any
edit, deletion, insertion, reordering or cut tail in the file is found, and the same custody
rules (custodian, place, seal, disposal; ``VerifyResult.violations``) are checked. A
verifier who noted the head hash from the proces-verbaal passes it as ``expected_head``: that
also catches a file rewritten wholesale with new keys.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lccu.errors import InvalidInput
from lccu.evidence.canonical import canonical_json, format_time, utc_now
from lccu.evidence.chain import Anchor, SignerKey, VerifyResult, verify_events
from lccu.evidence.records import CaseInfo

EXPORT_FORMAT = "lccu-custody-export/1"


def write_export(path: Path, case: CaseInfo, events: Sequence[dict[str, Any]],
                 keys: dict[str, SignerKey], anchors: Sequence[Anchor], exported_by: str,
                 countersignatures: Sequence[dict[str, Any]] = ()) -> None:
    """Write atomically: a failed export leaves no partial file behind."""
    header: dict[str, Any] = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "case": {"id": case.id, "number": case.number, "title": case.title, "zone": case.zone,
                 "reference": case.reference},
        "head": {"seq": events[-1]["seq"] if events else 0,
                 "hash": events[-1]["event_hash"] if events else None},
        "exported_at": format_time(utc_now()),
        "exported_by": exported_by,
    }
    lines = [header]
    lines += [{"type": "key", "username": k.username, "public_key": k.public_key,
               "key_id": k.key_id} for k in sorted(keys.values(), key=lambda k: k.username)]
    lines += [{"type": "event", **event} for event in events]
    lines += [{"type": "countersignature", **cs} for cs in countersignatures]
    lines += [{"type": "anchor", "seq": a.seq, "head_hash": a.head_hash} for a in anchors]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for line in lines:
                fh.write(canonical_json(line) + b"\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def verify_export(path: str | os.PathLike[str], *,
                  expected_head: str | None = None) -> VerifyResult:
    """Verify an export file on its own (no database, no key store)."""
    source = Path(path)
    if not source.is_file():
        raise InvalidInput(f"{source}: no such export file")
    raw = source.read_bytes()
    if not raw.strip():
        raise InvalidInput(f"{source}: the file is empty, not a custody export")
    header: dict[str, Any] | None = None
    keys: dict[str, SignerKey] = {}
    events: list[dict[str, Any]] = []
    countersignatures: list[dict[str, Any]] = []
    anchors: list[Anchor] = []
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            kind = record.pop("type")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(f"{source}:{number}: not a custody export line ({exc})") from exc
        if kind == "header":
            if record.get("format") != EXPORT_FORMAT:
                raise InvalidInput(f"{source}:{number}: unknown export format "
                                   f"{record.get('format')!r}")
            header = record
        elif kind == "key":
            key = SignerKey(str(record.get("username")), str(record.get("public_key")))
            keys[key.username] = key
        elif kind == "event":
            events.append(record)
        elif kind == "countersignature":
            countersignatures.append(record)
        elif kind == "anchor":
            anchors.append(Anchor(int(record["seq"]), str(record["head_hash"]),
                                  f"anchor at line {number}"))
        else:
            raise InvalidInput(f"{source}:{number}: unknown line type {kind!r}")
    if header is None:
        raise InvalidInput(f"{source}: no header line; this is not a custody export")
    case_id = header.get("case", {}).get("id")
    head = header.get("head", {})
    if head.get("seq"):
        anchors.append(Anchor(int(head["seq"]), str(head.get("hash")), "the export header"))
    result = verify_events(events, keys, case_id=case_id, anchors=anchors,
                           expected_head=expected_head, countersignatures=countersignatures)
    return result
