"""The evidence store contract and its records.

An evidence store is write-once: evidence bytes are streamed in once, hashed in the same
pass, and can then only be read. lccu never deletes or overwrites evidence; derived data
(extracted and carved files, reports) lives apart from it under ``derived/`` and may be
replaced. Every implementation passes the same contract suite (``tests/storage``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol, runtime_checkable

from lccu.errors import DeclaredHashMismatch, InvalidInput, StorageError
from lccu.hashing import Digests, MultiHasher
from lccu.imaging.stream import ImageStream

DERIVED_PREFIX = "derived/"
_BAD_KEY = re.compile(r"[\x00-\x1f\x7f\\]")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class StoredEvidence:
    """What the store holds for one evidence item, as recorded at intake."""

    uri: str
    bucket: str | None
    key: str
    version_id: str | None
    size: int
    digests: Digests
    lock_mode: str | None
    retain_until: datetime | None
    legal_hold: bool
    stored_at: datetime


@dataclass(frozen=True)
class EvidenceInfo:
    """What the store reports about an evidence object now (no hashing)."""

    uri: str
    key: str
    version_id: str | None
    size: int
    lock_mode: str | None
    retain_until: datetime | None
    legal_hold: bool
    modified: datetime | None


EvidenceRef = StoredEvidence | str


@runtime_checkable
class StagedEvidence(Protocol):
    """Evidence bytes received and hashed but not yet committed under their key.

    An item carried by several container files (E01 segments) is committed only when
    every file has arrived and the media hash is known: a declared-hash mismatch or a
    failure in a later file then aborts them all and nothing is stored (an object-lock
    store could not take back a committed object)."""

    key: str
    digests: Digests
    #: the digests of the first ``mark_at`` bytes, when staged with ``mark_at``
    marked: Digests | None

    def commit(self) -> StoredEvidence:
        """Make the bytes evidence under ``key`` (write-once; refuses an existing key)."""
        ...

    def abort(self) -> None:
        """Discard the bytes; nothing is left in the store (idempotent)."""
        ...


@runtime_checkable
class EvidenceStore(Protocol):
    """Write-once storage for evidence plus replaceable storage for derived data."""

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
        """Stream ``stream`` in, hashing it in the same pass; refuse an existing key.

        With ``expected`` (algorithm -> lower-case hex), the digests are compared when the
        last byte has been read and *before* the store commits; a difference raises
        :class:`DeclaredHashMismatch` and nothing is stored."""
        ...

    def stage_evidence(
        self,
        key: str,
        stream: BinaryIO,
        *,
        size: int | None = None,
        progress: Progress | None = None,
        legal_hold: bool = False,
        mark_at: int | None = None,
    ) -> StagedEvidence:
        """Stream ``stream`` in and hash it, without committing it yet (see
        :class:`StagedEvidence`); refuses an existing key. With ``mark_at``, the same pass
        also gives the digests of the first ``mark_at`` bytes (``marked``)."""
        ...

    def open_evidence(self, ref: EvidenceRef) -> ImageStream:
        """A read-only seekable stream of the evidence bytes (a pinned version on S3)."""
        ...

    def stat(self, ref: EvidenceRef) -> EvidenceInfo: ...

    def exists(self, key: str) -> bool: ...

    def delete_evidence(self, ref: EvidenceRef) -> None:
        """Always refused: lccu never deletes evidence."""
        ...

    def set_legal_hold(self, ref: EvidenceRef, on: bool) -> None: ...

    def legal_hold(self, ref: EvidenceRef) -> bool: ...

    def put_derived(self, key: str, stream: BinaryIO, *, size: int | None = None) -> str:
        """Store (or replace) derived data under ``derived/``; returns its URI. ``size``,
        when known, lets a large object be sent in parts sized for it."""
        ...

    def open_derived(self, key: str) -> ImageStream: ...

    def delete_derived(self, key: str) -> None:
        """Remove derived data, every stored version (a sealed secret must not linger);
        nothing when it is absent."""
        ...

    def close(self) -> None: ...


def check_key(key: str, *, derived: bool = False) -> str:
    """A safe, relative, '/'-separated object key, or :class:`InvalidInput`."""
    if not isinstance(key, str) or not key or len(key) > 900:
        raise InvalidInput(f"store key must be 1 to 900 characters, got {key!r}")
    parts = key.split("/")
    if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise InvalidInput(f"store key {key!r} must be relative with no empty, '.' or '..' parts")
    if _BAD_KEY.search(key):
        raise InvalidInput(f"store key {key!r} contains a control character or backslash")
    if not derived and (key + "/").startswith(DERIVED_PREFIX):
        raise InvalidInput(f"evidence key {key!r} may not start with {DERIVED_PREFIX!r}")
    if any(part.startswith(".lccu-") for part in parts):
        raise InvalidInput(f"store key {key!r} uses the reserved name prefix '.lccu-'")
    return key


def ref_key(ref: EvidenceRef) -> tuple[str, str | None]:
    """The key and (if pinned) version id of an evidence reference."""
    if isinstance(ref, StoredEvidence):
        return ref.key, ref.version_id
    return check_key(ref), None


def refuse_delete(ref: EvidenceRef) -> None:
    """Raise the one refusal every store gives for deleting evidence."""
    key, _ = ref_key(ref)
    raise StorageError(
        f"refusing to delete evidence {key!r}: lccu never deletes evidence; retention and"
        " disposal are decided outside lccu by the evidence officer"
    )


class HashingReader:
    """Wraps a source stream: feeds every byte read to a hasher and checks the size.

    Reads return the full requested length except at the end, so SDKs that concatenate
    reads do no extra copying. At the end of the stream, a declared ``size`` that does not
    match raises, and so do ``expected`` digests that differ: the raise happens inside the
    store's read loop, which aborts the upload before anything is committed.
    """

    def __init__(self, stream: BinaryIO, hasher: MultiHasher, key: str,
                 size: int | None, progress: Progress | None,
                 expected: Mapping[str, str] | None = None,
                 mark_at: int | None = None) -> None:  # fmt: skip
        self._stream, self._hasher, self._key = stream, hasher, key
        self._size, self._progress = size, progress
        self._mark_at = mark_at if mark_at is not None and mark_at > 0 else None
        self._expected = dict(expected or {})
        self.count = 0

    @property
    def size(self) -> int | None:
        """The declared size, if any (the store sizes its parts by it)."""
        return self._size

    def read(self, length: int = -1) -> bytes:
        if length is None or length < 0:
            length = 8 * 1024 * 1024
        pieces, wanted = [], length
        # stop at the declared size: a pipe fed by an upload only ends when told to
        left = None if self._size is None else max(self._size - self.count, 0)
        while wanted > 0 and left != 0:
            chunk = self._stream.read(wanted)
            if not chunk:
                break
            pieces.append(bytes(chunk))
            wanted -= len(chunk)
            left = None if left is None else max(left - len(chunk), 0)
        if not pieces and left == 0 and self._stream.read(1):
            self.count += 1  # asked past the declared end, and the source goes on
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        if data:
            mark = self._mark_at
            if mark is not None and self.count < mark <= self.count + len(data):
                cut = mark - self.count  # the mark falls in this block: hash up to it first
                self._hasher.update(data[:cut])
                self._hasher.mark()
                if cut < len(data):
                    self._hasher.update(data[cut:])
            else:
                self._hasher.update(data)
            self.count += len(data)
            if self._progress is not None:
                self._progress(len(data))
        if self._size is not None and (
            self.count > self._size or (len(data) < length and self.count != self._size)
        ):
            raise InvalidInput(
                f"evidence {self._key!r}: declared size {self._size} bytes but the source"
                f" gave {self.count}{' or more' if self.count > self._size else ''};"
                " nothing was stored"
            )
        if self._expected and (self.count == self._size or len(data) < length):
            self._check_expected()
        return data

    def _check_expected(self) -> None:
        """Compare once, at the end of the stream, while the store can still back out."""
        expected, self._expected = self._expected, {}
        observed = self._hasher.digests().hashes()
        differ = sorted(name for name, value in expected.items() if observed[name] != value)
        if differ:
            raise DeclaredHashMismatch(
                f"evidence {self._key!r}: the {self.count} bytes received hash to "
                + ", ".join(f"{n.upper()} {observed[n]}" for n in differ)
                + " but " + ", ".join(f"{n.upper()} {expected[n]}" for n in differ)
                + " was declared; nothing was stored (re-send the image, or take it in with"
                " accept_mismatch if the difference itself is to be recorded)",
                mismatched=differ, declared=expected, observed=observed)
