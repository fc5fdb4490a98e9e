"""Head anchors: the latest custody head written where the database cannot rewrite it.

Each append to a case's custody log also appends one signed line ``{case_id, seq,
head_hash, ...}`` to ``<anchor_dir>/<case_id>.anchors`` (opened with O_APPEND, mode 0600).
Someone who deletes the last events from the database and fixes up the head in the case row
still leaves this file saying the log once reached a later event, so :func:`verify` reports
a truncated tail. In server mode point ``LCCU_ANCHOR_DIR`` at storage the database
administrators cannot write (a separate host, an append-only or WORM mount); the head hash is
also printed for the investigator to note in the proces-verbaal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from lccu.errors import CustodyError
from lccu.evidence.canonical import canonical_json, format_time, utc_now
from lccu.evidence.chain import Anchor, SignerKey
from lccu.evidence.keys import KeyStore, verify_signature
from lccu.evidence.registry import KeyRing


class AnchorJournal:
    """Append-only, signed head records per case, outside the database."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, case_id: str) -> Path:
        if not case_id or any(c in case_id for c in "/\\.") :
            raise CustodyError(f"invalid case id for an anchor file: {case_id!r}")
        return self.directory / f"{case_id}.anchors"

    def record(self, case_id: str, seq: int, head_hash: str, actor: str, keys: KeyStore) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        body = {
            "case_id": case_id,
            "seq": seq,
            "head_hash": head_hash,
            "recorded_at": format_time(utc_now()),
            "actor": actor,
        }
        line = dict(body, signature=keys.sign(actor, canonical_json(body)))
        fd = os.open(self._path(case_id), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def read(self, case_id: str,
             keys: Mapping[str, SignerKey] | KeyRing) -> tuple[list[Anchor], list[str]]:
        """Anchors whose signature verifies (by a key certified for their actor), and a list
        of complaints about the others."""
        path = self._path(case_id)
        if not path.exists():
            return [], []
        anchors: list[Anchor] = []
        complaints: list[str] = []
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                body = {k: line[k] for k in ("case_id", "seq", "head_hash", "recorded_at",
                                              "actor")}
            except (ValueError, KeyError, TypeError):
                complaints.append(f"{path}:{number}: unreadable anchor line")
                continue
            ring = keys if isinstance(keys, KeyRing) else KeyRing.trusting(keys)
            if not any(verify_signature(period.public_key, str(line.get("signature", "")),
                                        canonical_json(body))
                       for period in ring.keys_of(str(body["actor"]))):
                complaints.append(f"{path}:{number}: anchor signature does not verify")
                continue
            anchors.append(Anchor(int(body["seq"]), str(body["head_hash"]),
                                  f"anchor file {path.name} line {number}"))
        return anchors, complaints
