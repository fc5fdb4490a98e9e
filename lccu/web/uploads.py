"""Resumable chunked uploads that stream straight into the evidence store.

Each upload is a :class:`~lccu.evidence.intake.StreamingIntake`: a chunk that arrives at
the offset the server expects is handed to the store's single hashing pass (an S3
multipart upload or a temporary file in the local store) while the browser sends the next
one. Nothing is written to local scratch disk and nothing is evidence until the last byte
is in, the declared hashes match and the store has committed; an interrupted, oversized,
cancelled or mismatching upload is abandoned by the store and leaves no object and no
record. Upload state lives in this process: after a restart of ``lccu serve`` an upload
in flight must start again from byte 0 (the page says so). Ids are server-made hex
strings; client file names are reduced to a safe basename before they reach a store key.

Uploads in progress hold memory (chunks waiting for the store) and an open store upload, so
the server has a bounded number of slots, shared fairly: at most ``per_user`` per user and
``per_zone`` per zone (429 beyond, naming the uploads to finish or cancel), ``max_active``
in all (503). An upload that receives nothing for ``idle_seconds`` is abandoned and its
slot freed; a user cannot hold other users' or zones' slots by leaving uploads idle.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lccu.errors import InputTooLarge, LccuError, NotFound
from lccu.evidence.intake import ItemFacts, StreamingIntake
from lccu.evidence.lab import Lab
from lccu.evidence.records import EvidenceInfo

_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
IDLE_SECONDS = 30 * 60  # an upload that receives nothing this long is abandoned
GONE_SECONDS = 3600  # how long the reason an upload ended stays answerable


class UploadConflict(LccuError):
    """A chunk at the wrong offset, or completing an upload that is not complete."""

    def __init__(
        self,
        message: str,
        expected: int,
        *,
        key: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, key=key, params=params)
        self.expected = expected


class UploadTooLarge(InputTooLarge):
    """More bytes than allowed; the upload has been discarded."""


class UploadGone(LccuError):
    """The upload ended without becoming evidence (store failure, cancelled, abandoned)."""


#: how an upload ended (the ``why`` :meth:`UploadArea.discard` is given starts with one of
#: these) -> the web's message key for it
_ENDINGS = (
    ("was taken in", "upload_ended_taken_in"),
    ("was cancelled", "upload_ended_cancelled"),
    ("sent more bytes", "upload_ended_too_much"),
    ("was abandoned", "upload_ended_idle"),
)


def _gone(message: str, filename: str, minutes: str) -> UploadGone:
    """The error for an upload that ended with ``message`` (its key from how it ended)."""
    why = message.removeprefix(f"upload {filename!r} ")
    key = next((k for start, k in _ENDINGS if why.startswith(start)), "upload_ended_refused")
    return UploadGone(message, key=key, params={"file": filename, "minutes": minutes})


class UploadsBusy(LccuError):
    """Too many uploads in progress on this server; try again later."""


class UploadSlotsTaken(LccuError):
    """The user or their zone has as many uploads in progress as it may (HTTP 429)."""


def safe_filename(name: str) -> str:
    """A harmless basename: no directories, no dot-files, only plain characters."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[:120]
    return cleaned or "upload.bin"


@dataclass
class Upload:
    id: str
    user_id: int
    zone: str
    intake: StreamingIntake = field(repr=False)
    touched: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    ended: str | None = None  # why it ended (set under the area's lock)
    completing: bool = False  # its completion runs in the background (complete_later)

    @property
    def case_id(self) -> str:
        return self.intake.pending.case_id

    @property
    def filename(self) -> str:
        return self.intake.pending.source_name

    @property
    def size(self) -> int:
        return self.intake.size


@dataclass(frozen=True)
class _Slot:
    """An upload slot taken while the store's upload is being opened (not yet an Upload)."""

    user_id: int
    zone: str


class UploadArea:
    """The uploads in progress on this server, each private to the user who started it."""

    def __init__(
        self,
        max_bytes: int,
        *,
        max_active: int = 8,
        per_user: int = 2,
        per_zone: int = 4,
        chunk_bytes: int = 16 << 20,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.max_bytes, self.max_active = max_bytes, max_active
        self.per_user, self.per_zone = per_user, per_zone
        self.buffer_bytes = 2 * chunk_bytes  # chunks that may wait for the store
        self.idle_seconds = idle_seconds
        self._active: dict[str, Upload] = {}
        self._opening: list[_Slot] = []
        self._gone: dict[str, tuple[int, str, float, str]] = {}
        #: uploads whose completion runs in the background, and the outcomes of those done
        self._jobs: set[str] = set()
        self._results: dict[str, tuple[int, float, EvidenceInfo | Exception]] = {}
        self._lock = threading.Lock()

    def start(
        self,
        lab: Lab,
        *,
        user_id: int,
        zone: str,
        case_id: str,
        filename: str,
        size: int,
        facts: ItemFacts,
        declared: Mapping[str, str],
        files: list[tuple[str, int]] | None = None,
    ) -> Upload:
        """Take a slot, check the case, the size (at most ``max_bytes``) and the declared
        hashes, and open the store's upload; the slot is given back if any of that fails.
        The intake decides (and audits) every refusal of what is sent."""
        self.sweep()
        slot = self._take_slot(user_id, zone)
        try:
            parts = [(safe_filename(name), length) for name, length in files or []]
            intake = lab.begin_intake(
                case_id,
                source_name=safe_filename(filename),
                size=size,
                facts=facts,
                declared=declared,
                buffer_bytes=self.buffer_bytes,
                files=parts or None,
                max_bytes=self.max_bytes,
            )
            upload = Upload(uuid.uuid4().hex, user_id, zone, intake)
            with self._lock:
                self._active[upload.id] = upload
            return upload
        finally:
            with self._lock:
                self._opening.remove(slot)

    def _take_slot(self, user_id: int, zone: str) -> _Slot:
        """Count and reserve in one step, so concurrent starts cannot pass the limits."""
        with self._lock:
            taken = [_Slot(u.user_id, u.zone) for u in self._active.values()] + self._opening
            mine = [u.id for u in self._active.values() if u.user_id == user_id]
            if sum(s.user_id == user_id for s in taken) >= self.per_user:
                raise UploadSlotsTaken(
                    f"you have {self.per_user} uploads in progress (the most one user may): "
                    f"finish or cancel one first ({', '.join(mine) or 'being opened'}; "
                    "cancel with DELETE /api/v1/uploads/<id>); an upload that receives nothing "
                    f"for {self.idle_seconds / 60:g} minutes is abandoned",
                    key="upload_slots_user",
                    params={"count": self.per_user, "minutes": f"{self.idle_seconds / 60:g}"},
                )
            if sum(s.zone == zone for s in taken) >= self.per_zone:
                raise UploadSlotsTaken(
                    f"{zone} has {self.per_zone} uploads in progress (the most one zone may); "
                    "try again when one has finished",
                    key="upload_slots_zone",
                    params={"zone": zone, "count": self.per_zone},
                )
            if len(taken) >= self.max_active:
                raise UploadsBusy(
                    f"{self.max_active} uploads are in progress on this server;"
                    " try again when one has finished",
                    key="uploads_busy",
                    params={"count": self.max_active},
                )
            slot = _Slot(user_id, zone)
            self._opening.append(slot)
            return slot

    def in_progress(self, user_id: int) -> list[Upload]:
        """The user's own uploads in progress, oldest first (to resume or cancel them)."""
        self.sweep()
        with self._lock:
            return [u for u in self._active.values() if u.user_id == user_id]

    def get(self, upload_id: str, user_id: int) -> Upload:
        """The upload, only for the user who started it (others get 'not found')."""
        self.sweep()
        with self._lock:
            upload = self._active.get(upload_id) if _ID.match(upload_id) else None
            gone = self._gone.get(upload_id)
        if upload is not None and upload.user_id == user_id:
            return upload
        if gone is not None and gone[0] == user_id:
            raise _gone(gone[1], gone[3], f"{self.idle_seconds / 60:g}")
        raise NotFound(
            "no such upload (it may have ended, or the server restarted: start the upload again)",
            key="upload_not_found",
        )

    def append(self, upload: Upload, offset: int, chunk: bytes | list[bytes]) -> int:
        """Hand ``chunk`` (bytes, or the pieces it arrived in) to the store if it starts
        where the data ends; returns the next offset."""
        length = len(chunk) if isinstance(chunk, bytes) else sum(len(p) for p in chunk)
        with upload.lock:
            if upload.ended:  # abandoned between the lookup and this chunk
                raise _gone(upload.ended, upload.filename, f"{self.idle_seconds / 60:g}")
            upload.touched = time.monotonic()  # arriving data is use, however slow the store
            have = upload.intake.received
            if offset != have:
                raise UploadConflict(
                    f"expected offset {have}, not {offset}",
                    have,
                    key="upload_offset",
                    params={"expected": have, "offset": offset},
                )
            if have + length > upload.size:
                raise self.too_large(upload)
            try:
                done = upload.intake.write(chunk)
            except LccuError as exc:
                self.discard(upload, f"failed in the store: {exc}")
                raise
            upload.touched = time.monotonic()
            return done

    def complete(self, upload: Upload) -> EvidenceInfo:
        """Wait for the store to commit, then record the item; the upload ends either way."""
        with upload.lock:
            if upload.ended:
                raise _gone(upload.ended, upload.filename, f"{self.idle_seconds / 60:g}")
            have = upload.intake.received
            if have != upload.size:
                raise UploadConflict(
                    f"upload incomplete: {have} of {upload.size} bytes",
                    have,
                    key="upload_incomplete",
                    params={"received": have, "size": upload.size},
                )
            try:
                info = upload.intake.finish()
            except LccuError as exc:
                self.discard(upload, f"was not taken in: {exc}")
                raise
            self._end(upload, "was taken in as evidence")
            return info

    def complete_later(self, upload: Upload) -> None:
        """Start :meth:`complete` in the background and return at once (idempotent): for a
        container the media is read and hashed from the staging copies and each file
        copied into the evidence store, which takes minutes to hours for a large disk,
        longer than a browser or a reverse proxy waits for an answer. :meth:`result` tells
        how it ended."""
        with upload.lock:
            if upload.ended:
                raise _gone(upload.ended, upload.filename, f"{self.idle_seconds / 60:g}")
            if upload.completing:
                return
            have = upload.intake.received
            if have != upload.size:
                raise UploadConflict(
                    f"upload incomplete: {have} of {upload.size} bytes",
                    have,
                    key="upload_incomplete",
                    params={"received": have, "size": upload.size},
                )
            upload.completing = True
            with self._lock:
                self._jobs.add(upload.id)
        threading.Thread(
            target=self._complete_job, args=(upload,), daemon=True, name=f"complete-{upload.id[:8]}"
        ).start()

    def _complete_job(self, upload: Upload) -> None:
        outcome: EvidenceInfo | Exception
        try:
            outcome = self.complete(upload)
        except Exception as exc:  # answered by result(), as complete() would have
            outcome = exc
        with self._lock:
            self._results[upload.id] = (upload.user_id, time.monotonic(), outcome)
            self._jobs.discard(upload.id)

    def result(self, upload_id: str, user_id: int) -> EvidenceInfo | None:
        """How a background completion ended: the item, None while it runs, or its error
        raised again (the same answer the waiting ``complete`` would have given)."""
        self.sweep()
        with self._lock:
            found = self._results.get(upload_id)
            running = upload_id in self._jobs
            active = self._active.get(upload_id)
        if found is not None and found[0] == user_id:
            if isinstance(found[2], Exception):
                raise found[2]
            return found[2]
        if running and active is not None and active.user_id == user_id:
            return None
        upload = self.get(upload_id, user_id)  # not found, or ended otherwise: says why
        raise UploadConflict(
            "the upload is not being completed: POST .../complete first",
            upload.intake.received,
            key="upload_not_completing",
        )

    def too_large(self, upload: Upload) -> UploadTooLarge:
        """End an upload that sent more than it declared (a refusal of the intake, audited
        once); the error to raise."""
        error = UploadTooLarge(
            f"more bytes than the declared {upload.size}; upload discarded, nothing recorded",
            key="upload_sent_too_much",
            params={"size": upload.size},
        )
        upload.intake.pending.refused(error)
        self.discard(upload, "sent more bytes than it declared")
        return error

    def discard(self, upload: Upload, why: str) -> None:
        """Abandon the store's upload; nothing of it stays, and it is never evidence."""
        self._end(upload, why)
        upload.intake.abort(why)

    def _end(self, upload: Upload, why: str) -> None:
        with self._lock:
            self._active.pop(upload.id, None)
            upload.ended = f"upload {upload.filename!r} {why}"
            self._gone[upload.id] = (
                upload.user_id,
                upload.ended,
                time.monotonic(),
                upload.filename,
            )

    def sweep(self) -> None:
        """Abandon uploads that received nothing for ``idle_seconds`` (one busy handing a
        chunk to the store is not idle); forget old endings."""
        now = time.monotonic()
        with self._lock:
            idle = [u for u in self._active.values() if now - u.touched > self.idle_seconds]
            self._gone = {k: v for k, v in self._gone.items() if now - v[2] < GONE_SECONDS}
            self._results = {k: v for k, v in self._results.items() if now - v[1] < GONE_SECONDS}
        for upload in idle:
            if not upload.lock.acquire(blocking=False):
                continue  # a chunk is being handed to the store: in use, not idle
            try:
                if not upload.ended and time.monotonic() - upload.touched > self.idle_seconds:
                    self.discard(
                        upload,
                        f"was abandoned: nothing received for "
                        f"{self.idle_seconds / 60:g} minutes; nothing stored",
                    )
            finally:
                upload.lock.release()

    def as_dict(self, upload: Upload) -> dict[str, Any]:
        """An upload as the API shows it: ``offset`` is the next byte expected; for the
        files of one acquisition sent as one upload, ``files`` says how much of each
        arrived (where to resume inside the file that was being sent)."""
        shown: dict[str, Any] = {
            "upload_id": upload.id,
            "case_id": upload.case_id,
            "filename": upload.filename,
            "size": upload.size,
            "offset": upload.intake.received,
        }
        files = upload.intake.file_progress()
        if files is not None:
            shown["files"] = files
        return shown
