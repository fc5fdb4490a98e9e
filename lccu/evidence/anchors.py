"""Head anchors: each custody head written where the database cannot rewrite it.

Each append to a case's custody log also appends one signed line ``{case_id, seq,
head_hash, ...}`` to ``<anchor_dir>/<case_id>.anchors`` (opened with O_APPEND, mode 0600), and
in server mode (an S3 store configured) writes the same line as the object
``anchors/case/<case_id>/<seq>.json`` under S3 object lock in COMPLIANCE mode, which no
database or file-system administrator can delete before its retention ends. Every event has
its anchor, so :func:`~lccu.evidence.lab_custody.LabCustody.verify_custody` reports an event
without one (inserted into the database), an anchor without its event (deleted), a cut tail,
and a missing anchor file. The audit log's head is anchored the same way
(``<anchor_dir>/audit.anchors`` after each entry, ``anchors/audit/<seq>.json`` with each
custody anchor in server mode), so a cut audit tail is found. The head hash is also printed
for the investigator to note in the proces-verbaal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lccu.config import Settings
from lccu.errors import CustodyError
from lccu.evidence.canonical import canonical_json, format_time, utc_now
from lccu.evidence.chain import Anchor, SignerKey
from lccu.evidence.keys import KeyStore, verify_signature
from lccu.evidence.registry import KeyRing

if TYPE_CHECKING:
    from lccu.storage.s3 import S3Store


class AnchorJournal:
    """Append-only, signed head records per case, outside the database."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, case_id: str) -> Path:
        if not case_id or any(c in case_id for c in "/\\.") :
            raise CustodyError(f"invalid case id for an anchor file: {case_id!r}")
        return self.directory / f"{case_id}.anchors"

    def exists(self, case_id: str) -> bool:
        return self._path(case_id).exists()

    def record(self, case_id: str, seq: int, head_hash: str, actor: str, keys: KeyStore,
               settings: Settings | None = None) -> None:
        """Append the signed head line; in server mode also store it in S3 under object
        lock (with the audit log's head of the moment)."""
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
        store = remote_store(settings)
        if store is not None:
            store.put_anchor(f"case/{case_id}/{seq:012d}.json", canonical_json(line))

    def read_remote(self, case_id: str, keys: Mapping[str, SignerKey] | KeyRing,
                    settings: Settings | None) -> tuple[list[Anchor], list[str]] | None:
        """The case's anchors in S3 (server mode), or None in embedded mode."""
        store = remote_store(settings)
        if store is None:
            return None
        self._path(case_id)  # checks the case id
        lines = [(f"S3 object anchors/{name}", body)
                 for name, body in store.anchors(f"case/{case_id}/")]
        return _parse(lines, case_id, keys)

    def read(self, case_id: str,
             keys: Mapping[str, SignerKey] | KeyRing) -> tuple[list[Anchor], list[str]]:
        """Anchors whose signature verifies (by a key certified for their actor), and a list
        of complaints about the others."""
        path = self._path(case_id)
        if not path.exists():
            return [], []
        lines = [(f"anchor file {path.name} line {number}", raw.encode())
                 for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if raw.strip()]
        return _parse(lines, case_id, keys)


def _parse(lines: list[tuple[str, bytes]], case_id: str,
           keys: Mapping[str, SignerKey] | KeyRing) -> tuple[list[Anchor], list[str]]:
    """Anchors whose signature verifies by a key certified for their actor; complaints
    about the others."""
    ring = keys if isinstance(keys, KeyRing) else KeyRing.trusting(keys)
    anchors: list[Anchor] = []
    complaints: list[str] = []
    for source, raw in lines:
        try:
            line = json.loads(raw)
            body = {k: line[k] for k in ("case_id", "seq", "head_hash", "recorded_at", "actor")}
            seq = int(body["seq"])
        except (ValueError, KeyError, TypeError):
            complaints.append(f"{source}: unreadable anchor")
            continue
        if body["case_id"] != case_id:
            complaints.append(f"{source}: anchor of another case")
            continue
        if not any(verify_signature(period.public_key, str(line.get("signature", "")),
                                    canonical_json(body))
                   for period in ring.keys_of(str(body["actor"]))):
            complaints.append(f"{source}: anchor signature does not verify")
            continue
        anchors.append(Anchor(seq, str(body["head_hash"]), source))
    return anchors, complaints


def remote_store(settings: Settings | None) -> S3Store | None:
    """The S3 store that keeps anchors under object lock, or None in embedded mode."""
    if settings is None or not settings.s3_endpoint:
        return None
    from lccu.storage.s3 import S3Store

    return S3Store(settings)


class AuditAnchors:
    """The audit log's heads outside the database: one line ``{seq, entry_hash}`` per entry
    in ``<anchor_dir>/audit.anchors`` and, in server mode, ``anchors/audit/<seq>.json``
    objects under object lock."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "audit.anchors"

    def record(self, seq: int, entry_hash: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"seq": seq, "entry_hash": entry_hash}) + "\n")

    def record_remote(self, seq: int, entry_hash: str, settings: Settings | None) -> None:
        store = remote_store(settings)
        if store is not None:
            store.put_anchor(f"audit/{seq:012d}.json",
                             canonical_json({"seq": seq, "entry_hash": entry_hash,
                                             "recorded_at": format_time(utc_now())}))

    def read(self, settings: Settings | None) -> tuple[list[tuple[int, str, str]], list[str]]:
        """``(seq, entry_hash, source)`` of every audit anchor, and complaints."""
        found: list[tuple[int, str, str]] = []
        complaints: list[str] = []
        lines: list[tuple[str, bytes]] = []
        if self.path.exists():
            lines += [(f"{self.path.name} line {n}", raw.encode()) for n, raw in
                      enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1)
                      if raw.strip()]
        store = remote_store(settings)
        if store is not None:
            lines += [(f"S3 object anchors/{name}", body) for name, body in store.anchors("audit/")]
        for source, raw in lines:
            try:
                record = json.loads(raw)
                found.append((int(record["seq"]), str(record["entry_hash"]), source))
            except (ValueError, KeyError, TypeError):
                complaints.append(f"{source}: unreadable audit anchor")
        return found, complaints
