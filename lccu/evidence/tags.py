"""Tags and notes on the files of a processed item (migration 0013): the table, the
detached record the library returns, and how a file named by path, inode or SHA-256 is
found among the files of a processing report.

A tag keeps a copy of the report's file entry (path, volume, inode, hashes, times, MIME),
so the court report names the file exactly as the run that was tagged found it, even after
a later run.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lccu.errors import InvalidInput, NotFound
from lccu.evidence.models import Base, new_uuid

LABEL = re.compile(r"^[\w][\w .+-]{0,59}$")
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class FileTag(Base):
    """One tag on one file of one item; removed by stamping, never deleted."""

    __tablename__ = "file_tags"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    run_id: Mapped[str] = mapped_column(String(36))
    volume: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    inode: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(Text)  # JSON: the report's file entry
    label: Mapped[str] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    removed_by: Mapped[str | None] = mapped_column(String(64))
    removed_at: Mapped[str | None] = mapped_column(String(40))
    removed_reason: Mapped[str | None] = mapped_column(Text)


class TagLabel(Base):
    """A label the tags of one case (or, with no case, of every case of the unit) take
    (migration 0024): once labels are defined for a case or the unit, a tag takes one."""

    __tablename__ = "tag_labels"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    defined_by: Mapped[str] = mapped_column(String(64))
    defined_at: Mapped[str] = mapped_column(String(40))


@dataclass(frozen=True)
class TagInfo:
    """A tag as the library returns it (no session behind it)."""

    id: str
    case_id: str
    evidence_id: str
    exhibit_number: str
    run_id: str
    volume: int
    path: str
    inode: int | None
    sha256: str | None
    label: str
    note: str | None
    created_by: str
    created_at: str
    removed_by: str | None
    removed_at: str | None
    removed_reason: str | None
    #: the report's file entry when tagged: hashes, size, times, MIME, allocated ...
    file: dict[str, Any]

    @classmethod
    def of(cls, tag: FileTag, exhibit_number: str) -> TagInfo:
        return cls(
            tag.id,
            tag.case_id,
            tag.evidence_id,
            exhibit_number,
            tag.run_id,
            tag.volume,
            tag.path,
            tag.inode,
            tag.sha256,
            tag.label,
            tag.note,
            tag.created_by,
            tag.created_at,
            tag.removed_by,
            tag.removed_at,
            tag.removed_reason,
            json.loads(tag.file),
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_label(label: str) -> str:
    """A label is a short word or phrase (``relevant``, ``to check``, ``privileged``)."""
    label = label.strip()
    if not LABEL.match(label):
        raise InvalidInput(
            f"label {label[:80]!r} must be 1 to 60 letters, digits, spaces, "
            "'.', '+', '-' or '_', starting with a letter or digit",
            key="label_invalid",
            params={"label": label[:80]},
        )
    return label


def check_text(name: str, value: str | None) -> str | None:
    """A note, reason or file name as given, stripped; NUL is refused (no database keeps it
    the same way)."""
    if value is None:
        return None
    if "\x00" in value:
        raise InvalidInput(
            f"the {name} holds a NUL character", key="text_nul", params={"field": name}
        )
    return value.strip() or None


def parse_file_ref(ref: str) -> tuple[str, str | int]:
    """How a file is named: ``("path", "/dir/f.txt")``, ``("sha256", hex)`` or
    ``("inode", n)``."""
    ref = ref.strip()
    if not ref:
        raise InvalidInput(
            "name the file by its path (/dir/file.txt), inode or SHA-256", key="file_ref_needed"
        )
    if SHA256.match(ref):
        return "sha256", ref.lower()
    if ref.isdigit():
        return "inode", int(ref)
    if ref.startswith("inode:") and ref[6:].isdigit():
        return "inode", int(ref[6:])
    return "path", ref if ref.startswith("/") else f"/{ref}"


def find_file(
    files: list[dict[str, Any]], ref: str, volume: int | None, exhibit: str
) -> dict[str, Any]:
    """The one file entry of a report that ``ref`` names (on ``volume`` if given);
    :class:`NotFound` for none, :class:`InvalidInput` listing the candidates for several."""
    kind, value = parse_file_ref(ref)
    found = [
        f for f in files if f.get(kind) == value and (volume is None or f.get("volume") == volume)
    ]
    if not found:
        where = f" on volume {volume}" if volume is not None else ""
        raise NotFound(
            f"no file with {kind} {value!s:.80}{where} in the report of {exhibit}",
            key="file_not_in_report",
            params={"file": f"{value!s:.80}", "exhibit": exhibit},
        )
    if len(found) > 1:
        shown = "; ".join(
            f"volume {f.get('volume')} inode {f.get('inode')} {f.get('path')}"
            + ("" if f.get("allocated", True) else " (deleted)")
            for f in found[:5]
        )
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise InvalidInput(
            f"{len(found)} files with {kind} {value!s:.80} in {exhibit}: "
            f"{shown}{more}; give --volume N or the inode",
            key="file_ambiguous",
            params={"count": len(found), "file": f"{value!s:.80}", "shown": shown + more},
        )
    return found[0]
