"""Stage: YARA over the whole image, then over every extracted and carved file.

Whole-image hits are mapped to the file whose data holds the hit's offset: an allocated
file first, else a deleted file whose blocks still hold it, else ``"unallocated"``. Carved
files that are copies of an allocated file are not scanned again (their file was).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

from lccu.errors import LccuError
from lccu.fs import FileEntry, OffsetOwnerIndex
from lccu.pipeline.filesystem import file_ref
from lccu.pipeline.sink import DirectorySink
from lccu.scan import Hit, RuleSet, ScanProblem, map_hits, scan_file, scan_stream


def owner_lookup(entries: Sequence[FileEntry]) -> Callable[[int], Any]:
    allocated = OffsetOwnerIndex(entries)
    deleted = OffsetOwnerIndex([e for e in entries if not e.allocated], include_deleted=True)

    def owner_of(offset: int) -> Any:
        return allocated.owner_of(offset) or deleted.owner_of(offset)

    return owner_of


def _record(hit: Hit, *, file: Any = None, carved_offset: int | None = None) -> dict[str, Any]:
    data = hit.to_dict()
    return {
        "rule": data["rule"], "namespace": data["namespace"], "tags": data["tags"],
        "meta": {k: v for k, v in data["meta"].items() if isinstance(v, str | int | float)},
        "string": data["string"], "offset": data["offset"], "matched": data["matched"],
        "file": file if file is not None else data["file"], "carved_offset": carved_offset,
        "source": data["source"],
    }


def _problems(problems: list[ScanProblem]) -> list[dict[str, str]]:
    return [{"where": f"yara {p.target}", "message": p.message} for p in problems]


def scan_all(stream: BinaryIO, size: int, rules: RuleSet, entries: Sequence[FileEntry],
             files: Sequence[dict[str, Any]], carved: Sequence[dict[str, Any]],
             sink: DirectorySink | None, *,
             tick: Callable[[int], None] | None = None,
             members: Sequence[dict[str, Any]] = ()) -> tuple[list[dict[str, Any]],
                                                               list[dict[str, str]]]:
    hits: list[dict[str, Any]] = []
    problems: list[ScanProblem] = []
    errors: list[dict[str, str]] = []
    try:
        image_hits = scan_stream(stream, size, rules, errors=problems)
        # map_hits names the owner {volume, path, inode}, or "unallocated"
        hits.extend(_record(hit) for hit in map_hits(image_hits, owner_lookup(entries)))
    except LccuError as exc:
        errors.append({"where": "yara image", "message": str(exc)})
    if tick is not None:
        tick(1)
    if sink is not None:
        seen: set[str] = set()
        for record in files:
            relative = record.get("exported")
            if not relative or relative in seen:
                continue
            seen.add(relative)
            try:
                for hit in scan_file(sink.path(relative), rules, source="file",
                                     name=record["path"], errors=problems):
                    hits.append(_record(hit, file={"volume": record["volume"],
                                                   "path": record["path"],
                                                   "inode": record["inode"]}))
            except LccuError as exc:
                errors.append({"where": f"yara {record['path']}", "message": str(exc)})
            if tick is not None:
                tick(1)
        for item in carved:
            if not item.get("exported"):
                continue
            try:
                for hit in scan_file(sink.path(item["exported"]), rules, source="carved",
                                     errors=problems):
                    hits.append(_record(hit, carved_offset=item["offset"]))
            except LccuError as exc:
                errors.append({"where": f"yara carved {item['offset']}", "message": str(exc)})
            if tick is not None:
                tick(1)
        hits += scan_members(members, sink, rules, problems, errors, tick)
    return hits, errors + _problems(problems)


def scan_members(members: Sequence[dict[str, Any]], sink: DirectorySink, rules: RuleSet,
                 problems: list[ScanProblem], errors: list[dict[str, str]],
                 tick: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Per-file rules over every member read out of an archive or document."""
    hits: list[dict[str, Any]] = []
    for member in members:
        if not member.get("exported"):
            continue
        try:
            for hit in scan_file(sink.path(member["exported"]), rules, source="file",
                                 name=member["name"], errors=problems):
                hits.append(member_hit(hit, member["id"]))
        except LccuError as exc:
            errors.append({"where": f"yara {member['provenance']}", "message": str(exc)})
        if tick is not None:
            tick(1)
    return hits


def member_hit(hit: Hit, member_id: int) -> dict[str, Any]:
    """A hit in a member: ``source`` member, the member's id, no file or carved offset."""
    return {**_record(hit), "file": None, "carved_offset": None, "source": "member",
            "member": member_id}


__all__ = ["file_ref", "owner_lookup", "scan_all"]
