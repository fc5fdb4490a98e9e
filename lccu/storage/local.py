"""A directory evidence store: the embedded default when no S3 server is configured.

Layout under the root: ``<key>`` for evidence, ``derived/<key>`` for derived data and
``.lccu-holds/<key>`` as legal-hold markers. Evidence is written to a temporary name in the
target directory, fsynced, made read-only (0o444) and only then hard-linked to its final
name; ``link`` fails if the name exists, so an existing item is never replaced and an
interrupted write never leaves a file under an evidence name.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from lccu.errors import AlreadyExists, IntegrityError, NotFound, StorageError
from lccu.hashing import DEFAULT_BLOCK, Digests, MultiHasher
from lccu.imaging.raw import FileSource
from lccu.imaging.stream import ImageStream
from lccu.storage.base import (
    DERIVED_PREFIX,
    EvidenceInfo,
    EvidenceRef,
    HashingReader,
    Progress,
    StoredEvidence,
    check_key,
    ref_key,
    refuse_delete,
)

_HOLDS = ".lccu-holds"
#: while evidence is copied in, every this many bytes are handed to the disk (see _let_go)
WRITEBACK_BYTES = 32 * 1024 * 1024


def _let_go(fd: int, offset: int, length: int) -> None:
    """Tell the system the copy will not read ``length`` bytes at ``offset`` again.

    On Linux ``posix_fadvise(DONTNEED)`` starts writing the range's dirty pages to disk
    (without waiting) and frees its pages that are already on disk. Called on each new
    step of the copy and, one step later, on the step before it, the disk writes while the
    copy goes on (instead of all at the final ``fsync``, after the hashing), and the copy
    keeps reusing the same few cached pages instead of filling the page cache with
    evidence nobody reads next: that pushed the source files out of the cache (an E01's
    media pass reads them again), and first-touch pages cost 2.0-2.3 s of system CPU per
    GiB copied on the 2-core test VM against 0.4-0.5 s recycled. Only a hint: the
    ``fsync`` before the copy is linked into place is what makes it durable."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None and length > 0:
        with contextlib.suppress(OSError):
            advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_empty(directories: list[Path]) -> None:
    """Remove the folders an intake created, deepest first, if nothing else is in them."""
    for directory in directories:
        with contextlib.suppress(OSError):
            directory.rmdir()


class LocalStaged:
    """A read-only temporary copy beside the evidence name; ``commit`` links it into place."""

    def __init__(self, store: LocalStore, key: str, final: Path, temp: Path, digests: Digests,
                 legal_hold: bool, created: list[Path]) -> None:  # fmt: skip
        self.store, self.key, self.digests = store, key, digests
        self.marked: Digests | None = None
        self._final, self._temp, self._legal_hold = final, temp, legal_hold
        self._created = created
        self._done = False

    def commit(self) -> StoredEvidence:
        if self._done:
            raise StorageError(f"evidence {self.key!r}: already committed or aborted")
        self._done = True
        key, final = self.key, self._final
        try:
            try:
                os.link(self._temp, final)
            except FileExistsError as exc:
                raise AlreadyExists(
                    f"evidence {key!r} appeared in {self.store.root} while it was being written;"
                    " the new copy was discarded",
                    key="evidence_key_raced",
                ) from exc
            finally:
                with contextlib.suppress(OSError):
                    self._temp.unlink()
            _fsync_dir(final.parent)
        except OSError as exc:
            _remove_empty(self._created)
            raise StorageError(
                f"writing evidence {key!r} under {self.store.root} failed: {exc}",
                key="store_write_failed",
            ) from exc
        except BaseException:
            _remove_empty(self._created)
            raise
        if self._legal_hold:
            self.store.set_legal_hold(key, True)
        digests = self.digests
        return StoredEvidence(
            uri=self.store._uri(final), bucket=None, key=key, version_id=None,
            size=digests.size, digests=digests, lock_mode=None, retain_until=None,
            legal_hold=self._legal_hold, stored_at=datetime.now(UTC),
        )  # fmt: skip

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            self._temp.unlink()
        _remove_empty(self._created)


class LocalStore:
    """Evidence in a local directory (one machine, embedded mode)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create evidence directory {self.root}: {exc}", key="store_unusable"
            ) from exc
        if not self.root.is_dir():
            raise StorageError(
                f"evidence directory {self.root} is not a directory", key="store_unusable"
            )

    def _path(self, key: str) -> Path:
        return self.root / key

    def _uri(self, path: Path) -> str:
        return path.as_uri()

    def _write_temp(self, final: Path, stream: BinaryIO, reader: HashingReader | None) -> Path:
        """Copy ``stream`` to a fresh temporary file beside ``final``; returns its path."""
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.parent / f".lccu-partial-{uuid.uuid4().hex}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        source = reader if reader is not None else stream
        try:
            with os.fdopen(fd, "wb", buffering=0) as out:
                written = step = previous = 0  # bytes copied; where this and the last step begin
                while block := source.read(DEFAULT_BLOCK):
                    view = memoryview(block)
                    while view:
                        view = view[out.write(view) :]
                    written += len(block)
                    if written - step >= WRITEBACK_BYTES:
                        _let_go(fd, previous, step - previous)  # on disk by now: free it
                        _let_go(fd, step, written - step)  # start writing this step
                        previous, step = step, written
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        return temp

    def _new_dirs(self, final: Path) -> list[Path]:
        """The directories above ``final`` (below the root) that do not exist yet, deepest
        first: what to remove again if the intake is refused."""
        missing = []
        parent = final.parent
        while parent != self.root and self.root in parent.parents and not parent.exists():
            missing.append(parent)
            parent = parent.parent
        return missing

    def stage_evidence(
        self,
        key: str,
        stream: BinaryIO,
        *,
        size: int | None = None,
        progress: Progress | None = None,
        legal_hold: bool = False,
        expected: Mapping[str, str] | None = None,
        mark_at: int | None = None,
    ) -> LocalStaged:
        """Copy and hash (same pass) to a read-only temporary file beside the final name."""
        check_key(key)
        final = self._path(key)
        if final.exists():
            raise AlreadyExists(
                f"evidence {key!r} already exists in {self.root}; choose a new key",
                key="evidence_key_exists",
            )
        created = self._new_dirs(final)
        try:
            with MultiHasher() as hasher:
                reader = HashingReader(stream, hasher, key, size, progress, expected, mark_at)
                temp = self._write_temp(final, stream, reader)
                digests = hasher.digests()
                marked = hasher.marked()
            os.chmod(temp, 0o444)
        except BaseException as exc:
            _remove_empty(created)
            if isinstance(exc, OSError):
                raise StorageError(
                    f"writing evidence {key!r} under {self.root} failed: {exc}",
                    key="store_write_failed",
                ) from exc
            raise
        staged = LocalStaged(self, key, final, temp, digests, legal_hold, created)
        staged.marked = marked
        return staged

    def put_evidence(
        self,
        key: str,
        stream: BinaryIO,
        *,
        size: int | None = None,
        progress: Progress | None = None,
        legal_hold: bool = False,
        expected: Mapping[str, str] | None = None,
    ) -> StoredEvidence:
        """Copy, hash (same pass), fsync, set 0o444 and link into place; never replaces.
        A refusal (declared-hash mismatch, size, a failure) leaves no file and no folder."""
        staged = self.stage_evidence(
            key, stream, size=size, progress=progress, legal_hold=legal_hold, expected=expected
        )
        return staged.commit()

    def _existing(self, ref: EvidenceRef) -> tuple[str, Path]:
        key, _ = ref_key(ref)
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"evidence {key!r} is not in {self.root}")
        return key, path

    def open_evidence(self, ref: EvidenceRef) -> ImageStream:
        key, path = self._existing(ref)
        source = FileSource(path, allow_empty=True)
        if isinstance(ref, StoredEvidence) and source.size != ref.size:
            source.close()
            raise IntegrityError(
                f"evidence {key!r} is {source.size} bytes on disk but {ref.size} were recorded"
                " at intake; stop and report it to the evidence officer",
                key="evidence_size_differs",
                params={"object": key, "held": source.size, "recorded": ref.size},
            )
        return ImageStream(source)

    def stat(self, ref: EvidenceRef) -> EvidenceInfo:
        key, path = self._existing(ref)
        info = path.stat()
        return EvidenceInfo(
            uri=self._uri(path), key=key, version_id=None, size=info.st_size, lock_mode=None,
            retain_until=None, legal_hold=self.legal_hold(key),
            modified=datetime.fromtimestamp(info.st_mtime, UTC),
        )  # fmt: skip

    def exists(self, key: str) -> bool:
        return self._path(check_key(key)).is_file()

    def delete_evidence(self, ref: EvidenceRef) -> None:
        refuse_delete(ref)

    def _hold_path(self, key: str) -> Path:
        return self.root / _HOLDS / key

    def set_legal_hold(self, ref: EvidenceRef, on: bool) -> None:
        key, _ = self._existing(ref)
        marker = self._hold_path(key)
        if on:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(datetime.now(UTC).isoformat())
        else:
            marker.unlink(missing_ok=True)

    def legal_hold(self, ref: EvidenceRef) -> bool:
        key, _ = ref_key(ref)
        return self._hold_path(key).is_file()

    def put_derived(self, key: str, stream: BinaryIO, *, size: int | None = None) -> str:
        check_key(key, derived=True)
        final = self.root / DERIVED_PREFIX / key
        try:
            temp = self._write_temp(final, stream, None)
            os.replace(temp, final)
        except OSError as exc:
            raise StorageError(
                f"writing derived file {key!r} failed: {exc}", key="derived_write_failed"
            ) from exc
        return self._uri(final)

    def open_derived(self, key: str) -> ImageStream:
        path = self.root / DERIVED_PREFIX / check_key(key, derived=True)
        if not path.is_file():
            raise NotFound(f"derived file {key!r} is not in {self.root}")
        return ImageStream(FileSource(path, allow_empty=True))

    def delete_derived(self, key: str) -> None:
        """Remove a derived file, and the folders it leaves empty (a refused upload's
        staging copies leave no empty folder named after an item that never was)."""
        path = self.root / DERIVED_PREFIX / check_key(key, derived=True)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                f"deleting derived file {key!r} failed: {exc}", key="derived_delete_failed"
            ) from exc
        _remove_empty([p for p in path.parents if self.root in p.parents])

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"<LocalStore {self.root}>"


__all__ = ["LocalStore"]
