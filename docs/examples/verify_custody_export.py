#!/usr/bin/env python3
"""Verify an lccu custody export without lccu: only the standard library and `cryptography`.

Written from the format description in docs/custody.md, independently of lccu's own
verifier, so that a court expert or the defence can check a chain of custody with code
they can read in one sitting. It checks the integrity of the log (sequence, links, hashes,
signatures, recorded times, heads) and the countersignatures of hand-overs (by the party the
event names, with that party's key, over that event's hash), not the custody rules
(custodian, place, seal, disposal) that `lccu custody verify --file` also checks; see
docs/custody.md. Usage:

    python3 verify_custody_export.py custody.jsonl [--head HEAD_HASH_NOTED_IN_THE_PV [--prefix]]

The head noted in the PV is the end of the log: events after it are a failure unless
``--prefix`` says the file is expected to extend the noted log (they are then listed).

Exit status 0 when every check passes, 1 when a check fails (each problem printed), 2 when
the file is not a well-formed export (the line and field named).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HASHED = (
    "v",
    "case_id",
    "seq",
    "occurred_at",
    "recorded_at",
    "actor",
    "actor_zone",
    "actor_role",
    "key_id",
    "action",
    "evidence_id",
    "location",
    "reason",
    "observed_hashes",
    "details",
    "prev_hash",
)
HAND_OVERS = ("transferred", "checked_out", "checked_in")
ROLES = {"receiver": "received_by", "witness": "witness", "releaser": "released_by"}
HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Malformed(Exception):
    """The file is not a well-formed export: exit status 2, never a crash."""


TEXT, INT, OBJ, NULL = str, int, dict, type(None)
FIELDS = {  # the type each field of each kind of line must have
    "event": {
        "v": (INT,),
        "case_id": (TEXT,),
        "seq": (INT,),
        "occurred_at": (TEXT,),
        "recorded_at": (TEXT,),
        "actor": (TEXT,),
        "actor_zone": (TEXT, NULL),
        "actor_role": (TEXT, NULL),
        "key_id": (TEXT,),
        "action": (TEXT,),
        "evidence_id": (TEXT, NULL),
        "location": (TEXT, NULL),
        "reason": (TEXT, NULL),
        "observed_hashes": (OBJ,),
        "details": (OBJ,),
        "prev_hash": (TEXT,),
        "event_hash": (TEXT,),
        "signature": (TEXT,),
    },
    "countersignature": {
        "seq": (INT,),
        "event_hash": (TEXT,),
        "signer": (TEXT,),
        "role": (TEXT,),
        "key_id": (TEXT,),
        "signature": (TEXT,),
    },
    "key": {"username": (TEXT,), "public_key": (TEXT,)},
    "anchor": {"seq": (INT,), "head_hash": (TEXT,)},
    "header": {"format": (TEXT,), "case": (OBJ,), "head": (OBJ,)},
}


def no_constants(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def check(where: str, record: dict, fields: dict) -> None:
    for name, types in fields.items():
        value = record.get(name, KeyError)
        if value is KeyError:
            raise Malformed(f"{where}: field {name!r} is missing")
        if isinstance(value, bool) or not isinstance(value, types):
            raise Malformed(f"{where}: field {name!r} has the wrong type")


def read_lines(path: str) -> list[dict]:
    """Every line as a checked dict; raises Malformed naming line and field."""
    lines = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            where = f"line {number}"
            try:
                record = json.loads(raw.decode("utf-8"), parse_constant=no_constants)
            except (ValueError, RecursionError) as exc:
                raise Malformed(f"{where}: not JSON ({str(exc)[:60]})") from exc
            if not isinstance(record, dict) or str(record.get("type")) not in FIELDS:
                raise Malformed(f"{where}: not an object with a known 'type'")
            check(where, record, FIELDS[record["type"]])
            if record["type"] == "key" and not HEX64.match(record["public_key"]):
                raise Malformed(f"{where}: field 'public_key' is not 64 hex digits")
            if record["type"] == "header":
                head, case = record["head"], record["case"]
                if not isinstance(case.get("id"), str):
                    raise Malformed(f"{where}: field 'case.id' is not a string")
                if isinstance(head.get("seq"), bool) or not isinstance(head.get("seq"), int):
                    raise Malformed(f"{where}: field 'head.seq' is not an integer")
                if head["seq"] and not isinstance(head.get("hash"), str):
                    raise Malformed(f"{where}: field 'head.hash' is not a string")
            lines.append(record)
    if sum(line["type"] == "header" for line in lines) != 1:
        raise Malformed("the file must have exactly one header line")
    return lines


def canonical(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def signed_by(public: str, signature: str, digest: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public)).verify(
            bytes.fromhex(signature), bytes.fromhex(digest)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def party(event: dict, role: str) -> str | None:
    """Who a hand-over names in a role; the releaser is the actor unless named."""
    if event["action"] not in HAND_OVERS:
        return None
    named = event["details"].get(ROLES[role])
    return event["actor"] if named is None and role == "releaser" else named


def check_countersignatures(
    lines: list[dict], events: list[dict], keys: dict[str, str], problems: list[str]
) -> list[str]:
    """Problems go to ``problems``; returns the parties who have not signed (not a failure)."""
    by_seq = {event["seq"]: event for event in events}
    signed = set()
    for cs in (line for line in lines if line["type"] == "countersignature"):
        seq, signer, role = cs["seq"], cs["signer"], cs["role"]
        event = by_seq.get(seq)
        if event is None or role not in ROLES:
            problems.append(f"event {seq}: countersignature for no such event or role")
            continue
        signed.add((seq, role))
        if party(event, role) != signer or signer == event["actor"]:
            problems.append(f"event {seq}: countersigned by {signer}, who is not its {role}")
        if cs["event_hash"] != event["event_hash"]:
            problems.append(f"event {seq}: countersignature covers another event's hash")
        public = keys.get(signer)
        if public is None or hashlib.sha256(bytes.fromhex(public)).hexdigest() != cs["key_id"]:
            problems.append(f"event {seq}: countersignature key is not {signer}'s key")
        elif not signed_by(public, cs["signature"], event["event_hash"]):
            problems.append(f"event {seq}: countersignature by {signer} invalid")
    return [
        f"event {event['seq']}: not countersigned by {role} {party(event, role)}"
        for event in events
        for role in ROLES
        if party(event, role) not in (None, event["actor"]) and (event["seq"], role) not in signed
    ]


def describe(events: list[dict]) -> str:
    return "; ".join(
        f"#{e['seq']} {e['action']} by {e['actor']} at {e['recorded_at']}" for e in events
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--head", help="head hash noted independently (proces-verbaal)")
    parser.add_argument(
        "--prefix",
        action="store_true",
        help="accept a log that goes on after --head (and list what follows)",
    )
    args = parser.parse_args(argv)
    try:
        lines = read_lines(args.export)
    except (Malformed, OSError) as exc:
        print(f"{args.export}: not a well-formed custody export: {exc}")
        return 2
    header = next(line for line in lines if line["type"] == "header")
    keys = {line["username"]: line["public_key"] for line in lines if line["type"] == "key"}
    events = [line for line in lines if line["type"] == "event"]
    problems: list[str] = []
    prev_hash, prev_seq, prev_time = "0" * 64, 0, None
    for event in events:
        seq = event["seq"]
        payload = {name: event.get(name) for name in HASHED}
        digest = hashlib.sha256(canonical(payload)).hexdigest()
        if seq != prev_seq + 1:
            problems.append(f"event {seq}: expected sequence number {prev_seq + 1}")
        if event["prev_hash"] != prev_hash:
            problems.append(f"event {seq}: does not link to the previous event")
        if digest != event["event_hash"]:
            problems.append(f"event {seq}: content does not match its hash")
        public = keys.get(event["actor"])
        if public is None:
            problems.append(f"event {seq}: no key for {event['actor']}")
        else:
            if hashlib.sha256(bytes.fromhex(public)).hexdigest() != event["key_id"]:
                problems.append(f"event {seq}: key id is not {event['actor']}'s key")
            if not signed_by(public, event["signature"], digest):
                problems.append(f"event {seq}: signature invalid")
        try:
            recorded = datetime.fromisoformat(event["recorded_at"])
            if prev_time is not None and recorded < prev_time:
                problems.append(f"event {seq}: recorded time goes back")
        except (ValueError, TypeError):  # not a time, or one without an offset
            problems.append(f"event {seq}: recorded_at is not an RFC 3339 time with offset")
            recorded = prev_time
        prev_hash, prev_seq, prev_time = event["event_hash"], seq, recorded
    by_seq = {event["seq"]: event["event_hash"] for event in events}
    heads = [(header["head"]["seq"], header["head"]["hash"])] if header["head"]["seq"] else []
    heads += [(line["seq"], line["head_hash"]) for line in lines if line["type"] == "anchor"]
    for seq, head in heads:
        if by_seq.get(seq) != head:
            problems.append(f"head #{seq} recorded outside the log is missing or different")
    # the header's head is the end of the file's log; the head noted in the PV is the end
    # of the log unless --prefix accepts a log that goes on after it
    appended = [e for e in events if e["seq"] > header["head"]["seq"]]
    if appended:
        problems.append(
            f"the header says the log ends at #{header['head']['seq']}, but "
            f"{len(appended)} event(s) follow: " + describe(appended)
        )
    hashes = [event["event_hash"] for event in events]
    if args.head and args.head.lower() not in hashes:
        problems.append("the head hash noted in the PV is not in this log")
    elif args.head:
        after = events[hashes.index(args.head.lower()) + 1 :]
        if after and not args.prefix:
            problems.append(
                f"the log goes on past the head noted in the PV: {len(after)} "
                "event(s) follow it: " + describe(after)
            )
        elif after:
            print(f"the log extends the noted head by {len(after)} event(s): " + describe(after))
    pending = check_countersignatures(lines, events, keys, problems)
    for problem in problems:
        print(problem)
    for note in pending:
        print(f"{note} (pending, not a failure)")
    print(
        f"{len(events)} events, head #{prev_seq} {prev_hash}: "
        + ("VERIFIED" if not problems else f"{len(problems)} PROBLEM(S)")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
