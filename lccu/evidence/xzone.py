"""Cross-zone hit/no-hit (migration 0016): which zones take part, the SHA-256 of the files
each case offers for correlation, and the disclosure requests between zones.

Only notable files (a notable hash-set hit in a processing report) and files an
investigator marks are offered (``xzone_files``); known files never are. A zone takes part
only while a unit admin has enabled it with a recorded legal basis (``xzone_zones``); a zone
that does not neither asks nor is found. The answer to another zone is "hit: also present
in a case of PZ X" and nothing else; a disclosure (the case number and a contact) needs a
request with a purpose and a grant by the owning zone (``xzone_requests``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lccu.errors import InvalidInput
from lccu.evidence.models import Base, new_uuid

SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: why a file is offered for correlation
SOURCES = ("notable", "marked")
#: request states
PENDING, GRANTED, REFUSED = "pending", "granted", "refused"
#: lookups one user may make in 24 hours (each call, whatever it asks, is one): a bound on
#: what a hostile account can learn by asking, on top of the rule that only the user's own
#: notable or marked files may be asked about
DAILY_LOOKUPS = 200
#: digests one call may ask about (an item with more notable files is asked in parts)
MAX_PER_CALL = 1000
#: pending requests one zone may have open towards another
MAX_PENDING = 50


class CrossZoneZone(Base):
    """Whether a zone takes part, since when, on what legal basis, enabled by whom."""

    __tablename__ = "xzone_zones"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    legal_basis: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[str] = mapped_column(String(40))


class CrossZoneFile(Base):
    """One file's SHA-256 offered for correlation by one evidence item of one case."""

    __tablename__ = "xzone_files"
    __table_args__ = (UniqueConstraint("evidence_id", "sha256", "source"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(10))  # notable | marked
    ref: Mapped[str] = mapped_column(String(64))  # the run or the mark that offered it
    created_at: Mapped[str] = mapped_column(String(40))


class CrossZoneRequest(Base):
    """Zone B asks the zone that holds a hit for the minimum: a case number and a contact."""

    __tablename__ = "xzone_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    sha256: Mapped[str] = mapped_column(String(64))
    from_zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    from_case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    to_zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10))  # pending | granted | refused
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)  # the owner's; never shown to B
    disclosed_case_id: Mapped[str | None] = mapped_column(String(36))
    disclosed_case_number: Mapped[str | None] = mapped_column(String(100))
    disclosed_contact: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class ZoneSetting:
    """A zone's participation as the unit admin sees it."""

    zone: str
    enabled: bool
    legal_basis: str | None
    changed_by: str | None
    changed_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    """The whole answer to zone B about one SHA-256: hit or not, and in which other zones.
    Nothing of the other zones' cases (no case, item, path, name, note or count)."""

    sha256: str
    hit: bool
    zones: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "hit": self.hit, "zones": list(self.zones)}


@dataclass(frozen=True)
class RequestView:
    """A disclosure request as one side sees it. The requesting zone sees its own case, the
    state and, after a grant only, the case number and contact; the owning zone sees the
    requester, purpose and the reason it gave."""

    id: str
    sha256: str
    from_zone: str
    to_zone: str
    purpose: str
    requested_by: str
    requested_at: str
    state: str
    decided_by: str | None
    decided_at: str | None
    from_case: str | None = None  # the requester's own case number (requester's side)
    reason: str | None = None  # the owner's side only
    case_number: str | None = None  # after a grant
    contact: str | None = None  # after a grant
    holding_cases: list[str] | None = None  # the owner's side: its cases holding the file

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def check_sha256(value: str) -> str:
    value = value.strip().lower()
    if not SHA256.match(value):
        raise InvalidInput("a SHA-256 is 64 hexadecimal digits", key="sha256_invalid")
    return value


def check_words(name: str, value: str | None, limit: int = 2000) -> str:
    """A purpose, legal basis or contact: required, printable, bounded."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"the {name} is required", key="field_required", params={"field": name})
    if "\x00" in text or len(text) > limit:
        raise InvalidInput(
            f"the {name} must be 1 to {limit} characters without NUL",
            key="field_too_long",
            params={"field": name, "limit": limit},
        )
    return text
