"""Stage: open every archive and document found (allocated, deleted with content, carved)
and turn its members into report records, like any other file.

The root of each expansion is an exported file or carved item already in the sink; its
members are written next to it, under ``<exported>.members/`` (numbers, never stored
names), so exports, YARA and thumbnails treat them as files. Case passwords are tried on
encrypted content and appear nowhere: the report only says a password from the case list
was used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lccu.archive import Container, Expansion, ExpansionLimits, Member, container_format
from lccu.evidence.canonical import format_time
from lccu.pipeline.sink import DirectorySink

Tick = Callable[[int], None]


@dataclass
class ExpansionResult:
    members: list[dict[str, Any]] = field(default_factory=list)
    archives: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Root:
    """One top-level container: where it is in the sink and how the report names it."""

    exported: str
    label: str  # ``vol 2 / inode 39 /archive/file8.zip`` or ``carved at offset 5534720``
    file: dict[str, Any] | None
    carved_offset: int | None
    mime: str | None
    sha256: str | None


def file_label(record: dict[str, Any]) -> str:
    inode = record.get("inode")
    return (f"vol {record['volume']} / inode {inode if inode is not None else '?'} "
            f"{record['path']}")


def find_roots(files: Sequence[dict[str, Any]], carved: Sequence[dict[str, Any]],
               sink: DirectorySink) -> list[Root]:
    """Exported files and carved items whose content is a container, each once."""
    from lccu.fs.content import identify_head

    roots: list[Root] = []
    seen: set[str] = set()
    for record in files:
        exported = record.get("exported")
        if exported and exported not in seen and container_format(record.get("mime")):
            seen.add(exported)
            roots.append(Root(exported, file_label(record),
                              {"volume": record["volume"], "path": record["path"],
                               "inode": record["inode"]}, None, record.get("mime"),
                              record.get("sha256")))
    for item in carved:
        exported = item.get("exported")
        if not exported or exported in seen:
            continue
        with sink.path(exported).open("rb") as fh:
            mime, _ = identify_head(fh.read(64 * 1024))
        if container_format(mime):
            seen.add(exported)
            roots.append(Root(exported, f"carved at offset {item['offset']}", None,
                              item["offset"], mime, item.get("sha256")))
    return roots


def _time(member: Member) -> str | None:
    moment = member.entry.mtime
    if moment is None:
        return None
    if member.entry.time_kind == "utc" and moment.tzinfo is not None:
        return format_time(moment)
    return moment.replace(tzinfo=None).isoformat()  # as stored: no zone to claim


def _relative(path: Path | None, sink: DirectorySink) -> str | None:
    return path.relative_to(sink.root).as_posix() if path is not None else None


def member_record(member: Member, root: Root, base: int, sink: DirectorySink) -> dict[str, Any]:
    entry = member.entry
    read = member.sha256 is not None
    return {
        "id": member.id + base, "parent": None if member.parent is None else member.parent + base,
        "file": root.file, "carved_offset": root.carved_offset,
        "provenance": member.provenance, "name": entry.name, "depth": member.depth,
        "kind": entry.kind, "size": member.size if read else entry.size,
        "compressed_size": entry.compressed_size,
        "compression": entry.compression if entry.kind == "file" else None,
        "mtime": _time(member), "time_kind": entry.time_kind if entry.mtime else None,
        "encrypted": entry.encrypted, "md5": member.md5, "sha1": member.sha1,
        "sha256": member.sha256, "mime": member.mime, "description": member.description,
        "exported": _relative(member.stored, sink), "link_target": entry.link_target,
        "findings": list(member.findings),
    }


def archive_record(container: Container, root: Root, base: int) -> dict[str, Any]:
    return {
        "provenance": container.provenance, "file": root.file,
        "carved_offset": root.carved_offset,
        "member": None if container.member is None else container.member + base,
        "format": container.format, "filters": container.filters,
        "members": container.members, "encrypted": container.encrypted,
        "password_used": container.password_used, "complete": container.complete,
        "stopped": container.stopped,
    }


def _merge(result: ExpansionResult, expansion: Expansion, root: Root,
           sink: DirectorySink) -> None:
    base = len(result.members)
    result.members += [member_record(m, root, base, sink) for m in expansion.members]
    result.archives += [archive_record(c, root, base) for c in expansion.containers]
    result.errors += [{"where": f"archive {c.provenance}", "message": problem}
                      for c in expansion.containers for problem in c.problems]


def expand_containers(files: Sequence[dict[str, Any]], carved: Sequence[dict[str, Any]],
                      sink: DirectorySink, *, limits: ExpansionLimits | None = None,
                      passwords: Sequence[str] = (), tick: Tick | None = None
                      ) -> ExpansionResult:
    """Expand every container among the exported files and carved items."""
    from lccu.archive.engine import expand

    result = ExpansionResult()
    for root in find_roots(files, carved, sink):
        fmt = container_format(root.mime)
        assert fmt is not None  # find_roots keeps containers only
        source = sink.path(root.exported)
        expansion = expand(source, fmt, root.label, sink.path(f"{root.exported}.members"),
                           limits=limits, passwords=passwords, sha256=root.sha256,
                           name_hint=Path(root.file["path"]).name if root.file else "")
        _merge(result, expansion, root, sink)
        if tick is not None:
            tick(1)
    return result


def expansion_settings(limits: ExpansionLimits,
                       passwords: Sequence[str] | bool) -> dict[str, Any]:
    """What the report (and the ``processed`` event) say about how expansion ran: limits,
    library versions, and whether a case password list was given (never the passwords)."""
    from lccu.archive import library_versions

    return {"limits": limits.as_dict(), "libraries": library_versions(),
            "passwords_supplied": bool(passwords)}
