"""The case database schema (SQLAlchemy 2.0). SQLite embedded, PostgreSQL in server mode.

Times that a hash covers are stored as RFC 3339 text, not as database timestamps, so that
reading them back gives the very bytes that were hashed on every database engine.
Custody events and audit entries are append-only: database triggers (see the migrations)
refuse UPDATE and DELETE on them, and ``verify`` detects it anyway if someone drops the
triggers first.
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Zone(Base):
    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[str] = mapped_column(String(40))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    role: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(40))

    zone: Mapped[Zone] = relationship()


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    reference: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[str] = mapped_column(String(40))
    closed_at: Mapped[str | None] = mapped_column(String(40))
    head_seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    # migration 0015: the investigative question asked (court report, CASE/UCO export)
    question: Mapped[str | None] = mapped_column(Text)

    zone: Mapped[Zone] = relationship()
    shares: Mapped[list[CaseShare]] = relationship(back_populates="case")


class CaseShare(Base):
    """A grant of one case to another zone: who granted it, why, and for how long."""

    __tablename__ = "case_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    permission: Mapped[str] = mapped_column(String(20), default="contribute")
    purpose: Mapped[str | None] = mapped_column(String(300))
    granted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[str] = mapped_column(String(40))
    valid_until: Mapped[str | None] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40))

    case: Mapped[Case] = relationship(back_populates="shares")
    zone: Mapped[Zone] = relationship()


class EvidenceItem(Base):
    __tablename__ = "evidence_items"
    __table_args__ = (UniqueConstraint("case_id", "exhibit_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    exhibit_number: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"))
    description: Mapped[str] = mapped_column(Text)
    item_type: Mapped[str] = mapped_column(String(30))
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100))
    seal_number: Mapped[str | None] = mapped_column(String(100))
    acquired_by: Mapped[str | None] = mapped_column(String(200))
    acquired_at: Mapped[str | None] = mapped_column(String(40))
    acquisition_tool: Mapped[str | None] = mapped_column(String(100))
    acquisition_tool_version: Mapped[str | None] = mapped_column(String(50))
    image_format: Mapped[str | None] = mapped_column(String(30))
    declared_md5: Mapped[str | None] = mapped_column(String(32))
    declared_sha1: Mapped[str | None] = mapped_column(String(40))
    declared_sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    storage_uri: Mapped[str | None] = mapped_column(Text)
    storage_bucket: Mapped[str | None] = mapped_column(String(100))
    storage_key: Mapped[str | None] = mapped_column(Text)
    storage_version_id: Mapped[str | None] = mapped_column(String(200))
    lock_mode: Mapped[str | None] = mapped_column(String(20))
    retain_until: Mapped[str | None] = mapped_column(String(40))
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="registered")
    created_at: Mapped[str] = mapped_column(String(40))
    #: what carried the media at intake: raw, split, ewf, vmdk, vhd, vhdx, qcow2, ... or
    #: "file" (taken in as it is); None for items taken in before migration 0011
    container_format: Mapped[str | None] = mapped_column(String(30))
    #: JSON: the container's stored acquisition hashes against the media read at intake
    #: (match / mismatch / none) and the ranges that could not be read (migration 0011)
    media_check: Mapped[str | None] = mapped_column(Text)
    containers: Mapped[list[EvidenceContainer]] = relationship(
        order_by="EvidenceContainer.seq", lazy="selectin", back_populates="item"
    )


class EvidenceContainer(Base):
    """One stored container file of an item (an E01 segment, a split segment, a VMDK
    extent, the one raw file), with its own hashes and its place in the store; the item's
    own hashes and size are the media's (migration 0011)."""

    __tablename__ = "evidence_containers"
    __table_args__ = (UniqueConstraint("evidence_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    sha1: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    storage_uri: Mapped[str] = mapped_column(Text)
    storage_bucket: Mapped[str | None] = mapped_column(String(100))
    storage_key: Mapped[str] = mapped_column(Text)
    storage_version_id: Mapped[str | None] = mapped_column(String(200))
    lock_mode: Mapped[str | None] = mapped_column(String(20))
    retain_until: Mapped[str | None] = mapped_column(String(40))
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)

    item: Mapped[EvidenceItem] = relationship(back_populates="containers")


class CustodyEvent(Base):
    """One handling of a case or item; see :mod:`lccu.evidence.chain` for what is hashed."""

    __tablename__ = "custody_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    v: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    actor_zone: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    key_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    evidence_id: Mapped[str | None] = mapped_column(String(36), index=True)
    location: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(Text)
    observed_hashes: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    event_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class KeyRegistryEntry(Base):
    """A certification or revocation of a user's key, signed with the unit key; see
    :mod:`lccu.evidence.registry`."""

    __tablename__ = "key_registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    recorded_at: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str] = mapped_column(String(64))
    unit_key_id: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class AuditEntry(Base):
    """Who did or tried what, when, to which case or item; hash-chained like custody."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[str] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(64))
    zone: Mapped[str | None] = mapped_column(String(100), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    operation: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    case_zone: Mapped[str | None] = mapped_column(String(100), index=True)
    allowed: Mapped[bool] = mapped_column(Boolean)
    justification: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class CustodyCountersignature(Base):
    """A party's own signature over a hand-over event's hash (receiver, witness, or a
    releaser who did not record the event). Kept beside the event, which is append-only and
    whose hash must not change; append-only itself (triggers of migration 0005)."""

    __tablename__ = "custody_countersignatures"
    __table_args__ = (UniqueConstraint("case_id", "seq", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    event_hash: Mapped[str] = mapped_column(String(64))
    signer: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    signed_at: Mapped[str] = mapped_column(String(40))


class HashSetVersion(Base):
    """One imported version of a unit-wide hash set. Its hashes live in a table of their
    own, ``hashset_rows_<id>`` (see :mod:`lccu.hashsets.store`), loaded first and indexed
    once complete, so that a 40-million-row import stays fast and a removal is one DROP."""

    __tablename__ = "hashset_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # known | notable
    description: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text)  # the imported file's name
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12))  # importing | ready
    entries: Mapped[int] = mapped_column(BigInteger, default=0)  # rows read
    hashes: Mapped[int] = mapped_column(BigInteger, default=0)  # digests stored
    malformed: Mapped[int] = mapped_column(BigInteger, default=0)
    malformed_examples: Mapped[str] = mapped_column(Text, default="[]")  # JSON
    hash_types: Mapped[str] = mapped_column(String(40), default="[]")  # JSON list
    #: JSON list of the hash-type combinations entries have (bit masks: 1 MD5, 2 SHA-1,
    #: 4 SHA-256); None: not known (imported before migration 0018)
    hash_combos: Mapped[str | None] = mapped_column(String(40), nullable=True)
    categories: Mapped[str] = mapped_column(Text, default="[]")  # JSON list; index = code
    imported_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40))
