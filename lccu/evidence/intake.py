"""Taking evidence in: one pass into the store that hashes, then one signed intake event.

Two ways in, one record. :meth:`Lab.add_evidence` reads a file; :meth:`Lab.begin_intake`
returns a :class:`StreamingIntake` that is fed chunk by chunk (a browser upload) and
streams straight into the evidence store through a bounded pipe, hashing on the way, with
no scratch copy on local disk. Either way, declared acquisition hashes are checked when the
last byte has been read and *before* the store commits: a mismatch stores nothing, records
no item and leaves a refusal in the audit log, unless the examiner explicitly asks to take
the mismatching copy in (``accept_mismatch``), in which case the item is marked
``hash-mismatch`` and the intake event says which digests differ.

Every refusal of an intake for what was handed in (a missing or out-of-order segment, a
container lccu does not read, a damaged segment set, an empty file, a path that is not a
regular file, too many bytes, a declared-hash mismatch, ...) is audited once, as a refused
:data:`REFUSED`, by :func:`audit_refusal`, wherever the intake decides it: around
:meth:`Lab.add_evidence` and :meth:`Lab.gather_evidence` (the library and the command line),
:meth:`Lab.begin_intake` and the streaming intake's reader (the REST API and the upload
page). A store that fails (S3 down or stalled) is not a refusal but an error of an allowed
intake (nothing stored, the same files sent again later are taken in); objects a failure
left committed are audited by :mod:`lccu.evidence.promote`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from sqlalchemy import func, select

from lccu.errors import (
    DeclaredHashMismatch,
    ImageFormatError,
    InvalidInput,
    LccuError,
    StorageError,
)
from lccu.evidence.canonical import format_time, utc_now
from lccu.evidence.lab_base import LabBase
from lccu.evidence.models import EvidenceContainer, EvidenceItem, new_uuid
from lccu.evidence.records import EvidenceInfo
from lccu.evidence.terms import ITEM_TYPES
from lccu.hashing import ALGORITHMS, Digests, MultiHasher, normalise_hash
from lccu.imaging.signatures import HEAD_BYTES
from lccu.storage import EvidenceStore, StoredEvidence, open_store
from lccu.storage.base import StagedEvidence
from lccu.storage.pipe import BytePipe

if TYPE_CHECKING:
    from lccu.evidence.acquisition import LocalAcquisition
    from lccu.imaging.stream import ImageStream

Progress = Callable[[int], None]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
PIPE_BYTES = 32 * 1024 * 1024  # what may wait in memory between an upload and the store
#: the audit log's operation for an intake refused for what was handed in (access refusals
#: are the gate's, as ``evidence.add``)
REFUSED = "evidence.refused"
#: the errors that refuse an intake for its input. Not among them: the store failing
#: (:class:`StorageError`), a cancelled upload (:class:`IntakeAborted`), access refusals
#: (audited by the gate)
REFUSALS = (InvalidInput, ImageFormatError, DeclaredHashMismatch)


def _plain(value: object) -> object:
    """``value`` as JSON can hold it (an error's parameters)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def audit_refusal(
    lab: LabBase,
    case_id: str,
    exc: BaseException,
    *,
    source_name: str,
    size: int | None = None,
    item_id: str | None = None,
) -> None:
    """Write ``exc``, an intake into case ``case_id`` refused for its input, to the audit
    log as a refused :data:`REFUSED` naming the cause (its message, key and facts; for a
    declared-hash mismatch both digests). Once: an error that is not a refusal of the
    input, or that was audited already, is left alone; the error is marked audited."""
    if not isinstance(exc, REFUSALS) or exc.audited:
        return
    exc.audited = True
    detail: dict[str, Any] = {
        "why": str(exc)[:4000],
        "key": exc.key,
        "params": _plain(exc.params) or None,
        "source_name": source_name,
        "size": size,
    }
    if isinstance(exc, DeclaredHashMismatch):
        detail.update(mismatched=exc.mismatched, declared=exc.declared, observed=exc.observed)
    with lab.db.session() as session:
        case = lab._find_case(session, case_id)
        lab.audit.write(
            lab.actor,
            REFUSED,
            allowed=False,
            case=case,
            object_type="evidence" if item_id else "case",
            object_id=item_id or case.id,
            detail={k: v for k, v in detail.items() if v is not None},
        )


@contextmanager
def refusals_audited(lab: LabBase, case_id: str, source_name: str) -> Iterator[dict[str, Any]]:
    """Audit (:func:`audit_refusal`) a refusal raised in the block, then let it go on; the
    dict yielded takes the intake's ``size`` and ``item_id`` once they are known."""
    known: dict[str, Any] = {}
    try:
        yield known
    except BaseException as exc:
        audit_refusal(lab, case_id, exc, source_name=source_name, **known)
        raise


class Reader(Protocol):
    """What an intake reads the arriving bytes from (a :class:`BytePipe`, or one with the
    head already taken off and given back)."""

    def read(self, size: int = -1, /) -> bytes: ...


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


@dataclass(frozen=True)
class MediaFacts:
    """The media (the disk) as the image readers read it at intake: its hashes are the
    item's. ``stored`` are the acquisition hashes an E01 holds, ``stored_match`` how they
    compare with the media as read (``match``, ``mismatch`` or ``none`` stored)."""

    format: str | None
    digests: Digests
    stored: dict[str, str] = field(default_factory=dict)
    read_errors: tuple[dict[str, Any], ...] = ()
    unreadable_bytes: int = 0
    #: the container could not be opened by its reader (corrupt): why
    unreadable: str | None = None

    @property
    def stored_match(self) -> str:
        if not self.stored:
            return "none"
        same = all(getattr(self.digests, a) == v for a, v in self.stored.items())
        return "match" if same else "mismatch"

    @property
    def trouble(self) -> bool:
        """Not read as acquired: a stored hash differs, or ranges could not be read."""
        return self.stored_match == "mismatch" or bool(self.read_errors) or bool(self.unreadable)

    def check(self) -> dict[str, Any]:
        """What the item and the intake event record of this read."""
        check = {
            "stored_hashes": {**self.stored, "match": self.stored_match},
            "read_errors": list(self.read_errors),
            "unreadable_bytes": self.unreadable_bytes,
        }
        if self.unreadable:
            check["container_unreadable"] = self.unreadable
        return check


@dataclass
class PendingIntake:
    """An intake that has passed every check that can be made before the bytes arrive."""

    lab: LabBase  # the Lab (typed by its base: intake must not import lab.py)
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
                self.key,
                stream,
                size=self.size,
                progress=progress,
                legal_hold=self.legal_hold,
                expected=None if self.accept_mismatch else self.declared,
            )
        except DeclaredHashMismatch as exc:
            differ = exc.mismatched
            refused = DeclaredHashMismatch(
                f"{self.source_name}: declared "
                + ", ".join(f"{n.upper()} {exc.declared[n]}" for n in differ)
                + " but the bytes received hash to "
                + ", ".join(f"{n.upper()} {exc.observed[n]}" for n in differ)
                + "; nothing was stored and nothing recorded as evidence (send the right"
                " file; an examiner who must keep a mismatching copy takes it in"
                " deliberately with `lccu evidence add --accept-mismatch`)",
                mismatched=differ,
                declared=exc.declared,
                observed=exc.observed,
                key="declared_hash_mismatch",
                params=mismatch_params(self.source_name, differ, exc.declared, exc.observed),
            )
            self.refused(refused)
            raise refused from exc
        finally:
            self.store.close()

    def refused(self, exc: BaseException) -> None:
        """Audit ``exc`` if it refuses this intake for its input (:func:`audit_refusal`)."""
        audit_refusal(
            self.lab,
            self.case_id,
            exc,
            source_name=self.source_name,
            size=self.size,
            item_id=self.item_id,
        )

    def recheck(self) -> None:
        """Access and case state again, just before the commit: a share revoked or the
        case closed while the bytes were arriving refuses the intake (audited)."""
        with self.lab.db.session() as session:
            self.lab._case_for(session, self.case_id, "evidence.add", write=True, open_case=True)

    def record(
        self,
        stored: StoredEvidence | Sequence[tuple[str, StoredEvidence]],
        media: MediaFacts | None = None,
        *,
        rechecked: bool = False,
    ) -> EvidenceInfo:
        """The item row, its container rows and its signed intake event, in one
        transaction, then anchored. The item's size and hashes are the media's; with no
        ``media`` (one file streamed in as it is) they are that file's. Access and case
        state are checked again first (unless ``rechecked`` just now)."""
        lab, facts = self.lab, self.facts
        files = ([(self.source_name, stored)] if isinstance(stored, StoredEvidence)
                 else list(stored))  # fmt: skip
        first = files[0][1]
        if media is None:
            media = MediaFacts(None, first.digests)
        observed = media.digests.hashes()
        mismatches = sorted(n for n, v in self.declared.items() if observed[n] != v)
        segments = [
            {
                "name": name,
                "size": s.size,
                **s.digests.hashes(),
                "storage_uri": s.uri,
                "storage_version_id": s.version_id,
            }
            for name, s in files
        ]
        with lab.db.session() as session:
            if rechecked:
                case = lab._find_case(session, self.case_id)
            else:
                case = lab._case_for(
                    session, self.case_id, "evidence.add", write=True, open_case=True
                )
            exhibit_number = facts.exhibit_number
            if exhibit_number is None:
                count = (
                    session.scalar(
                        select(func.count())
                        .select_from(EvidenceItem)
                        .where(EvidenceItem.case_id == case.id)
                    )
                    or 0
                )
                exhibit_number = f"EXH-{count + 1:03d}"
            item = EvidenceItem(
                id=self.item_id,
                case_id=case.id,
                exhibit_number=exhibit_number,
                description=facts.description.strip(),
                item_type=facts.item_type,
                make=facts.make,
                model=facts.model,
                serial=facts.serial,
                seal_number=facts.seal_number,
                acquired_by=facts.acquired_by,
                acquired_at=format_time(facts.acquired_at) if facts.acquired_at else None,
                acquisition_tool=facts.acquisition_tool,
                acquisition_tool_version=facts.acquisition_tool_version,
                image_format=facts.image_format,
                declared_md5=self.declared.get("md5"),
                declared_sha1=self.declared.get("sha1"),
                declared_sha256=self.declared.get("sha256"),
                size=media.digests.size,
                md5=observed["md5"],
                sha1=observed["sha1"],
                sha256=observed["sha256"],
                storage_uri=first.uri,
                storage_bucket=first.bucket,
                storage_key=first.key,
                storage_version_id=first.version_id,
                lock_mode=first.lock_mode,
                retain_until=format_time(first.retain_until) if first.retain_until else None,
                legal_hold=first.legal_hold,
                state="hash-mismatch" if mismatches or media.trouble else "stored",
                created_at=format_time(utc_now()),
                container_format=media.format,
                media_check=json.dumps(media.check(), sort_keys=True),
            )
            session.add(item)
            for seq, (name, s) in enumerate(files, 1):
                session.add(
                    EvidenceContainer(
                        evidence_id=item.id,
                        seq=seq,
                        name=name,
                        size=s.size,
                        md5=s.digests.md5,
                        sha1=s.digests.sha1,
                        sha256=s.digests.sha256,
                        storage_uri=s.uri,
                        storage_bucket=s.bucket,
                        storage_key=s.key,
                        storage_version_id=s.version_id,
                        lock_mode=s.lock_mode,
                        retain_until=format_time(s.retain_until) if s.retain_until else None,
                        legal_hold=s.legal_hold,
                    )
                )
            session.flush()
            reason = "evidence taken in"
            if mismatches:
                reason += " WITH HASH MISMATCH"
            if media.stored_match == "mismatch":
                reason += " WITH A STORED-HASH MISMATCH IN THE CONTAINER"
            if media.read_errors:
                reason += f" WITH {len(media.read_errors)} UNREADABLE RANGE(S)"
            if media.unreadable:
                reason += " AS RECEIVED: THE CONTAINER CANNOT BE READ"
            head = lab._append(
                session,
                case,
                "intake",
                evidence_id=item.id,
                location=facts.location,
                reason=reason,
                observed_hashes=observed,
                details={
                    "exhibit_number": exhibit_number,
                    "source_name": self.source_name,
                    "size": media.digests.size,
                    "media_size": media.digests.size,
                    "container_format": media.format,
                    "segments": segments,
                    "declared_hashes": self.declared,
                    "hashes_match": not mismatches,
                    "mismatched": mismatches,
                    **media.check(),
                    "seal_number": facts.seal_number,
                    "storage_uri": first.uri,
                    "storage_version_id": first.version_id,
                    "lock_mode": first.lock_mode,
                    "legal_hold": first.legal_hold,
                },
            )
            session.refresh(item)
            info = EvidenceInfo.of(item)
        lab._anchor(head)
        return info


def mismatch_params(
    name: str, differ: Sequence[str], declared: Mapping[str, str], observed: Mapping[str, str]
) -> dict[str, object]:
    """The facts of a declared-hash mismatch for the web's message (both hashes)."""
    return {
        "file": name,
        "declared": ", ".join(f"{n.upper()} {declared[n]}" for n in differ),
        "observed": ", ".join(f"{n.upper()} {observed[n]}" for n in differ),
    }


def prepare(
    lab: LabBase,
    case_ref: str,
    *,
    source_name: str,
    size: int,
    facts: ItemFacts,
    declared: Mapping[str, str] | None,
    accept_mismatch: bool,
    legal_hold: bool,
) -> PendingIntake:
    """Check everything that can be checked before any byte is stored; open the store."""
    if facts.item_type not in ITEM_TYPES:
        raise InvalidInput(f"unknown item type {facts.item_type!r}; use {', '.join(ITEM_TYPES)}")
    if not facts.description.strip():
        raise InvalidInput("an evidence item needs a description", key="description_needed")
    unknown = {name for name, value in (declared or {}).items() if value} - set(ALGORITHMS)
    if unknown:
        raise InvalidInput(f"unknown hash algorithm(s): {', '.join(sorted(unknown))}")
    checked = {
        name: normalise_hash(name, value) for name, value in (declared or {}).items() if value
    }
    if size <= 0:
        raise InvalidInput(
            f"{source_name}: the file is empty (0 bytes); nothing to take in",
            key="empty_file",
            params={"file": source_name},
        )
    with lab.db.session() as session:
        case = lab._case_for(session, case_ref, "evidence.add", write=True, open_case=True)
        case_id = case.id
        if facts.exhibit_number is not None and session.scalar(
            select(EvidenceItem.id).where(
                EvidenceItem.case_id == case_id, EvidenceItem.exhibit_number == facts.exhibit_number
            )
        ):
            # refused before a byte is stored: after the commit it would leave locked
            # objects no item records
            raise InvalidInput(
                f"exhibit number {facts.exhibit_number} is already used in "
                "this case; nothing was stored",
                key="exhibit_number_used",
                params={"number": facts.exhibit_number},
            )
    item_id = new_uuid()
    safe = _SAFE_NAME.sub("_", source_name)[:120].lstrip(".") or "image"
    return PendingIntake(
        lab=lab,
        case_id=case_id,
        item_id=item_id,
        key=f"cases/{case_id}/{item_id}/{safe}",
        source_name=source_name,
        size=size,
        facts=facts,
        declared=checked,
        accept_mismatch=accept_mismatch,
        legal_hold=legal_hold,
        store=open_store(lab.settings),
    )


class _Tee:
    """A file read once for two hashes: its own (the store's pass) and the media's."""

    def __init__(self, stream: BinaryIO, media: MultiHasher) -> None:
        self._stream, self._media = stream, media

    def read(self, length: int = -1) -> bytes:
        data = self._stream.read(length)
        if data:
            self._media.update(data)
        return data


def container_keys(pending: PendingIntake, names: Sequence[str]) -> list[str]:
    """One store key per container file, beside each other under the item's folder."""
    base = pending.key.rsplit("/", 1)[0]
    keys: list[str] = []
    for index, name in enumerate(names):
        safe = _SAFE_NAME.sub("_", name)[:120].lstrip(".") or f"container-{index + 1}"
        key = f"{base}/{safe}"
        keys.append(key if key not in keys else f"{base}/{index + 1:04d}-{safe}")
    return keys


def _read_media(acquisition: LocalAcquisition) -> MediaFacts:
    """Hash the media through the image readers (one pass; libewf for an E01)."""
    from lccu.evidence.acquisition import open_local_media

    with open_local_media(acquisition) as image:
        return hash_media(
            image, acquisition.format, acquisition.paths[0].name, acquisition.media_size
        )


def hash_media(
    image: ImageStream,
    media_format: str | None,
    name: str,
    size: int,
    short: type[StorageError] = StorageError,
) -> MediaFacts:
    """Hash the opened media in one pass and say whether it was read as acquired (stored
    hashes, unreadable ranges); a media that reads other than ``size`` bytes stores
    nothing (``short`` is the error a caller's path raises for it)."""
    from lccu.hashing import hash_stream
    from lccu.imaging.integrity import check_media

    digests = hash_stream(image)
    check = check_media(image, digests)
    if digests.size != size:
        raise short(
            f"{name}: the media read {digests.size} bytes but is {size}; nothing was stored",
            key="media_size_differs",
            params={"file": name, "read": digests.size, "size": size},
        )
    return MediaFacts(
        media_format,
        digests,
        dict(check.stored),
        tuple(check.read_errors()),
        check.unreadable_bytes,
    )


def _hint(pending: PendingIntake, staged: Sequence[StagedEvidence]) -> str:
    """Say so when a declared hash is a container file's rather than the media's."""
    for container in staged:
        hashes = container.digests.hashes()
        if any(hashes[n] == v for n, v in pending.declared.items()):
            name = container.key.rsplit("/", 1)[-1]
            return (
                f" (the declared hash is that of the container file {name}, not of the "
                "media it carries: declare the hash of the acquired disk, as the "
                "acquisition tool reported it)"
            )
    return ""


def take_in_files(
    pending: PendingIntake, acquisition: LocalAcquisition, progress: Progress | None = None
) -> EvidenceInfo:
    """Stream every container file of ``acquisition`` into the store and record the item.

    Each file is staged (hashed on the way, not yet committed); the media is hashed in
    the same pass when it is the files' bytes (raw, split) or read through its reader
    beside the upload (E01, VMDK, ...: the files come from the page cache the second
    time). Only when everything arrived and the declared hashes match the media are the
    files committed; any refusal aborts them all and leaves nothing in the store.
    """
    from lccu.evidence.upload_cleanup import IntakeLease

    lease = IntakeLease(pending.lab.settings, pending.case_id, pending.item_id)
    try:
        return _take_in_files(pending, acquisition, progress)
    finally:
        lease.release()


def _take_in_files(
    pending: PendingIntake, acquisition: LocalAcquisition, progress: Progress | None
) -> EvidenceInfo:
    store = pending.store
    names = acquisition.names
    keys = container_keys(pending, names)
    staged: list[StagedEvidence] = []
    reader: threading.Thread | None = None
    outcome: dict[str, Any] = {}
    try:
        if not acquisition.concatenated:

            def run() -> None:
                try:
                    outcome["media"] = _read_media(acquisition)
                except BaseException as exc:  # handed to the caller below
                    outcome["error"] = exc

            reader = threading.Thread(target=run, name=f"media-{pending.item_id[:8]}", daemon=True)
            reader.start()
        split = len(acquisition.paths) > 1 and acquisition.concatenated
        with MultiHasher() as media_hasher:
            for path, key in zip(acquisition.paths, keys, strict=True):
                if "error" in outcome:
                    break
                with path.open("rb") as fh:
                    source: BinaryIO = _Tee(fh, media_hasher) if split else fh  # type: ignore[assignment]
                    staged.append(
                        store.stage_evidence(
                            key,
                            source,
                            size=path.stat().st_size,
                            progress=progress,
                            legal_hold=pending.legal_hold,
                        )
                    )
            if reader is not None:
                reader.join()
                if "error" in outcome:
                    raise outcome["error"]
                media: MediaFacts = outcome["media"]
            else:
                media = MediaFacts(
                    acquisition.format,
                    media_hasher.digests() if split else staged[0].digests,
                    unreadable=acquisition.unreadable,
                )
        observed = media.digests.hashes()
        differ = sorted(n for n, v in pending.declared.items() if observed[n] != v)
        if differ and not pending.accept_mismatch:
            carried = (
                f"the {acquisition.format} media in {len(names)} container file(s)"
                if acquisition.format not in ("raw", "file")
                else "the bytes received"
            )
            raise DeclaredHashMismatch(
                f"{pending.source_name}: declared "
                + ", ".join(f"{n.upper()} {pending.declared[n]}" for n in differ)
                + f" but {carried} hash to "
                + ", ".join(f"{n.upper()} {observed[n]}" for n in differ)
                + _hint(pending, staged)
                + "; nothing was stored and nothing recorded as evidence (send the right"
                " files; an examiner who must keep a mismatching copy takes it in"
                " deliberately with `lccu evidence add --accept-mismatch`)",
                mismatched=differ,
                declared=pending.declared,
                observed=observed,
                key="declared_hash_mismatch",
                params=mismatch_params(pending.source_name, differ, pending.declared, observed),
            )
        pending.recheck()  # access and case state again, before anything is committed
    except BaseException as exc:
        for stage in reversed(staged):  # the last one staged removes no folder still used
            stage.abort()
        if reader is not None:
            reader.join()
        store.close()
        pending.refused(exc)
        raise
    from lccu.evidence.promote import commit_all, record_or_report

    try:
        committed = commit_all(pending, staged, names)
    finally:
        store.close()
    return record_or_report(
        pending, committed, lambda: pending.record(committed, media, rechecked=True)
    )


class _Part:
    """The next ``size`` bytes of a pipe (one file of a multi-file upload), teed into the
    media hasher; ends after them without waiting for the rest of the upload."""

    def __init__(self, pipe: Reader, size: int, media: MultiHasher) -> None:
        self._pipe, self._left, self._media = pipe, size, media
        self.head = b""

    def read(self, length: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if length is None or length < 0 else min(length, self._left)
        data = self._pipe.read(want)
        self._left -= len(data)
        if data:
            self._media.update(data)
            if len(self.head) < HEAD_BYTES:
                self.head += data[: HEAD_BYTES - len(self.head)]
        return data


class _Prefixed:
    """A pipe whose first bytes were read to tell the format, given back in front."""

    def __init__(self, head: bytes, pipe: BytePipe) -> None:
        self._head, self._pipe = head, pipe

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            take = len(self._head) if size is None or size < 0 else size
            data, self._head = self._head[:take], self._head[take:]
            return data
        return self._pipe.read(size)


def check_upload_files(files: Sequence[tuple[str, int]], total: int) -> None:
    """The files of a multi-file upload (E01 or split raw segments, a VMDK descriptor and
    its extents, in order): names in their series, adding up to the upload's size; else
    InvalidInput. (Split raw sizes are checked once the bytes say it is split raw.)"""
    from pathlib import Path

    from lccu.evidence.acquisition import check_segment_names

    if not files or any(size <= 0 for _name, size in files):
        raise InvalidInput(
            "each file of the upload needs a name and a size above 0 bytes",
            key="upload_files_invalid",
        )
    if sum(size for _name, size in files) != total:
        raise InvalidInput(
            f"the files' sizes add up to {sum(s for _n, s in files)} bytes, "
            f"not the upload's {total}",
            key="upload_files_sizes",
            params={"sum": sum(s for _n, s in files), "total": total},
        )
    names = [name for name, _size in files]
    if len(set(names)) != len(names):
        raise InvalidInput(
            "two files of the upload have the same name", key="upload_files_duplicate"
        )
    check_segment_names([Path(name) for name in names])


def check_split_sizes(files: Sequence[tuple[str, int]]) -> None:
    """Segments of a split raw image are all as long as the first but the last, which is
    no longer; else InvalidInput naming the segment."""
    first = files[0][1]
    for index, (name, size) in enumerate(files):
        if (index < len(files) - 1 and size != first) or size > first:
            raise InvalidInput(
                f"{name} is {size} bytes while {files[0][0]} is {first}: "
                "segments of a split image are all as long as the first "
                "but the last, which is no longer",
                key="split_segment_size",
                params={"file": name, "size": size, "first": files[0][0], "first_size": first},
            )


def put_files(
    pending: PendingIntake, pipe: Reader, files: Sequence[tuple[str, int]]
) -> tuple[list[tuple[str, StoredEvidence]], MediaFacts]:
    """Stage each file of a multi-file upload (split raw) as its own object while hashing
    the media (their concatenation) in the same pass; commit them all only after the
    go-ahead and a declared-hash check against the media."""
    from lccu.evidence.promote import commit_all
    from lccu.evidence.upload_media import read_through
    from lccu.imaging.signatures import identify

    store = pending.store
    names = [name for name, _size in files]
    keys = container_keys(pending, names)
    staged: list[StagedEvidence] = []
    try:
        with MultiHasher() as media_hasher:
            for (name, size), key in zip(files, keys, strict=True):
                part = _Part(pipe, size, media_hasher)
                staged.append(
                    store.stage_evidence(
                        key,
                        part,  # type: ignore[arg-type]
                        size=size,
                        legal_hold=pending.legal_hold,
                    )
                )
                found = identify(part.head)
                if read_through(found):
                    assert found is not None
                    raise InvalidInput(
                        f"{name} is a {found.description} but {names[0]} is not: send the "
                        "image's first file first (the .E01, the VMDK descriptor); nothing "
                        "was stored",
                        key="upload_first_file_first",
                        params={"file": name, "kind": found.description, "first": names[0]},
                    )
            digests = media_hasher.digests()
        if pipe.read(1):  # waits for the go-ahead (finish) or the abort
            raise InvalidInput(
                "the upload sent more bytes than its files hold", key="upload_more_than_files"
            )
        media = MediaFacts("split" if len(files) > 1 else "raw", digests)
        observed = digests.hashes()
        differ = sorted(n for n, v in pending.declared.items() if observed[n] != v)
        if differ and not pending.accept_mismatch:
            raise DeclaredHashMismatch(
                f"{pending.source_name}: declared "
                + ", ".join(f"{n.upper()} {pending.declared[n]}" for n in differ)
                + f" but the media in {len(files)} files hash to "
                + ", ".join(f"{n.upper()} {observed[n]}" for n in differ)
                + "; nothing was stored and nothing recorded as evidence",
                mismatched=differ,
                declared=pending.declared,
                observed=observed,
                key="declared_hash_mismatch",
                params=mismatch_params(pending.source_name, differ, pending.declared, observed),
            )
    except BaseException:
        for stage in reversed(staged):
            stage.abort()
        store.close()
        raise
    try:
        return commit_all(pending, staged, names), media
    finally:
        store.close()


class StreamingIntake:
    """An intake fed chunk by chunk, stored while it arrives (the web upload path).

    A thread reads the arriving bytes from a :class:`BytePipe`; :meth:`write` hands it the
    next chunk (waiting while the pipe is full). The first bytes decide the way in: raw
    and split raw stream straight into the store's single hashing pass (the media is the
    bytes; one file that ends in a fixed VHD footer is the disk before it,
    :mod:`lccu.evidence.upload_file`); a container whose media is read through its reader
    (E01 in segments, VMDK, dynamic VHD, VHDX, QCOW2) goes through staging copies
    (:mod:`lccu.evidence.upload_media`).
    Nothing is committed before :meth:`finish` ends the stream, so an upload cancelled
    after its last byte still leaves nothing; ``finish`` then waits for the commit and
    records the item. If the store fails (S3 down, a hash mismatch), the next ``write`` or
    ``finish`` raises that error and nothing has become evidence. The state lives in this
    process: if it ends before the last byte, the upload starts again from byte 0.
    """

    def __init__(
        self,
        pending: PendingIntake,
        *,
        buffer_bytes: int = PIPE_BYTES,
        files: Sequence[tuple[str, int]] | None = None,
    ) -> None:
        """``files``: the (name, size) of each file when several files of one acquisition
        (E01 or split raw segments, a VMDK descriptor and its extents, in order) arrive
        one after the other as one upload."""
        self.pending = pending
        self._pipe = BytePipe(pending.size, buffer_bytes)
        self._files = list(files) if files and len(files) > 1 else None
        if self._files:
            check_upload_files(self._files, pending.size)
        self._stored: StoredEvidence | list[tuple[str, StoredEvidence]] | None = None
        self._media: MediaFacts | None = None
        self._info: EvidenceInfo | None = None
        self._finish_lock = threading.Lock()
        self._pipe_closed = False
        self._routed = threading.Event()  # the first bytes have decided the way in
        self._staging = False  # ... through staging copies (a container read through)
        from lccu.evidence.upload_cleanup import IntakeLease

        # while this intake may leave objects behind, its lease tells a cleanup (at
        # another server's start-up) that they are still in use
        self._lease = IntakeLease(pending.lab.settings, pending.case_id, pending.item_id)
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"intake-{pending.item_id[:8]}"
        )
        self._thread.start()

    def _first_bytes(self, count: int) -> bytes:
        head = b""
        while len(head) < count:
            data = self._pipe.read(count - len(head))
            if not data:
                break
            head += data
        return head

    def _run(self) -> None:
        from lccu.evidence.upload_media import read_through, take_in_upload
        from lccu.imaging.signatures import identify, unsupported_error

        try:
            files = self._files or [(self.pending.source_name, self.pending.size)]
            head = self._first_bytes(min(HEAD_BYTES, files[0][1]))
            source = _Prefixed(head, self._pipe)
            found = identify(head)
            if (
                found is not None
                and found.unsupported
                and self.pending.facts.item_type == "disk-image"
            ):
                # refused as `lccu evidence add` refuses it (another item type is the
                # file it is): not stored as if its bytes were a raw disk
                raise unsupported_error(files[0][0], found)
            self._staging = read_through(found)
            self._routed.set()
            if self._staging:
                self._stored, self._media = take_in_upload(self.pending, source, files)
            elif self._files:
                check_split_sizes(self._files)
                self._stored, self._media = put_files(self.pending, source, self._files)
            else:
                from lccu.evidence.upload_file import put_file

                self._stored, self._media = put_file(self.pending, source, head)
        except BaseException as exc:  # handed to the writer; nothing was stored
            self.pending.refused(exc)  # a refusal of what was sent: audited, once
            self._pipe.fail(exc)
        finally:
            self._routed.set()
            self._lease.release()  # committed or aborted: nothing of it is left unfinished

    @property
    def size(self) -> int:
        return self.pending.size

    @property
    def received(self) -> int:
        return self._pipe.written

    def file_progress(self) -> list[dict[str, Any]] | None:
        """Per file of a multi-file upload (None for one file): its name, size, ``start``
        (its first byte's offset in the upload) and how many of its bytes were
        ``received``, so that a client resumes inside the file it stopped in."""
        if not self._files:
            return None
        received, start, progress = self.received, 0, []
        for name, size in self._files:
            got = max(0, min(size, received - start))
            progress.append({"name": name, "size": size, "start": start, "received": got})
            start += size
        return progress

    @property
    def error(self) -> BaseException | None:
        return self._pipe.error

    def write(self, data: bytes | Sequence[bytes], timeout: float | None = None) -> int:
        """Hand over the next bytes; returns how many have been received in all. More bytes
        than declared are refused (audited) and end the intake."""
        try:
            return self._pipe.write(data, timeout)
        except InvalidInput as exc:
            if self._pipe.error is None:  # refused here (too many bytes), not by the reader
                self.refuse(exc)
            raise

    def refuse(self, exc: LccuError) -> None:
        """End the intake refused with ``exc`` (audited once); nothing is stored."""
        self.pending.refused(exc)
        self.abort(f"was refused: {exc}")

    def finish(self, timeout: float | None = None) -> EvidenceInfo:
        """Wait for the store to commit, then record the item (once, however often asked).
        Access is checked again before anything is committed (for a container, after its
        media has been read and checked, just before the commit)."""
        with self._finish_lock:
            if self._info is not None:
                return self._info
            if self.error is None and self.received != self.size:
                raise InvalidInput(f"intake incomplete: {self.received} of {self.size} bytes")
            self._routed.wait()
            if self.error is None and not self._pipe_closed:
                try:
                    if not self._staging:
                        self.pending.recheck()  # before the store may commit anything
                except LccuError as exc:
                    self.abort(
                        str(exc) if isinstance(exc, InvalidInput) else "refused at completion"
                    )
                    raise
                self._pipe.close()  # the go-ahead: the store may now commit
                self._pipe_closed = True
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise StorageError(
                    "the store is still writing the last part; ask again", key="store_still_writing"
                )
            if self._stored is None:
                raise self.error or StorageError("the store gave no result", key="store_no_result")
            from lccu.evidence.promote import record_or_report

            stored = self._stored
            files = (
                [(self.pending.source_name, stored)]
                if isinstance(stored, StoredEvidence)
                else stored
            )
            self._info = record_or_report(
                self.pending,
                files,
                lambda: self.pending.record(stored, self._media, rechecked=True),
            )
            return self._info

    def abort(self, reason: str = "cancelled") -> None:
        """Stop: the store abandons its upload (an S3 multipart upload is aborted)."""
        if self._info is None:
            self._pipe.fail(
                IntakeAborted(
                    f"intake of {self.pending.source_name!r} {reason}; nothing was stored"
                )
            )
            self._thread.join(30)
