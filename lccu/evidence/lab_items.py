"""Evidence items: intake, reading, listing, opening the stored image and re-verifying
it; the evidence part of :class:`~lccu.evidence.lab.Lab`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from lccu.errors import InvalidInput
from lccu.evidence.canonical import parse_time
from lccu.evidence.intake import PIPE_BYTES, ItemFacts, StreamingIntake
from lccu.evidence.intake import prepare as prepare_intake
from lccu.evidence.lab_base import LabBase
from lccu.evidence.lab_lookup import _recorded_event
from lccu.evidence.models import EvidenceItem
from lccu.evidence.records import EvidenceInfo
from lccu.hashing import Digests
from lccu.storage.base import Progress, StoredEvidence

if TYPE_CHECKING:
    from lccu.evidence.lab import Lab


class LabItems(LabBase):
    """Evidence items and their stored bytes."""

    # -- evidence -----------------------------------------------------------------------------

    def add_evidence(
        self,
        case_ref: str,
        path: str | os.PathLike[str],
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
        """Stream a file into the evidence store, hashing it once, and record the intake.

        Declared acquisition hashes are checked before the store commits: a mismatch raises
        :class:`~lccu.errors.DeclaredHashMismatch`, stores nothing and is audited. With
        ``accept_mismatch=True`` the copy is taken in anyway, marked ``hash-mismatch``,
        and the intake event names the digests that differ (when the discrepancy itself
        is evidence). See :mod:`lccu.evidence.intake`.
        """
        source = Path(path)
        if not source.exists():
            raise InvalidInput(f"{source}: no such file")
        if not source.is_file():
            raise InvalidInput(f"{source}: not a regular file (a directory?)")
        facts = ItemFacts(
            description=description, item_type=item_type, seal_number=seal_number, make=make,
            model=model, serial=serial, acquired_by=acquired_by, acquired_at=acquired_at,
            acquisition_tool=acquisition_tool,
            acquisition_tool_version=acquisition_tool_version, image_format=image_format,
            exhibit_number=exhibit_number, location=location)
        # a LabItems is only ever part of a Lab, which is what intake expects
        pending = prepare_intake(cast("Lab", self), case_ref, source_name=source.name,
                                 size=source.stat().st_size, facts=facts, declared=declared,
                                 accept_mismatch=accept_mismatch, legal_hold=legal_hold)
        with source.open("rb") as fh:
            stored = pending.put(fh, progress)
        return pending.record(stored)

    def begin_intake(self, case_ref: str, *, source_name: str, size: int, facts: ItemFacts,
                     declared: Mapping[str, str] | None = None,
                     accept_mismatch: bool = False, legal_hold: bool = False,
                     buffer_bytes: int = PIPE_BYTES) -> StreamingIntake:
        """An intake fed with :meth:`StreamingIntake.write` and ended with ``finish()``.

        For bytes that arrive in pieces (web uploads): they stream into the store as they
        come, hashed on the way, never copied to local disk; access, the declared-hash
        check and the custody record are the same as :meth:`add_evidence`."""
        pending = prepare_intake(cast("Lab", self), case_ref, source_name=source_name, size=size,
                                 facts=facts, declared=declared,
                                 accept_mismatch=accept_mismatch, legal_hold=legal_hold)
        return StreamingIntake(pending, buffer_bytes=buffer_bytes)

    def get_evidence(self, ref: str, *, processing: bool = False) -> EvidenceInfo:
        with self.db.session() as session:
            _case, item = self._item_for(session, ref, "evidence.read", processing=processing)
            return EvidenceInfo.of(item)

    def list_evidence(self, case_ref: str) -> list[EvidenceInfo]:
        with self.db.session() as session:
            case = self._case_for(session, case_ref, "evidence.list")
            items = session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case.id)
                                    .order_by(EvidenceItem.exhibit_number))
            return [EvidenceInfo.of(i) for i in items]

    @contextmanager
    def open_evidence_image(self, ref: str, *, purpose: str, processing: bool = False,
                            once: bool = False) -> Iterator[tuple[Any, str]]:
        """The stored bytes of an item as a read-only image stream; the access is recorded
        as an ``accessed`` custody event (with ``purpose``) and in the audit log.
        ``processing=True`` is the workers' path (see :func:`lccu.evidence.access.case_access`).
        ``once=True`` records the ``accessed`` event only if none with this purpose exists
        (checked and appended under the case row's lock): thousands of segment jobs of one
        processing stage then leave one custody event; each access is still audited.
        """
        from lccu.imaging import open_image
        from lccu.storage import open_store

        with self.db.session() as session:
            case, item = self._item_for(session, ref, "evidence.access", processing=processing)
            stored = stored_ref(item)
            label = f"{case.number}/{item.exhibit_number}"
            head: dict[str, Any] | None = None
            if not once or _recorded_event(session, case, "accessed", item.id,
                                           purpose) is None:
                head = self._append(session, case, "accessed", evidence_id=item.id,
                                    reason=purpose, details={"purpose": purpose})
        if head is not None:
            self._anchor(head)
        store = open_store(self.settings)
        try:
            with store.open_evidence(stored) as raw, open_image(raw) as image:
                yield image, label
        finally:
            store.close()

    def verify_evidence(self, ref: str, *, progress: Progress | None = None) -> dict[str, Any]:
        """Re-hash the stored bytes, compare with intake, record a ``verified`` event."""
        from lccu.hashing import hash_stream
        from lccu.storage import open_store

        with self.db.session() as session:
            _case, item = self._item_for(session, ref, "evidence.verify")
            item_id, case_id = item.id, item.case_id
            recorded = {"md5": item.md5, "sha1": item.sha1, "sha256": item.sha256}
            location = item.storage_version_id or item.storage_key
            stored = stored_ref(item)
        store = open_store(self.settings)
        try:
            with store.open_evidence(stored) as fh:
                digests = hash_stream(fh, progress=progress)
        finally:
            store.close()
        observed = digests.hashes()
        differ = sorted(n for n, v in recorded.items() if v and observed[n] != v)
        with self.db.session() as session:
            case = self._find_case(session, case_id)
            row = session.get(EvidenceItem, item_id)
            assert row is not None
            row.state = "verified" if not differ else "hash-mismatch"
            head = self._append(session, case, "verified", evidence_id=item_id,
                                observed_hashes=observed,
                                reason="re-hash of the stored copy" + (
                                    " FAILED" if differ else " matches intake"),
                                details={"match": not differ, "mismatched": differ,
                                         "size": digests.size, "stored_object": location})
        self._anchor(head)
        return {"evidence_id": item_id, "match": not differ, "mismatched": differ,
                "observed": observed, "recorded": recorded, "size": digests.size}


def stored_ref(item: EvidenceItem) -> StoredEvidence:
    """The store's reference to an item's bytes, pinned to the version taken in."""
    if item.storage_key is None or item.size is None:
        raise InvalidInput(f"evidence {item.exhibit_number} has no stored copy")
    return StoredEvidence(
        uri=item.storage_uri or "", bucket=item.storage_bucket, key=item.storage_key,
        version_id=item.storage_version_id, size=item.size,
        digests=Digests(item.size, item.md5 or "", item.sha1 or "", item.sha256 or ""),
        lock_mode=item.lock_mode,
        retain_until=parse_time(item.retain_until) if item.retain_until else None,
        legal_hold=item.legal_hold, stored_at=parse_time(item.created_at))
