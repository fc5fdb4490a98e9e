"""Taking evidence in: one pass into the store that hashes, then one signed intake event.

Two ways in, one record. :meth:`Lab.add_evidence` reads a file; :meth:`Lab.begin_intake`
returns a :class:`StreamingIntake` that is fed chunk by chunk (a browser upload) and
streams straight into the evidence store through a bounded pipe, hashing on the way, with
no scratch copy on local disk. Either way, declared acquisition hashes are checked when the
last byte has been read and *before* the store commits: a mismatch stores nothing, records
no item and leaves a refusal in the audit log, unless the examiner explicitly asks to take
the mismatching copy in (``accept_mismatch``), in which case the item is marked
``hash-mismatch`` and the intake event says which digests differ.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import func, select

from lccu.errors import DeclaredHashMismatch, InvalidInput, LccuError, StorageError
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.models import EvidenceItem, new_uuid
from lccu.evidence.records import EvidenceInfo
from lccu.evidence.terms import ITEM_TYPES
from lccu.hashing import ALGORITHMS, normalise_hash
from lccu.storage import EvidenceStore, StoredEvidence, open_store
from lccu.storage.pipe import BytePipe

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab

Progress = Callable[[int], None]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
PIPE_BYTES = 32 * 1024 * 1024  # what may wait in memory between an upload and the store


class IntakeAborted(LccuError):
    """A streaming intake was cancelled or abandoned before its last byte; nothing stored."""


@dataclass(frozen=True)
class ItemFacts:
    """What the person handing an item in states about it; recorded with the intake."""

    description: str
    item_type: str = "disk-image"
    seal_number: str | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    acquired_by: str | None = None
    acquired_at: datetime | None = None
    acquisition_tool: str | None = None
    acquisition_tool_version: str | None = None
    image_format: str | None = None
    exhibit_number: str | None = None
    location: str | None = None


@dataclass
class PendingIntake:
    """An intake that has passed every check that can be made before the bytes arrive."""

    lab: Lab
    case_id: str
    item_id: str
    key: str
    source_name: str
    size: int
    facts: ItemFacts
    declared: dict[str, str]
    accept_mismatch: bool
    legal_hold: bool
    store: EvidenceStore = field(repr=False)

    def put(self, stream: BinaryIO, progress: Progress | None = None) -> StoredEvidence:
        """Stream into the store; a declared-hash mismatch is audited and nothing is stored."""
        try:
            return self.store.put_evidence(
                self.key, stream, size=self.size, progress=progress,
                legal_hold=self.legal_hold,
                expected=None if self.accept_mismatch else self.declared)
        except DeclaredHashMismatch as exc:
            self._audit_refusal(exc)
            differ = exc.mismatched
            raise DeclaredHashMismatch(
                f"{self.source_name}: declared "
                + ", ".join(f"{n.upper()} {exc.declared[n]}" for n in differ)
                + " but the bytes received hash to "
                + ", ".join(f"{n.upper()} {exc.observed[n]}" for n in differ)
                + "; nothing was stored and nothing recorded as evidence (send the right"
                " file; an examiner who must keep a mismatching copy takes it in"
                " deliberately with `lccu evidence add --accept-mismatch`)",
                mismatched=differ, declared=exc.declared, observed=exc.observed) from exc
        finally:
            self.store.close()

    def _audit_refusal(self, exc: DeclaredHashMismatch) -> None:
        lab = self.lab
        with lab.db.session() as session:
            case = lab._find_case(session, self.case_id)
            lab.audit.write(lab.actor, "evidence.add", allowed=False, case=case,
                            object_type="evidence", object_id=self.item_id, detail={
                                "why": "declared hash mismatch: nothing stored",
                                "source_name": self.source_name, "size": self.size,
                                "mismatched": exc.mismatched, "declared": exc.declared,
                                "observed": exc.observed})

    def recheck(self) -> None:
        """Access and case state again, just before the commit: a share revoked or the
        case closed while the bytes were arriving refuses the intake (audited)."""
        with self.lab.db.session() as session:
            self.lab._case_for(session, self.case_id, "evidence.add", write=True,
                               open_case=True)

    def record(self, stored: StoredEvidence, *, rechecked: bool = False) -> EvidenceInfo:
        """The item row and its signed intake event, in one transaction, then anchored;
        access and case state are checked again first (unless ``rechecked`` just now)."""
        lab, facts = self.lab, self.facts
        observed = stored.digests.hashes()
        mismatches = sorted(n for n, v in self.declared.items() if observed[n] != v)
        with lab.db.session() as session:
            if rechecked:
                case = lab._find_case(session, self.case_id)
            else:
                case = lab._case_for(session, self.case_id, "evidence.add", write=True,
                                     open_case=True)
            exhibit_number = facts.exhibit_number
            if exhibit_number is None:
                count = session.scalar(select(func.count()).select_from(EvidenceItem)
                                       .where(EvidenceItem.case_id == case.id)) or 0
                exhibit_number = f"EXH-{count + 1:03d}"
            item = EvidenceItem(
                id=self.item_id, case_id=case.id, exhibit_number=exhibit_number,
                description=facts.description.strip(), item_type=facts.item_type,
                make=facts.make, model=facts.model, serial=facts.serial,
                seal_number=facts.seal_number, acquired_by=facts.acquired_by,
                acquired_at=format_time(facts.acquired_at) if facts.acquired_at else None,
                acquisition_tool=facts.acquisition_tool,
                acquisition_tool_version=facts.acquisition_tool_version,
                image_format=facts.image_format,
                declared_md5=self.declared.get("md5"), declared_sha1=self.declared.get("sha1"),
                declared_sha256=self.declared.get("sha256"), size=stored.size,
                md5=observed["md5"], sha1=observed["sha1"], sha256=observed["sha256"],
                storage_uri=stored.uri, storage_bucket=stored.bucket, storage_key=stored.key,
                storage_version_id=stored.version_id, lock_mode=stored.lock_mode,
                retain_until=format_time(stored.retain_until) if stored.retain_until else None,
                legal_hold=stored.legal_hold,
                state="hash-mismatch" if mismatches else "stored",
                created_at=format_time(utc_now()),
            )
            session.add(item)
            session.flush()
            head = lab._append(
                session, case, "intake", evidence_id=item.id, location=facts.location,
                reason="evidence taken in" + (" WITH HASH MISMATCH" if mismatches else ""),
                observed_hashes=observed,
                details={
                    "exhibit_number": exhibit_number, "source_name": self.source_name,
                    "size": stored.size, "declared_hashes": self.declared,
                    "hashes_match": not mismatches, "mismatched": mismatches,
                    "seal_number": facts.seal_number, "storage_uri": stored.uri,
                    "storage_version_id": stored.version_id, "lock_mode": stored.lock_mode,
                    "legal_hold": stored.legal_hold,
                },
            )
            info = EvidenceInfo.of(item)
        lab._anchor(head)
        return info


def prepare(lab: Lab, case_ref: str, *, source_name: str, size: int, facts: ItemFacts,
            declared: Mapping[str, str] | None, accept_mismatch: bool,
            legal_hold: bool) -> PendingIntake:
    """Check everything that can be checked before any byte is stored; open the store."""
    if facts.item_type not in ITEM_TYPES:
        raise InvalidInput(f"unknown item type {facts.item_type!r}; use {', '.join(ITEM_TYPES)}")
    if not facts.description.strip():
        raise InvalidInput("an evidence item needs a description")
    unknown = {name for name, value in (declared or {}).items() if value} - set(ALGORITHMS)
    if unknown:
        raise InvalidInput(f"unknown hash algorithm(s): {', '.join(sorted(unknown))}")
    checked = {name: normalise_hash(name, value)
               for name, value in (declared or {}).items() if value}
    if size <= 0:
        raise InvalidInput(f"{source_name}: the file is empty (0 bytes); nothing to take in")
    with lab.db.session() as session:
        case = lab._case_for(session, case_ref, "evidence.add", write=True, open_case=True)
        case_id = case.id
    item_id = new_uuid()
    safe = _SAFE_NAME.sub("_", source_name)[:120].lstrip(".") or "image"
    return PendingIntake(lab=lab, case_id=case_id, item_id=item_id,
                         key=f"cases/{case_id}/{item_id}/{safe}", source_name=source_name,
                         size=size, facts=facts, declared=checked,
                         accept_mismatch=accept_mismatch, legal_hold=legal_hold,
                         store=open_store(lab.settings))


class StreamingIntake:
    """An intake fed chunk by chunk, stored while it arrives (the web upload path).

    A thread runs the store's single hashing pass over a :class:`BytePipe`; :meth:`write`
    hands it the next chunk (waiting while the pipe is full). The store cannot commit
    before :meth:`finish` ends the stream, so an upload cancelled after its last byte
    still leaves nothing; ``finish`` then waits for the commit and records the item. If
    the store fails (S3 down, a hash mismatch), the next ``write`` or ``finish`` raises
    that error and nothing has become evidence. The hashing state lives in this process: if it ends
    before the last byte, the upload starts again from byte 0.
    """

    def __init__(self, pending: PendingIntake, *, buffer_bytes: int = PIPE_BYTES) -> None:
        self.pending = pending
        self._pipe = BytePipe(pending.size, buffer_bytes)
        self._stored: StoredEvidence | None = None
        self._info: EvidenceInfo | None = None
        self._finish_lock = threading.Lock()
        self._pipe_closed = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"intake-{pending.item_id[:8]}")
        self._thread.start()

    def _run(self) -> None:
        try:
            self._stored = self.pending.put(self._pipe)  # type: ignore[arg-type]
        except BaseException as exc:  # handed to the writer; nothing was stored
            self._pipe.fail(exc)

    @property
    def size(self) -> int:
        return self.pending.size

    @property
    def received(self) -> int:
        return self._pipe.written

    @property
    def error(self) -> BaseException | None:
        return self._pipe.error

    def write(self, data: bytes | Sequence[bytes], timeout: float | None = None) -> int:
        """Hand over the next bytes; returns how many have been received in all."""
        return self._pipe.write(data, timeout)

    def finish(self, timeout: float | None = None) -> EvidenceInfo:
        """Wait for the store to commit, then record the item (once, however often asked)."""
        with self._finish_lock:
            if self._info is not None:
                return self._info
            if self.error is None and self.received != self.size:
                raise InvalidInput(f"intake incomplete: {self.received} of {self.size} bytes")
            if self.error is None and not self._pipe_closed:
                try:
                    self.pending.recheck()  # before the store may commit anything
                except LccuError:
                    self.abort("refused at completion")
                    raise
                self._pipe.close()  # the go-ahead: the store may now commit
                self._pipe_closed = True
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise StorageError("the store is still writing the last part; ask again")
            if self._stored is None:
                raise self.error or StorageError("the store gave no result")
            self._info = self.pending.record(self._stored, rechecked=True)
            return self._info

    def abort(self, reason: str = "cancelled") -> None:
        """Stop: the store abandons its upload (an S3 multipart upload is aborted)."""
        if self._info is None:
            self._pipe.fail(IntakeAborted(f"intake of {self.pending.source_name!r} {reason};"
                                          " nothing was stored"))
            self._thread.join(30)
