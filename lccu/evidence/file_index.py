"""The file index of a finished processing run (migration 0015): one row per file, carved
item and archive member of its report, so that the file browser and ``lab.files`` page and
filter in the database (indexed columns, server-side paging) instead of re-reading the
report's JSON on every request.

A run's index is built once, from its stored report, the first time its files are asked
for (:func:`index_report`); ``file_index_runs`` says it is complete. The rows copy the
report; the report stays the reference (the tag and the court report keep its entry).
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from lccu.evidence.models import Base

#: how many rows go to the database in one INSERT while a run is indexed
BATCH = 2000


class IndexedRun(Base):
    """A run whose report is in ``file_index`` completely."""

    __tablename__ = "file_index_runs"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    files: Mapped[int] = mapped_column(Integer)
    volumes: Mapped[str] = mapped_column(Text)  # JSON {index: start offset}: to open files
    indexed_at: Mapped[str] = mapped_column(String(40))


class FileRow(Base):
    """One file, carved item or archive member of a run's report."""

    __tablename__ = "file_index"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36), index=True)
    evidence_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)  # position in its report list
    source: Mapped[str] = mapped_column(String(10))  # file | carved | member
    volume: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    ext: Mapped[str | None] = mapped_column(String(32))
    inode: Mapped[int | None] = mapped_column(BigInteger)
    size: Mapped[int | None] = mapped_column(BigInteger)
    allocated: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(16))
    mtime: Mapped[str | None] = mapped_column(String(40))  # UTC, RFC 3339, when known
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    mime: Mapped[str | None] = mapped_column(String(200))
    hashset: Mapped[str | None] = mapped_column(String(10))  # notable | known | None
    hits: Mapped[int] = mapped_column(Integer)  # YARA hits in this file
    rules: Mapped[str] = mapped_column(Text)  # "|rule1|rule2|": the rules that hit
    #: the sniffed MIME type disagrees with the extension (file_types.mismatches; 0023)
    ext_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    entry: Mapped[str] = mapped_column(Text)  # JSON: the report's entry


@dataclass(frozen=True)
class FileInfo:
    """One file of a processed item as the library returns it (no session behind it).

    ``id`` is stable for the run (``lab.open_file(item, id)``); ``source`` says where the
    bytes are: a file system (``volume``/``inode``), a carved range of the image
    (``offset``) or an archive member (its exported copy); ``entry`` is the report's own
    record, times with their kind and zone, for provenance."""

    id: int
    run_id: str
    evidence_id: str
    source: str
    volume: int | None
    path: str
    name: str
    inode: int | None
    size: int | None
    deleted: bool
    kind: str
    mtime: str | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    mime: str | None
    hashset: str | None
    hits: tuple[str, ...]
    tags: tuple[str, ...]
    entry: dict[str, Any]

    @classmethod
    def of(cls, row: FileRow, tags: tuple[str, ...] = ()) -> FileInfo:
        return cls(
            row.id,
            row.run_id,
            row.evidence_id,
            row.source,
            row.volume,
            row.path,
            row.name,
            row.inode,
            row.size,
            not row.allocated,
            row.kind,
            row.mtime,
            row.md5,
            row.sha1,
            row.sha256,
            row.mime,
            row.hashset,
            tuple(r for r in row.rules.split("|") if r),
            tags,
            json.loads(row.entry),
        )

    @property
    def offset(self) -> int | None:
        """A carved item's byte offset in the image."""
        value = self.entry.get("offset") if self.source == "carved" else None
        return int(value) if isinstance(value, int) else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _utc(value: Any) -> str | None:
    if isinstance(value, Mapping):
        utc = value.get("utc")
        return utc if isinstance(utc, str) else None
    return value if isinstance(value, str) else None


def _ext(name: str) -> str | None:
    _stem, dot, ext = name.rpartition(".")
    return ext.lower()[:32] if dot and _stem and ext else None


def _hashset(entry: Mapping[str, Any]) -> str | None:
    kinds = {h.get("kind") for h in entry.get("hashsets") or [] if isinstance(h, Mapping)}
    return "notable" if "notable" in kinds else ("known" if "known" in kinds else None)


def _hits_by_target(report: Mapping[str, Any]) -> dict[tuple[Any, ...], list[str]]:
    """The YARA rules that hit each file, carved item and member."""
    found: dict[tuple[Any, ...], list[str]] = {}
    for hit in report.get("yara") or []:
        source, file = hit.get("source"), hit.get("file")
        if source in ("file", "image") and isinstance(file, Mapping):
            key: tuple[Any, ...] = ("file", file["volume"], file["path"], file["inode"])
        elif source == "carved":
            key = ("carved", hit.get("carved_offset"))
        elif source == "member":
            key = ("member", hit.get("member"))
        else:
            continue
        found.setdefault(key, []).append(str(hit.get("rule")))
    return found


def rows_of(report: Mapping[str, Any], run_id: str, evidence_id: str) -> Iterator[dict[str, Any]]:
    """The index rows of one report, in report order: files, then carved items, then
    archive members."""
    from lccu.evidence.file_types import mismatches  # it reads FileRow: imported here

    hits = _hits_by_target(report)

    def row(
        seq: int, source: str, entry: Mapping[str, Any], key: tuple[Any, ...], **fields: Any
    ) -> dict[str, Any]:
        rules = hits.get(key, [])
        name = posixpath.basename(str(fields["path"]).rstrip("/")) or str(fields["path"])
        mime = (entry.get("mime") or None) and str(entry["mime"])[:200]
        return {
            "run_id": run_id,
            "evidence_id": evidence_id,
            "seq": seq,
            "source": source,
            "name": name,
            "ext": _ext(name),
            "md5": entry.get("md5"),
            "sha1": entry.get("sha1"),
            "sha256": entry.get("sha256"),
            "mime": mime,
            "ext_mismatch": mismatches(_ext(name), mime),
            "hashset": _hashset(entry),
            "hits": len(rules),
            "rules": "|" + "|".join(dict.fromkeys(rules)) + "|" if rules else "",
            "entry": json.dumps(entry, sort_keys=True),
            **fields,
        }

    for seq, f in enumerate(report.get("files") or []):
        yield row(
            seq,
            "file",
            f,
            ("file", f["volume"], f["path"], f["inode"]),
            volume=f["volume"],
            path=f["path"],
            inode=f["inode"],
            size=f["size"],
            allocated=bool(f["allocated"]),
            kind=f["kind"],
            mtime=_utc(f["mtime"]),
        )
    for seq, c in enumerate(report.get("carved") or []):
        # a carved item has no MIME of its own: its carver's type; "allocated" when it
        # is the data of an allocated file (duplicate_of), else found in unallocated space
        path = f"/$carved/{c['offset']}.{c['type']}"
        mime = mimetypes.guess_type(f"x.{c['type']}")[0]
        yield row(
            seq,
            "carved",
            {"mime": mime, **c},
            ("carved", c["offset"]),
            volume=None,
            path=path,
            inode=None,
            size=c["length"],
            allocated=c.get("duplicate_of") is not None,
            kind="file",
            mtime=None,
        )
    for seq, m in enumerate(report.get("members") or []):
        path = f"/$archives/{m['provenance']}"
        yield row(
            seq,
            "member",
            m,
            ("member", m["id"]),
            volume=None,
            path=path,
            inode=None,
            size=m["size"],
            allocated=True,
            kind=m["kind"] if m["kind"] != "hardlink" else "other",
            mtime=_utc(m["mtime"]) if m.get("time_kind") == "utc" else None,
        )


def index_report(
    session: Session, report: Mapping[str, Any], run_id: str, evidence_id: str, now: str
) -> int:
    """Write the rows of ``report`` and mark the run indexed (in the caller's transaction:
    all or nothing); returns how many rows."""
    batch: list[dict[str, Any]] = []
    count = 0
    for values in rows_of(report, run_id, evidence_id):
        batch.append(values)
        count += 1
        if len(batch) >= BATCH:
            session.execute(insert(FileRow), batch)
            batch = []
    if batch:
        session.execute(insert(FileRow), batch)
    volumes = {str(v["index"]): v["start_offset"] for v in report.get("volumes") or []}
    session.add(
        IndexedRun(
            run_id=run_id,
            evidence_id=evidence_id,
            files=count,
            volumes=json.dumps(volumes),
            indexed_at=now,
        )
    )
    session.flush()
    return count
