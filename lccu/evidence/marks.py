"""Files an investigator marks as notable (migration 0017): proposals for the unit's notable
hash set, which a unit admin approves or rejects.

A mark keeps the file's hashes as the processing report gave them, a category and the
investigator's reason. Approval adds its hashes to a notable set as a new version (the
previous version's hashes plus these), so reports keep naming the exact version they
used. The admin's view carries the hashes, category, reason and who proposed it, not the
case, the item or the path: an admin administers the unit, not case contents.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lccu.errors import InvalidInput
from lccu.evidence.models import Base, new_uuid

CATEGORY = re.compile(r"^[\w][\w .+/-]{0,59}$")
PROPOSED, APPROVED, REJECTED = "proposed", "approved", "rejected"
#: the set approved marks join unless the admin names another
DEFAULT_SET = "unit notable"


class NotableMark(Base):
    """One file of one item proposed for the unit's notable set."""

    __tablename__ = "notable_marks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    run_id: Mapped[str] = mapped_column(String(36))
    volume: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(Text)  # JSON: the report's file entry
    category: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[str | None] = mapped_column(String(40))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    set_name: Mapped[str | None] = mapped_column(String(100))
    set_version: Mapped[int | None] = mapped_column(Integer)


@dataclass(frozen=True)
class MarkInfo:
    """A mark as the library returns it. ``exhibit_number``, ``case_id``, ``path`` and
    ``file`` are None in the unit admin's view."""

    id: str
    md5: str | None
    sha1: str | None
    sha256: str
    category: str
    reason: str
    zone: str
    proposed_by: str
    proposed_at: str
    state: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    set_name: str | None
    set_version: int | None
    case_id: str | None = None
    exhibit_number: str | None = None
    path: str | None = None
    file: dict[str, Any] | None = None

    @classmethod
    def of(cls, mark: NotableMark, zone: str, exhibit: str | None) -> MarkInfo:
        """The full view (the case's readers); ``exhibit`` None gives the admin's view."""
        full = exhibit is not None
        return cls(
            mark.id, mark.md5, mark.sha1, mark.sha256, mark.category, mark.reason, zone,
            mark.proposed_by, mark.proposed_at, mark.state, mark.decided_by, mark.decided_at,
            mark.decision_reason, mark.set_name, mark.set_version,
            mark.case_id if full else None, exhibit, mark.path if full else None,
            json.loads(mark.file) if full else None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None or k in _ALWAYS}


_ALWAYS = {"md5", "sha1", "decided_by", "decided_at", "decision_reason", "set_name",
           "set_version"}


def check_category(category: str) -> str:
    """A short category: ``CSAM 1``, ``malware``, ``fraud kit`` ..."""
    category = category.strip()
    if not CATEGORY.match(category):
        raise InvalidInput(
            f"category {category[:80]!r} must be 1 to 60 letters, digits, spaces, "
            "'.', '+', '/', '-' or '_', starting with a letter or digit",
            key="category_invalid",
            params={"category": category[:80]},
        )
    return category
