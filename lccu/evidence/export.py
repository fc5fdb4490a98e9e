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
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lccu.errors import InvalidInput
from lccu.evidence.canonical import canonical_json, format_time, utc_now
from lccu.evidence.chain import Anchor, Problem, SignerKey, VerifyResult, verify_events
from lccu.evidence.keys import key_id_of
from lccu.evidence.records import CaseInfo
from lccu.evidence.registry import KeyRing, verify_registry
from lccu.outfile import output_file

EXPORT_FORMAT = "lccu-custody-export/2"


def write_export(path: Path, case: CaseInfo, events: Sequence[dict[str, Any]],
                 keys: dict[str, SignerKey], anchors: Sequence[Anchor], exported_by: str,
                 countersignatures: Sequence[dict[str, Any]] = (), *,
                 registry: Sequence[dict[str, Any]] = (), unit_key: str | None = None) -> None:
    """Write atomically: a failed export leaves no partial file behind. ``registry`` is the
    unit's whole key registry (its chain is checked from the first entry) and ``unit_key``
    the unit's public key as this server knows it (a verifier gives its own)."""
    header: dict[str, Any] = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "case": {"id": case.id, "number": case.number, "title": case.title, "zone": case.zone,
                 "reference": case.reference},
        "head": {"seq": events[-1]["seq"] if events else 0,
                 "hash": events[-1]["event_hash"] if events else None},
        "exported_at": format_time(utc_now()),
        "exported_by": exported_by,
        "unit_key": unit_key,
    }
    lines = [header]
    lines += [{"type": "key", "username": k.username, "public_key": k.public_key,
               "key_id": k.key_id} for k in sorted(keys.values(), key=lambda k: k.username)]
    lines += [{"type": "registry", **entry} for entry in registry]
    lines += [{"type": "event", **event} for event in events]
    lines += [{"type": "countersignature", **cs} for cs in countersignatures]
    lines += [{"type": "anchor", "seq": a.seq, "head_hash": a.head_hash} for a in anchors]
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_file(path) as fh:
        for line in lines:
            fh.write(canonical_json(line) + b"\n")


_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_OPTIONAL_TEXT = (str, type(None))

#: the type every field of a line must have; a line that breaks this is malformed (exit 2),
#: not a broken chain (exit 1): a verifier must never crash on what a file holds
EVENT_FIELDS: dict[str, tuple[type, ...]] = {
    "v": (int,), "case_id": (str,), "seq": (int,), "occurred_at": (str,),
    "recorded_at": (str,), "actor": (str,), "actor_zone": _OPTIONAL_TEXT,
    "actor_role": _OPTIONAL_TEXT, "key_id": (str,), "action": (str,),
    "evidence_id": _OPTIONAL_TEXT, "location": _OPTIONAL_TEXT, "reason": _OPTIONAL_TEXT,
    "observed_hashes": (dict,), "details": (dict,), "prev_hash": (str,),
    "event_hash": (str,), "signature": (str,)}
COUNTERSIGNATURE_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,), "event_hash": (str,), "signer": (str,), "role": (str,),
    "key_id": (str,), "signature": (str,)}
KEY_FIELDS: dict[str, tuple[type, ...]] = {"username": (str,), "public_key": (str,)}
ANCHOR_FIELDS: dict[str, tuple[type, ...]] = {"seq": (int,), "head_hash": (str,)}
REGISTRY_LINE_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,), "recorded_at": (str,), "action": (str,), "username": (str,),
    "public_key": _OPTIONAL_TEXT, "key_id": (str,), "valid_from": _OPTIONAL_TEXT,
    "reason": _OPTIONAL_TEXT, "operator": (str,), "unit_key_id": (str,), "prev_hash": (str,),
    "entry_hash": (str,), "signature": (str,)}


def _type_names(types: tuple[type, ...]) -> str:
    names = {int: "an integer", str: "a string", dict: "an object", list: "a list",
             type(None): "null"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_fields(where: str, record: dict[str, Any],
                  fields: dict[str, tuple[type, ...]]) -> None:
    """Raise :class:`InvalidInput` naming the first field that is missing or mistyped."""
    for name, types in fields.items():
        if name not in record:
            raise InvalidInput(f"{where}: field {name!r} is missing")
        value = record[name]
        if isinstance(value, bool) or not isinstance(value, types):
            raise InvalidInput(f"{where}: field {name!r} must be {_type_names(types)}, not "
                               f"{json.dumps(value)[:40]}")


def _parse_line(where: str, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"{where}: not a JSON object ({str(exc)[:80]})") from exc
    if not isinstance(record, dict):
        raise InvalidInput(f"{where}: not a JSON object")
    if not isinstance(record.get("type"), str):
        raise InvalidInput(f"{where}: field 'type' is missing or not a string")
    return record


def _check_header(where: str, record: dict[str, Any]) -> dict[str, Any]:
    if record.get("format") != EXPORT_FORMAT:
        raise InvalidInput(f"{where}: unknown export format {str(record.get('format'))[:40]!r}"
                           f" (this verifier reads {EXPORT_FORMAT})")
    case = record.get("case")
    if not isinstance(case, dict):
        raise InvalidInput(f"{where}: field 'case' must be an object")
    if not isinstance(case.get("id"), str):
        raise InvalidInput(f"{where}: field 'case.id' must be a string")
    head = record.get("head")
    if not isinstance(head, dict):
        raise InvalidInput(f"{where}: field 'head' must be an object")
    seq = head.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise InvalidInput(f"{where}: field 'head.seq' must be a non-negative integer")
    if not (head.get("hash") is None if seq == 0 else isinstance(head.get("hash"), str)):
        raise InvalidInput(f"{where}: field 'head.hash' must be a string (null only for an "
                           "empty log)")
    unit = record.get("unit_key")
    if unit is not None and not (isinstance(unit, str) and _HEX64.match(unit)):
        raise InvalidInput(f"{where}: field 'unit_key' must be 64 lowercase hex digits")
    return record


def verify_export(path: str | os.PathLike[str], *, expected_head: str | None = None,
                  prefix: bool = False, unit_key: str | None = None) -> VerifyResult:
    """Verify an export file on its own (no database, no key store).

    Signatures count only with keys the file's key registry certifies, and the registry
    counts only if the unit key signed it: ``unit_key`` is the unit's public key as the
    verifier knows it (noted in the unit's procedures). Without it the file's own unit key
    is used and ``result.unit_key_from_file`` says so (a file rewritten with a new unit key
    is then caught only by the head noted in the PV).

    A file that is not a well-formed export (a line that is not a JSON object, a field
    missing or of the wrong type, NaN, a malformed key) raises :class:`InvalidInput` naming
    the line and the field; what a well-formed file says is then verified."""
    source = Path(path)
    if unit_key is not None and not _HEX64.match(unit_key.strip().lower()):
        raise InvalidInput("the unit key must be 64 hex digits (`lccu unit key` prints it)")
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
    registry: list[dict[str, Any]] = []
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        record = _parse_line(where, line)
        kind = record.pop("type")
        if kind == "header":
            if header is not None:
                raise InvalidInput(f"{where}: a second header line")
            header = _check_header(where, record)
        elif kind == "key":
            _check_fields(where, record, KEY_FIELDS)
            if not _HEX64.match(record["public_key"]):
                raise InvalidInput(f"{where}: field 'public_key' must be 64 lowercase hex "
                                   "digits (a raw Ed25519 public key)")
            key = SignerKey(record["username"], record["public_key"])
            keys[key.username] = key
        elif kind == "event":
            _check_fields(where, record, EVENT_FIELDS)
            events.append(record)
        elif kind == "registry":
            _check_fields(where, record, REGISTRY_LINE_FIELDS)
            registry.append(record)
        elif kind == "countersignature":
            _check_fields(where, record, COUNTERSIGNATURE_FIELDS)
            countersignatures.append(record)
        elif kind == "anchor":
            _check_fields(where, record, ANCHOR_FIELDS)
            anchors.append(Anchor(record["seq"], record["head_hash"],
                                  f"anchor at line {number}"))
        else:
            raise InvalidInput(f"{where}: unknown line type {kind[:40]!r}")
    if header is None:
        raise InvalidInput(f"{source}: no header line; this is not a custody export")
    case_id = header["case"]["id"]
    head = header["head"]
    if head["seq"]:
        anchors.append(Anchor(head["seq"], head["hash"], "the export header"))
    trusted = (unit_key or "").strip().lower() or header.get("unit_key")
    registry_problems: list[str] = []
    if trusted is None:
        ring = KeyRing()
        registry_problems.append("no unit key: the file names none and none was given "
                                 "(--unit-key), so no signer's key is certified")
    else:
        ring, registry_problems = verify_registry(registry, trusted)
        if unit_key and header.get("unit_key") not in (None, trusted):
            registry_problems.insert(0, f"the file names unit key {header['unit_key'][:16]}..."
                                        f", not the unit key you gave ({trusted[:16]}...)")
    for key in keys.values():
        period = next((p for p in ring.keys_of(key.username) if p.key_id == key.key_id), None)
        if period is None:
            registry_problems.append(f"key line for {key.username!r} (key {key.key_id[:16]}"
                                     "...) is not certified by the unit's key registry (an "
                                     "invented signer or key?)")
    result = verify_events(events, ring, case_id=case_id, anchors=anchors,
                           expected_head=expected_head, countersignatures=countersignatures,
                           prefix=prefix)
    result.problems += [Problem(None, problem) for problem in registry_problems]
    result.unit_key_id = key_id_of(trusted) if trusted else None
    result.unit_key_from_file = not unit_key
    _check_header_head(result, events, head)
    anchored = {a.seq for a in anchors}
    result.problems += [Problem(e["seq"], f"event {e['seq']} has no anchor line: it was not "
                                          "appended by lccu (inserted in the database?)")
                        for e in events if e["seq"] not in anchored]
    result.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return result


def _check_header_head(result: VerifyResult, events: Sequence[dict[str, Any]],
                       head: dict[str, Any]) -> None:
    """The header's head is the file's last event: an event after it was appended later."""
    past = [e for e in events if isinstance(e.get("seq"), int) and e["seq"] > head["seq"]]
    if past:
        listed = "; ".join(f"#{e['seq']} {e.get('action')} by {e.get('actor')}"
                           for e in past[:20])
        result.problems.append(Problem(
            past[0]["seq"], f"the export header says the log ends at #{head['seq']}, but "
                            f"{len(past)} event(s) follow it in the file (appended after the "
                            f"export?): {listed}"))
