"""Evidence items: intake, reading, listing, opening the stored image and re-verifying
it; the evidence part of :class:`~lccu.evidence.lab.Lab`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lccu.errors import InputTooLarge, InvalidInput
from lccu.evidence.canonical import parse_time
from lccu.evidence.intake import PIPE_BYTES, ItemFacts, StreamingIntake, refusals_audited
from lccu.evidence.intake import prepare as prepare_intake
from lccu.evidence.lab_base import LabBase
from lccu.evidence.lab_lookup import _recorded_event
from lccu.evidence.models import CustodyEvent, EvidenceItem
from lccu.evidence.records import EvidenceInfo
from lccu.hashing import Digests, MultiHasher
from lccu.storage.base import Progress, StoredEvidence

if TYPE_CHECKING:
    from lccu.evidence.acquisition import LocalAcquisition


def _first_name(paths: Sequence[str | os.PathLike[str]]) -> str:
    """The name an intake of ``paths`` goes by (its first file's)."""
    return Path(paths[0]).name if paths else ""


class LabItems(LabBase):
    """Evidence items and their stored bytes."""

    # -- evidence -----------------------------------------------------------------------------

    def add_evidence(
        self,
        case_ref: str,
        path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        description: str,
        item_type: str = "disk-image",
        seal_number: str | None = None,
        declared: Mapping[str, str] | None = None,
        accept_mismatch: bool = False,
        make: str | None = None,
        model: str | None = None,
        serial: str | None = None,
        acquired_by: str | None = None,
        acquired_at: datetime | None = None,
        acquisition_tool: str | None = None,
        acquisition_tool_version: str | None = None,
        image_format: str | None = None,
        exhibit_number: str | None = None,
        location: str | None = None,
        legal_hold: bool = False,
        progress: Progress | None = None,
    ) -> EvidenceInfo:
        """Take in one acquisition: every container file streamed into the evidence store,
        the item's size and hashes those of the media (the disk) they carry.

        ``path`` is the image file, or the first of a multi-file one (``disk.E01``,
        ``disk.001``, a VMDK descriptor: the segments and extents beside it are taken too),
        or the list of all its files in order. A missing or out-of-order segment is refused
        (naming it) before anything is stored. Declared acquisition hashes are compared
        with the media's before the store commits: a mismatch raises
        :class:`~lccu.errors.DeclaredHashMismatch`, stores nothing and is audited. With
        ``accept_mismatch=True`` the copy is taken in anyway, marked ``hash-mismatch``,
        and the intake event names the digests that differ (when the discrepancy itself
        is evidence). An E01's stored hashes are checked against the media and recorded.
        See :mod:`lccu.evidence.intake` and :mod:`lccu.evidence.acquisition`.
        """
        from lccu.evidence.intake import take_in_files

        paths = [path] if isinstance(path, str | os.PathLike) else list(path)
        facts = ItemFacts(
            description=description,
            item_type=item_type,
            seal_number=seal_number,
            make=make,
            model=model,
            serial=serial,
            acquired_by=acquired_by,
            acquired_at=acquired_at,
            acquisition_tool=acquisition_tool,
            acquisition_tool_version=acquisition_tool_version,
            image_format=image_format,
            exhibit_number=exhibit_number,
            location=location,
        )
        case_id = self._intake_case(case_ref)
        with refusals_audited(self, case_id, _first_name(paths)) as known:
            acquisition = self._gather(paths, item_type)
            pending = prepare_intake(
                self,
                case_id,
                source_name=acquisition.paths[0].name,
                size=acquisition.container_bytes,
                facts=facts,
                declared=declared,
                accept_mismatch=accept_mismatch,
                legal_hold=legal_hold,
            )
            known.update(size=pending.size, item_id=pending.item_id)
            return take_in_files(pending, acquisition, progress)

    def gather_evidence(
        self,
        case_ref: str,
        path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        item_type: str = "disk-image",
    ) -> LocalAcquisition:
        """The container files of the acquisition ``path`` names, checked for an intake into
        ``case_ref`` as :meth:`add_evidence` checks them (what `lccu evidence add` lists
        before it starts): access first (a refusal audited by the gate), then the files;
        a refusal of the files is audited once as ``evidence.refused``."""
        paths = [path] if isinstance(path, str | os.PathLike) else list(path)
        case_id = self._intake_case(case_ref)
        with refusals_audited(self, case_id, _first_name(paths)):
            return self._gather(paths, item_type)

    def _intake_case(self, case_ref: str) -> str:
        """The id of the case an intake goes into, if the actor may add to it now (a refusal
        audited by the gate; the allowed access is audited when the intake is prepared)."""
        with self.db.session() as session:
            return self._case_for(
                session, case_ref, "evidence.add", write=True, open_case=True, audit=False
            ).id

    @staticmethod
    def _gather(paths: Sequence[str | os.PathLike[str]], item_type: str) -> LocalAcquisition:
        from lccu.evidence.acquisition import gather

        return gather([Path(p) for p in paths], item_type=item_type)

    def begin_intake(
        self,
        case_ref: str,
        *,
        source_name: str,
        size: int,
        facts: ItemFacts,
        declared: Mapping[str, str] | None = None,
        accept_mismatch: bool = False,
        legal_hold: bool = False,
        buffer_bytes: int = PIPE_BYTES,
        files: Sequence[tuple[str, int]] | None = None,
        max_bytes: int | None = None,
    ) -> StreamingIntake:
        """An intake fed with :meth:`StreamingIntake.write` and ended with ``finish()``.

        For bytes that arrive in pieces (web uploads): they stream into the store as they
        come, hashed on the way, never copied to local disk; access, the declared-hash
        check and the custody record are the same as :meth:`add_evidence`. ``files``
        (name, size in order) makes one item of several files sent one after the other:
        the segments of a split raw image, each stored with its own hashes, the item's
        hashes those of their concatenation (the media). ``max_bytes``: the most this way
        in takes (the server's upload limit). A refusal of what is sent is audited once as
        ``evidence.refused``, here or when the bytes tell it."""
        case_id = self._intake_case(case_ref)
        with refusals_audited(self, case_id, source_name) as known:
            known["size"] = size
            if max_bytes is not None and size > max_bytes:
                raise InputTooLarge(
                    f"{size} bytes is more than the maximum of {max_bytes}",
                    key="upload_too_large",
                    params={"size": size, "max": max_bytes},
                )
            if files and len(files) > 1:
                from lccu.evidence.intake import check_upload_files

                check_upload_files(files, size)  # before the store is opened
            pending = prepare_intake(
                self,
                case_id,
                source_name=source_name,
                size=size,
                facts=facts,
                declared=declared,
                accept_mismatch=accept_mismatch,
                legal_hold=legal_hold,
            )
            known["item_id"] = pending.item_id
            return StreamingIntake(pending, buffer_bytes=buffer_bytes, files=files)

    def get_evidence(self, ref: str, *, processing: bool = False) -> EvidenceInfo:
        """An evidence item by id, unique id prefix or exhibit number, through its case's
        access check (``processing``: the workers' path, operators only)."""
        with self.db.session() as session:
            _case, item = self._item_for(session, ref, "evidence.read", processing=processing)
            return EvidenceInfo.of(item)

    def signed_intake_hashes(self, ref: str, *, processing: bool = False) -> dict[str, Any]:
        """The media hashes the item's signed intake event holds (``hashes``), and the
        findings when that event is missing, broken, or disagrees with the item's columns
        (``tampering``): what processing and reports compare the bytes with."""
        with self.db.session() as session:
            _case, item = self._item_for(session, ref, "evidence.read", processing=processing)
            signed, tampering = self._signed_intake(session, item)
            columns = {"md5": item.md5, "sha1": item.sha1, "sha256": item.sha256}
        hashes = {
            n: v
            for n, v in (signed.get("observed_hashes") or {}).items()
            if n in columns and isinstance(v, str)
        }
        tampering += [
            f"evidence_items.{n} is {v}, but the signed intake event says "
            f"{hashes[n]}: the column was changed in the database"
            for n, v in columns.items()
            if v and n in hashes and v != hashes[n]
        ]
        return {"hashes": hashes, "tampering": tampering}

    def list_evidence(self, case_ref: str) -> list[EvidenceInfo]:
        """The items of a case, by exhibit number."""
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "evidence.list")
            items = session.scalars(
                select(EvidenceItem)
                .where(EvidenceItem.case_id == case.id)
                .order_by(EvidenceItem.exhibit_number)
            )
            return [EvidenceInfo.of(i) for i in items]

    @contextmanager
    def open_evidence_image(
        self, ref: str, *, purpose: str, processing: bool = False, once: bool = False
    ) -> Iterator[tuple[Any, str]]:
        """The stored bytes of an item as a read-only image stream; the access is recorded
        as an ``accessed`` custody event (with ``purpose``) and in the audit log.
        ``processing=True`` is the workers' path (see :func:`lccu.evidence.access.case_access`).
        ``once=True`` records the ``accessed`` event only if none with this purpose exists
        (checked and appended under the case row's lock): thousands of segment jobs of one
        processing stage then leave one custody event; each access is still audited.
        """
        from lccu.storage import open_store

        with self.db.session() as session:
            case, item = self._item_for(
                session, ref, "evidence.access", processing=processing, signs=not once
            )
            files = container_refs(item)
            label = f"{case.number}/{item.exhibit_number}"
            head: dict[str, Any] | None = None
            if not once or _recorded_event(session, case, "accessed", item.id, purpose) is None:
                head = self._append(
                    session,
                    case,
                    "accessed",
                    evidence_id=item.id,
                    reason=purpose,
                    details={"purpose": purpose},
                )
        if head is not None:
            self._anchor(head)
        store = open_store(self.settings)
        try:
            with open_stored_media(store, files) as image:
                yield image, label
        finally:
            store.close()

    def verify_evidence(self, ref: str, *, progress: Progress | None = None) -> dict[str, Any]:
        """Re-hash every stored container file and the media they carry, compare with
        intake (and an E01's stored hashes with the media), record a ``verified`` event."""
        from lccu.hashing import hash_stream
        from lccu.imaging.integrity import check_media
        from lccu.storage import open_store

        with self.db.session() as session:
            _case, item = self._item_for(session, ref, "evidence.verify", signs=True)
            item_id, case_id = item.id, item.case_id
            recorded = {"md5": item.md5, "sha1": item.sha1, "sha256": item.sha256}
            location = item.storage_version_id or item.storage_key
            files = container_refs(item)
            concatenated = item.container_format in ("raw", "split", "file", None)
            signed, tampering = self._signed_intake(session, item)
        # what the bytes are compared with: the signed intake event, never the columns
        signed_media = {
            n: v
            for n, v in (signed.get("observed_hashes") or {}).items()
            if n in recorded and isinstance(v, str)
        }
        details = signed.get("details") or {}
        signed_segments = {
            str(s.get("name")): s for s in details.get("segments") or [] if isinstance(s, dict)
        }
        declared = {
            n: str(v).lower()
            for n, v in (details.get("declared_hashes") or {}).items()
            if n in recorded and v
        }
        tampering += [
            f"evidence_items.{n} is {v}, but the signed intake event says "
            f"{signed_media[n]}: the column was changed in the database"
            for n, v in recorded.items()
            if v and n in signed_media and v != signed_media[n]
        ]
        for name, stored in files:
            seg = signed_segments.get(name)
            if seg is None:
                continue
            for n, v in stored.digests.hashes().items():
                if v and isinstance(seg.get(n), str) and seg[n] != v:
                    tampering.append(
                        f"stored file {name}: column {n} is {v}, but the signed "
                        f"intake event says {seg[n]}: changed in the database"
                    )
        store = open_store(self.settings)
        containers: list[dict[str, Any]] = []
        try:
            with MultiHasher() as whole:
                for name, stored in files:
                    with store.open_evidence(stored) as fh:
                        digests = hash_stream(
                            _Feed(fh, whole if concatenated else None), progress=progress
                        )
                    seen = digests.hashes()
                    seg = signed_segments.get(name)
                    expect = (
                        {n: seg.get(n) for n in seen}
                        if seg is not None
                        else stored.digests.hashes()
                    )
                    size = seg.get("size") if seg is not None else stored.size
                    containers.append(
                        {
                            "name": name,
                            "size": digests.size,
                            "observed": seen,
                            "match": seen == expect and digests.size == size,
                        }
                    )
                media_digests = whole.digests()
            stored_check: dict[str, Any] = {"match": "none"}
            read_errors: list[dict[str, Any]] = []
            if not concatenated:
                with open_stored_media(store, files) as image:
                    media_digests = hash_stream(image)
                    check = check_media(image, media_digests)
                    read_errors = check.read_errors()
                    if check.stored:
                        stored_check = {
                            **check.stored,
                            "match": "match" if check.stored_match else "mismatch",
                        }
        finally:
            store.close()
        observed = media_digests.hashes()
        reference = signed_media or recorded
        differ = sorted(
            {n for n, v in reference.items() if v and observed[n] != v}
            | {n for n, v in declared.items() if observed.get(n) != v}
        )
        bad_files = [c["name"] for c in containers if not c["match"]]
        ok = (
            not differ
            and not bad_files
            and not read_errors
            and not tampering
            and (stored_check["match"] != "mismatch")
        )
        with self.db.session() as session:
            case = self._find_case(session, case_id)
            row = session.get(EvidenceItem, item_id)
            assert row is not None
            row.state = "verified" if ok else "hash-mismatch"
            head = self._append(
                session,
                case,
                "verified",
                evidence_id=item_id,
                observed_hashes=observed,
                reason="re-hash of the stored copy" + (" matches intake" if ok else " FAILED"),
                details={
                    "match": ok,
                    "mismatched": differ,
                    "size": media_digests.size,
                    "stored_object": location,
                    "containers": containers,
                    "containers_mismatched": bad_files,
                    "stored_hashes": stored_check,
                    "read_errors": read_errors,
                    "signed_intake_seq": signed.get("seq"),
                    "tampering": tampering,
                },
            )
        self._anchor(head)
        return {
            "evidence_id": item_id,
            "match": ok,
            "mismatched": differ,
            "observed": observed,
            "recorded": recorded,
            "signed": signed_media,
            "size": media_digests.size,
            "containers": containers,
            "containers_mismatched": bad_files,
            "stored_hashes": stored_check,
            "read_errors": read_errors,
            "tampering": tampering,
        }

    def _signed_intake(
        self, session: Session, item: EvidenceItem
    ) -> tuple[dict[str, Any], list[str]]:
        """The item's intake event, checked (hash, and a signature by a key the unit
        certified for its actor), and what is wrong with it: the hashes evidence is
        compared with are the ones the intake signed, not the mutable item columns."""
        from lccu.evidence.chain import compute_event_hash
        from lccu.evidence.custody import event_to_dict, signer_keys
        from lccu.evidence.keys import verify_signature
        from lccu.evidence.lab_base import unit_public_key
        from lccu.evidence.registry import KeyRing

        row = session.scalar(
            select(CustodyEvent)
            .where(
                CustodyEvent.case_id == item.case_id,
                CustodyEvent.evidence_id == item.id,
                CustodyEvent.action == "intake",
            )
            .order_by(CustodyEvent.seq)
            .limit(1)
        )
        if row is None:
            return {}, [
                "the custody log has no intake event for this item: its hashes "
                "are not vouched for by any signature"
            ]
        event = event_to_dict(row)
        digest = compute_event_hash(event)
        where = f"intake event #{event['seq']}"
        if digest != event["event_hash"]:
            return {}, [f"{where} does not match its hash (changed in the database)"]
        if unit_public_key(self.settings, self.keys) is None:
            # a worker host without the unit key (nor LCCU_UNIT_PUBLIC_KEY): the actor's
            # key as the users table holds it; `custody verify` checks the registry
            ring = KeyRing.trusting(signer_keys(session, {event["actor"]}))
        else:
            ring, _ = self._key_ring(session)
        public, why = ring.check(event["actor"], event["key_id"], event["recorded_at"])
        if public is None:
            return {}, [f"{where}: {why}"]
        if not verify_signature(public, event["signature"], bytes.fromhex(digest)):
            return {}, [f"{where}: signature invalid"]
        return event, []


class _Feed:
    """A stored container read once for its own hash and (raw, split) the media's."""

    def __init__(self, stream: Any, media: MultiHasher | None) -> None:
        self._stream, self._media = stream, media

    def read(self, length: int = -1) -> bytes:
        data = self._stream.read(length)
        if data and self._media is not None:
            self._media.update(data)
        return bytes(data)

    def sequential_blocks(self) -> Iterator[bytes] | None:
        """The store's prefetched front-to-back pass (S3: parallel ranged GETs, bounded
        memory), each block also fed to the media's hash; None where the store has none."""
        sequential = getattr(self._stream, "sequential_blocks", None)
        blocks = sequential() if callable(sequential) else None
        return None if blocks is None else self._fed(blocks)

    def _fed(self, blocks: Iterator[bytes]) -> Iterator[bytes]:
        for block in blocks:
            if self._media is not None:
                self._media.update(block)
            yield block


def container_refs(item: EvidenceItem) -> list[tuple[str, StoredEvidence]]:
    """The item's stored container files in order, each pinned to the version taken in
    (an item from before migration 0011: its one stored file)."""
    if not item.containers:
        return [(Path(item.storage_key or "image").name, stored_ref(item))]
    return [
        (
            c.name,
            StoredEvidence(
                uri=c.storage_uri,
                bucket=c.storage_bucket,
                key=c.storage_key,
                version_id=c.storage_version_id,
                size=c.size,
                digests=Digests(c.size, c.md5, c.sha1, c.sha256),
                lock_mode=c.lock_mode,
                retain_until=parse_time(c.retain_until) if c.retain_until else None,
                legal_hold=c.legal_hold,
                stored_at=parse_time(item.created_at),
            ),
        )
        for c in item.containers
    ]


@contextmanager
def open_stored_media(store: Any, files: Sequence[tuple[str, StoredEvidence]]) -> Iterator[Any]:
    """The media carried by an item's stored container files, read in ranges from the store
    (local files or S3 ranged GETs), never copied whole; detected by signature."""
    from lccu.imaging import open_image

    streams: dict[str, Any] = {}
    try:
        for name, stored in files:
            streams[name] = store.open_evidence(stored)
    except BaseException:
        for stream in streams.values():
            stream.close()
        raise
    with open_image(streams) as image:
        yield image


def stored_ref(item: EvidenceItem) -> StoredEvidence:
    """The store's reference to an item's bytes, pinned to the version taken in."""
    if item.storage_key is None or item.size is None:
        raise InvalidInput(
            f"evidence {item.exhibit_number} has no stored copy",
            key="no_stored_image",
            params={"exhibit": item.exhibit_number},
        )
    return StoredEvidence(
        uri=item.storage_uri or "",
        bucket=item.storage_bucket,
        key=item.storage_key,
        version_id=item.storage_version_id,
        size=item.size,
        digests=Digests(item.size, item.md5 or "", item.sha1 or "", item.sha256 or ""),
        lock_mode=item.lock_mode,
        retain_until=parse_time(item.retain_until) if item.retain_until else None,
        legal_hold=item.legal_hold,
        stored_at=parse_time(item.created_at),
    )
