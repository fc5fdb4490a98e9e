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
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lccu.errors import LccuError, NotFound
from lccu.evidence.intake import ItemFacts, StreamingIntake
from lccu.evidence.lab import Lab
from lccu.evidence.records import EvidenceInfo

_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
IDLE_SECONDS = 6 * 3600  # an upload untouched this long is abandoned
GONE_SECONDS = 3600  # how long the reason an upload ended stays answerable


class UploadConflict(LccuError):
    """A chunk at the wrong offset, or completing an upload that is not complete."""

    def __init__(self, message: str, expected: int) -> None:
        super().__init__(message)
        self.expected = expected


class UploadTooLarge(LccuError):
    """More bytes than allowed; the upload has been discarded."""


class UploadGone(LccuError):
    """The upload ended without becoming evidence (store failure, cancelled, abandoned)."""


class UploadsBusy(LccuError):
    """Too many uploads in progress on this server; try again later."""


def safe_filename(name: str) -> str:
    """A harmless basename: no directories, no dot-files, only plain characters."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[:120]
    return cleaned or "upload.bin"


@dataclass
class Upload:
    id: str
    user_id: int
    intake: StreamingIntake = field(repr=False)
    touched: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def case_id(self) -> str:
        return self.intake.pending.case_id

    @property
    def filename(self) -> str:
        return self.intake.pending.source_name

    @property
    def size(self) -> int:
        return self.intake.size


class UploadArea:
    """The uploads in progress on this server, each private to the user who started it."""

    def __init__(self, max_bytes: int, *, max_active: int = 8, chunk_bytes: int = 16 << 20,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.max_bytes, self.max_active = max_bytes, max_active
        self.buffer_bytes = 2 * chunk_bytes  # chunks that may wait for the store
        self.idle_seconds = idle_seconds
        self._active: dict[str, Upload] = {}
        self._gone: dict[str, tuple[int, str, float]] = {}
        self._lock = threading.Lock()

    def start(self, lab: Lab, *, user_id: int, case_id: str, filename: str, size: int,
              facts: ItemFacts, declared: Mapping[str, str]) -> Upload:
        """Check the case, the size and the declared hashes, and open the store's upload."""
        if size > self.max_bytes:
            raise UploadTooLarge(f"{size} bytes is more than the maximum of {self.max_bytes}")
        self.sweep()
        with self._lock:
            if len(self._active) >= self.max_active:
                raise UploadsBusy(f"{self.max_active} uploads are in progress on this server;"
                                  " try again when one has finished")
        intake = lab.begin_intake(case_id, source_name=safe_filename(filename), size=size,
                                  facts=facts, declared=declared,
                                  buffer_bytes=self.buffer_bytes)
        upload = Upload(uuid.uuid4().hex, user_id, intake)
        with self._lock:
            self._active[upload.id] = upload
        return upload

    def get(self, upload_id: str, user_id: int) -> Upload:
        """The upload, only for the user who started it (others get 'not found')."""
        with self._lock:
            upload = self._active.get(upload_id) if _ID.match(upload_id) else None
            gone = self._gone.get(upload_id)
        if upload is not None and upload.user_id == user_id:
            return upload
        if gone is not None and gone[0] == user_id:
            raise UploadGone(gone[1])
        raise NotFound("no such upload (it may have ended, or the server restarted:"
                       " start the upload again)")

    def append(self, upload: Upload, offset: int, chunk: bytes | list[bytes]) -> int:
        """Hand ``chunk`` (bytes, or the pieces it arrived in) to the store if it starts
        where the data ends; returns the next offset."""
        length = len(chunk) if isinstance(chunk, bytes) else sum(len(p) for p in chunk)
        with upload.lock:
            have = upload.intake.received
            if offset != have:
                raise UploadConflict(f"expected offset {have}, not {offset}", have)
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
            have = upload.intake.received
            if have != upload.size:
                raise UploadConflict(f"upload incomplete: {have} of {upload.size} bytes", have)
            try:
                info = upload.intake.finish()
            except LccuError as exc:
                self.discard(upload, f"was not taken in: {exc}")
                raise
            self._end(upload, "was taken in as evidence")
            return info

    def too_large(self, upload: Upload) -> UploadTooLarge:
        """End an upload that sent more than it declared; the error to raise."""
        self.discard(upload, "sent more bytes than it declared")
        return UploadTooLarge(f"more bytes than the declared {upload.size}; upload "
                              "discarded, nothing recorded")

    def discard(self, upload: Upload, why: str) -> None:
        """Abandon the store's upload; nothing of it stays, and it is never evidence."""
        self._end(upload, why)
        upload.intake.abort(why)

    def _end(self, upload: Upload, why: str) -> None:
        with self._lock:
            self._active.pop(upload.id, None)
            self._gone[upload.id] = (upload.user_id, f"upload {upload.filename!r} {why}",
                                     time.monotonic())

    def sweep(self) -> None:
        """Abandon uploads nobody has touched for ``idle_seconds``; forget old endings."""
        now = time.monotonic()
        with self._lock:
            idle = [u for u in self._active.values() if now - u.touched > self.idle_seconds]
            self._gone = {k: v for k, v in self._gone.items() if now - v[2] < GONE_SECONDS}
        for upload in idle:
            self.discard(upload, "was abandoned (no data for a long time); nothing stored")

    def as_dict(self, upload: Upload) -> dict[str, Any]:
        return {"upload_id": upload.id, "case_id": upload.case_id,
                "filename": upload.filename, "size": upload.size,
                "offset": upload.intake.received}
