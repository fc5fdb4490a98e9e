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

An event is committed before its anchor is written, so a process that stops in between
(SIGKILL, power loss) leaves a genuine, signed tail event without an anchor. The next append
to the case anchors it *late* (:meth:`~lccu.evidence.lab.Lab._anchor_late`): only the one
tail event, only if its predecessor is anchored, it links to that anchored hash, it carries a
valid signature by a key certified for its actor, and its appender wrote a signed *intent*
line for it before committing (:meth:`AnchorJournal.intend`), which an event put straight
into the database lacks. A late anchor line carries ``"late":
true`` and ``"anchored_by"`` (the user whose key signs the line; ``actor`` stays the event's
actor), and verify lists it as a note, not a failure.
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


#: what reading a line someone with file access wrote may raise: not JSON or not UTF-8
#: (ValueError), a field missing or of the wrong kind, JSON nested past the recursion limit,
#: a number that is no integer (infinity): each is that line's finding, never a crash of
#: verify or of the append that looks for a late anchor
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError)


class AnchorJournal:
    """Append-only, signed head records per case, outside the database."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._remote: tuple[Settings, S3Store] | None = None

    def _store(self, settings: Settings | None) -> S3Store | None:
        """:func:`remote_store`, opened once per settings object (opening checks the bucket:
        three requests that the check before each append should not repeat)."""
        if settings is None or not settings.s3_endpoint:
            return None
        if self._remote is None or self._remote[0] is not settings:
            store = remote_store(settings)
            assert store is not None
            self._remote = (settings, store)
        return self._remote[1]

    def _path(self, case_id: str) -> Path:
        if not case_id or any(c in case_id for c in "/\\."):
            raise CustodyError(f"invalid case id for an anchor file: {case_id!r}")
        return self.directory / f"{case_id}.anchors"

    def exists(self, case_id: str) -> bool:
        return self._path(case_id).exists()

    def record(
        self,
        case_id: str,
        seq: int,
        head_hash: str,
        actor: str,
        keys: KeyStore,
        settings: Settings | None = None,
        *,
        late_by: str | None = None,
    ) -> None:
        """Append the signed head line; in server mode also store it in S3 under object
        lock (with the audit log's head of the moment). ``late_by``: a late anchor of
        ``actor``'s event, written and signed by ``late_by``."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        body: dict[str, object] = {
            "case_id": case_id,
            "seq": seq,
            "head_hash": head_hash,
            "recorded_at": format_time(utc_now()),
            "actor": actor,
        }
        if late_by is not None:
            body |= {"late": True, "anchored_by": late_by}
        line = dict(body, signature=keys.sign(late_by or actor, canonical_json(body)))
        fd = os.open(self._path(case_id), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        store = self._store(settings)
        if store is not None:
            store.put_anchor(f"case/{case_id}/{seq:012d}.json", canonical_json(line))

    def intend(self, case_id: str, seq: int, event_hash: str, actor: str, keys: KeyStore) -> None:
        """Before the commit of event ``seq``: append a line saying lccu is appending it,
        signed by its actor, to ``<anchor_dir>/<case_id>.intents``. It is no anchor; it lets
        the next append tell a process that stopped between commit and anchor (an intent,
        no anchor) from an event put straight into the database (neither), which must stay a
        finding. Local only: one fsync'd line, no network, on every append."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._path(case_id)  # checks the case id
        body = {
            "case_id": case_id,
            "seq": seq,
            "head_hash": event_hash,
            "recorded_at": format_time(utc_now()),
            "actor": actor,
            "intent": True,
        }
        line = dict(body, signature=keys.sign(actor, canonical_json(body)))
        fd = os.open(
            self.directory / f"{case_id}.intents", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def intents(self, case_id: str, seq: int, keys: KeyRing) -> list[Anchor]:
        """The verified intent lines for event ``seq`` (see :meth:`intend`)."""
        path = self.directory / f"{self._path(case_id).stem}.intents"
        if not path.exists():
            return []
        lines = [
            (f"{path.name} line {n}", raw)
            for n, raw in enumerate(path.read_bytes().splitlines(), 1)
            if raw.strip()
        ]
        return [a for a in _parse(lines, case_id, keys, intents=True)[0] if a.seq == seq]

    def is_anchored(self, case_id: str, seq: int, settings: Settings | None) -> bool:
        """Whether event ``seq`` has an anchor where verify looks for it: one S3 HEAD in server
        mode, else a look at the anchor file's last 16 KiB (the line of the event just
        appended is near the end; only if it is not there is the whole file read). Says
        nothing about the anchor's signature: a "yes" only skips late anchoring, and verify
        checks every anchor."""
        store = self._store(settings)
        if store is not None:
            self._path(case_id)  # checks the case id
            return store.anchor_exists(f"case/{case_id}/{seq:012d}.json")
        path = self._path(case_id)
        try:
            with path.open("rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - 16384))
                tail = fh.read()
        except FileNotFoundError:
            return False
        if _has_seq(tail.splitlines()[1 if size > 16384 else 0 :], seq):
            return True
        return size > 16384 and _has_seq(path.read_bytes().splitlines(), seq)

    def read_seq(
        self, case_id: str, seq: int, keys: KeyRing, settings: Settings | None
    ) -> list[Anchor]:
        """The verified anchors of event ``seq`` where verify looks for them (S3 in server
        mode, else the anchor file)."""
        store = self._store(settings)
        if store is None:
            found = self.read(case_id, keys)[0]
        else:
            self._path(case_id)
            name = f"case/{case_id}/{seq:012d}.json"
            found = _parse(
                [(f"S3 object anchors/{n}", body) for n, body in store.anchors(name) if n == name],
                case_id,
                keys,
            )[0]
        return [a for a in found if a.seq == seq]

    def read_remote(
        self, case_id: str, keys: Mapping[str, SignerKey] | KeyRing, settings: Settings | None
    ) -> tuple[list[Anchor], list[str]] | None:
        """The case's anchors in S3 (server mode), or None in embedded mode."""
        store = self._store(settings)
        if store is None:
            return None
        self._path(case_id)  # checks the case id
        lines = [
            (f"S3 object anchors/{name}", body) for name, body in store.anchors(f"case/{case_id}/")
        ]
        return _parse(lines, case_id, keys)

    def read(
        self, case_id: str, keys: Mapping[str, SignerKey] | KeyRing
    ) -> tuple[list[Anchor], list[str]]:
        """Anchors whose signature verifies (by a key certified for their actor), and a list
        of complaints about the others."""
        path = self._path(case_id)
        if not path.exists():
            return [], []
        lines = [
            (f"anchor file {path.name} line {number}", raw)
            for number, raw in enumerate(path.read_bytes().splitlines(), 1)
            if raw.strip()
        ]  # bytes: a line that is not UTF-8 is unreadable, not a crash
        return _parse(lines, case_id, keys)


def _parse(
    lines: list[tuple[str, bytes]],
    case_id: str,
    keys: Mapping[str, SignerKey] | KeyRing,
    *,
    intents: bool = False,
) -> tuple[list[Anchor], list[str]]:
    """Anchors (or, ``intents``, intent lines) whose signature verifies by a key certified
    for their signer (the actor, or ``anchored_by`` of a late anchor); complaints about the
    others."""
    what = "intent" if intents else "anchor"
    ring = keys if isinstance(keys, KeyRing) else KeyRing.trusting(keys)
    anchors: list[Anchor] = []
    complaints: list[str] = []
    for source, raw in lines:
        try:
            line = json.loads(raw)
            body = {k: v for k, v in line.items() if k != "signature"}  # what was signed
            if not {"case_id", "seq", "head_hash", "recorded_at", "actor"} <= body.keys():
                raise KeyError("a field is missing")
            late = "late" in body
            if late and (body["late"] is not True or not isinstance(body["anchored_by"], str)):
                raise ValueError("bad late anchor")
            seq = int(body["seq"])
        except UNREADABLE:
            complaints.append(f"{source}: unreadable {what}")
            continue
        if (body.get("intent") is True) != intents:  # an intent is no anchor, nor vice versa
            complaints.append(f"{source}: not an {what}")
            continue
        if body["case_id"] != case_id:
            complaints.append(f"{source}: {what} of another case")
            continue
        signer = str(body["anchored_by"] if late else body["actor"])
        if not any(
            verify_signature(
                period.public_key, str(line.get("signature", "")), canonical_json(body)
            )
            for period in ring.keys_of(signer)
        ):
            complaints.append(f"{source}: {what} signature does not verify")
            continue
        anchors.append(
            Anchor(
                seq,
                str(body["head_hash"]),
                source,
                late=late,
                anchored_by=signer if late else None,
                recorded_at=str(body["recorded_at"]),
                actor=str(body["actor"]),
            )
        )
    return anchors, complaints


def _has_seq(lines: list[bytes], seq: int) -> bool:
    """Whether one of the anchor ``lines`` is for event ``seq`` (unreadable lines are not)."""
    for raw in reversed(lines):
        try:
            if int(json.loads(raw)["seq"]) == seq:
                return True
        except UNREADABLE:
            continue
    return False


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
            store.put_anchor(
                f"audit/{seq:012d}.json",
                canonical_json(
                    {"seq": seq, "entry_hash": entry_hash, "recorded_at": format_time(utc_now())}
                ),
            )

    def read(self, settings: Settings | None) -> tuple[list[tuple[int, str, str]], list[str]]:
        """``(seq, entry_hash, source)`` of every audit anchor, and complaints."""
        found: list[tuple[int, str, str]] = []
        complaints: list[str] = []
        lines: list[tuple[str, bytes]] = []
        if self.path.exists():
            lines += [
                (f"{self.path.name} line {n}", raw)
                for n, raw in enumerate(self.path.read_bytes().splitlines(), 1)
                if raw.strip()
            ]
        store = remote_store(settings)
        if store is not None:
            lines += [(f"S3 object anchors/{name}", body) for name, body in store.anchors("audit/")]
        for source, raw in lines:
            try:
                record = json.loads(raw)
                found.append((int(record["seq"]), str(record["entry_hash"]), source))
            except UNREADABLE:
                complaints.append(f"{source}: unreadable audit anchor")
        return found, complaints
