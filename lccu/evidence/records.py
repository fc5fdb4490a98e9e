"""Plain, detached records that library calls return (no database session behind them)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from lccu.evidence.models import AuditEntry, Case, EvidenceItem, User


@dataclass(frozen=True)
class UserInfo:
    username: str
    full_name: str | None
    zone: str
    role: str
    key_id: str

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(user.username, user.full_name, user.zone.name, user.role, user.key_id)


@dataclass(frozen=True)
class ShareInfo:
    zone: str
    permission: str
    purpose: str | None
    granted_at: str
    valid_until: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class CaseInfo:
    id: str
    number: str
    title: str
    zone: str
    reference: str | None
    status: str
    created_at: str
    closed_at: str | None
    head_seq: int
    head_hash: str
    shares: tuple[ShareInfo, ...] = ()
    #: the investigative question asked (migration 0015): court report, CASE/UCO export
    question: str | None = None

    @classmethod
    def of(cls, case: Case) -> CaseInfo:
        shares = tuple(
            ShareInfo(s.zone.name, s.permission, s.purpose, s.granted_at, s.valid_until,
                      s.revoked_at)
            for s in case.shares
        )
        return cls(case.id, case.number, case.title, case.zone.name, case.reference,
                   case.status, case.created_at, case.closed_at, case.head_seq, case.head_hash,
                   shares, case.question)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EvidenceInfo:
    id: str
    case_id: str
    exhibit_number: str
    description: str
    item_type: str
    state: str
    size: int | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    declared: dict[str, str]
    hash_mismatches: tuple[str, ...]
    seal_number: str | None
    make: str | None
    model: str | None
    serial: str | None
    acquired_by: str | None
    acquired_at: str | None
    acquisition_tool: str | None
    acquisition_tool_version: str | None
    image_format: str | None
    storage_uri: str | None
    storage_version_id: str | None
    lock_mode: str | None
    retain_until: str | None
    legal_hold: bool
    parent_id: str | None
    created_at: str
    #: what carried the media (raw, split, ewf, vmdk, ...); None before migration 0011
    container_format: str | None = None
    #: the stored container files in order: name, size, md5, sha1, sha256, storage_uri
    containers: tuple[dict[str, Any], ...] = ()
    #: at intake: the container's stored hashes (E01) against the media, unreadable ranges
    media_check: dict[str, Any] | None = None

    @property
    def hashes_match(self) -> bool:
        return not self.hash_mismatches

    @classmethod
    def of(cls, item: EvidenceItem) -> EvidenceInfo:
        declared = {
            name: value
            for name, value in (("md5", item.declared_md5), ("sha1", item.declared_sha1),
                                ("sha256", item.declared_sha256))
            if value
        }
        observed = {"md5": item.md5, "sha1": item.sha1, "sha256": item.sha256}
        mismatches = tuple(
            name for name, value in declared.items()
            if observed[name] is not None and observed[name] != value
        )
        return cls(
            item.id, item.case_id, item.exhibit_number, item.description, item.item_type,
            item.state, item.size, item.md5, item.sha1, item.sha256, declared, mismatches,
            item.seal_number, item.make, item.model, item.serial, item.acquired_by,
            item.acquired_at, item.acquisition_tool, item.acquisition_tool_version,
            item.image_format, item.storage_uri, item.storage_version_id, item.lock_mode,
            item.retain_until, item.legal_hold, item.parent_id, item.created_at,
            item.container_format,
            tuple({"name": c.name, "size": c.size, "md5": c.md5, "sha1": c.sha1,
                   "sha256": c.sha256, "storage_uri": c.storage_uri} for c in item.containers),
            json.loads(item.media_check) if item.media_check else None,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hashes_match"] = self.hashes_match
        return data


@dataclass(frozen=True)
class AuditRecord:
    """One audit log entry, detached (``detail`` is its JSON text, as hashed)."""

    seq: int
    at: str
    username: str
    zone: str | None
    role: str | None
    operation: str
    object_type: str | None
    object_id: str | None
    case_id: str | None
    case_zone: str | None
    allowed: bool
    justification: str | None
    detail: str | None
    prev_hash: str
    entry_hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditRecord:
        return cls(entry.seq, entry.at, entry.username, entry.zone, entry.role,
                   entry.operation, entry.object_type, entry.object_id, entry.case_id,
                   entry.case_zone, bool(entry.allowed), entry.justification, entry.detail,
                   entry.prev_hash, entry.entry_hash)
