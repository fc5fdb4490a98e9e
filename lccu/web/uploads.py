"""Resumable chunked uploads into a scratch area that never counts as evidence.

Each upload lives in ``$LCCU_HOME/uploads/<id>/`` (a metadata file and the partial data).
Chunks must arrive at the offset the server expects; only a complete upload is handed to
``Lab.add_evidence``, which hashes it into the evidence store and records custody; the
scratch copy is deleted afterwards. Ids are server-made hex strings and client file names
are reduced to a safe basename, so no client input reaches a path unsanitised.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lccu.errors import InvalidInput, LccuError, NotFound

_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
STALE_SECONDS = 7 * 24 * 3600


class UploadConflict(LccuError):
    """A chunk at the wrong offset, or completing an upload that is not complete."""

    def __init__(self, message: str, expected: int) -> None:
        super().__init__(message)
        self.expected = expected


class UploadTooLarge(LccuError):
    """More bytes than allowed; the upload has been discarded."""


def safe_filename(name: str) -> str:
    """A harmless basename: no directories, no dot-files, only plain characters."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[:120]
    return cleaned or "upload.bin"


@dataclass
class Upload:
    id: str
    user_id: int
    case_id: str
    filename: str
    size: int
    description: str
    seal_number: str | None
    item_type: str
    declared: dict[str, str]
    created: float


class UploadArea:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # check-offset-then-write must not interleave

    def _dir(self, upload_id: str) -> Path:
        if not _ID.match(upload_id):
            raise NotFound("no such upload")
        return self.root / upload_id

    def start(self, *, user_id: int, case_id: str, filename: str, size: int,
              description: str, seal_number: str | None, item_type: str,
              declared: dict[str, str]) -> Upload:
        if size <= 0:
            raise InvalidInput("the file is empty (0 bytes); nothing to take in")
        if size > self.max_bytes:
            raise UploadTooLarge(f"{size} bytes is more than the maximum of {self.max_bytes}")
        if not description.strip():
            raise InvalidInput("an evidence item needs a description")
        self.sweep()
        upload = Upload(uuid.uuid4().hex, user_id, case_id, safe_filename(filename), size,
                        description.strip(), seal_number or None, item_type,
                        {k: v for k, v in declared.items() if v}, time.time())
        folder = self._dir(upload.id)
        folder.mkdir(parents=True, mode=0o700)
        (folder / "meta.json").write_text(json.dumps(asdict(upload)))
        (folder / "data").touch(mode=0o600)
        return upload

    def get(self, upload_id: str, user_id: int) -> Upload:
        """The upload, only for the user who started it (others get 'not found')."""
        meta = self._dir(upload_id) / "meta.json"
        if not meta.exists():
            raise NotFound("no such upload")
        upload = Upload(**json.loads(meta.read_text()))
        if upload.user_id != user_id:
            raise NotFound("no such upload")
        return upload

    def received(self, upload: Upload) -> int:
        data = self._dir(upload.id) / "data"
        if not data.exists():
            raise NotFound("no such upload")
        return data.stat().st_size

    def append(self, upload: Upload, offset: int, chunk: bytes) -> int:
        """Append ``chunk`` if it starts where the data ends; answer the next offset."""
        with self._lock:
            have = self.received(upload)
            if offset != have:
                raise UploadConflict(f"expected offset {have}, not {offset}", have)
            if have + len(chunk) > upload.size:
                self.discard(upload.id)
                raise UploadTooLarge(f"more bytes than the declared {upload.size}; upload "
                                     "discarded, nothing recorded")
            with (self._dir(upload.id) / "data").open("ab") as fh:
                fh.write(chunk)
            return have + len(chunk)

    def complete_path(self, upload: Upload) -> Path:
        """The finished data file, renamed to its safe original name for the intake record."""
        have = self.received(upload)
        if have != upload.size:
            raise UploadConflict(f"upload incomplete: {have} of {upload.size} bytes", have)
        folder = self._dir(upload.id)
        target = folder / "file" / upload.filename
        target.parent.mkdir(exist_ok=True)
        (folder / "data").rename(target)
        return target

    def restore(self, upload: Upload, path: Path) -> None:
        """Put the data back after a failed intake so the client may simply retry."""
        path.rename(self._dir(upload.id) / "data")

    def discard(self, upload_id: str) -> None:
        shutil.rmtree(self._dir(upload_id), ignore_errors=True)

    def sweep(self) -> None:
        """Remove abandoned uploads (never evidence) after a week."""
        if not self.root.exists():
            return
        limit = time.time() - STALE_SECONDS
        for folder in self.root.iterdir():
            if _ID.match(folder.name) and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)

    def as_dict(self, upload: Upload) -> dict[str, Any]:
        return {"upload_id": upload.id, "case_id": upload.case_id,
                "filename": upload.filename, "size": upload.size,
                "offset": self.received(upload)}
