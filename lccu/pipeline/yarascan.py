"""Stage: YARA over the whole image, then over every extracted and carved file.

Whole-image hits are mapped to the file whose data holds the hit's offset: an allocated
file first, else a deleted file whose blocks still hold it, else ``"unallocated"``. Carved
files that are copies of an allocated file are not scanned again (their file was).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, BinaryIO

from lccu.errors import LccuError, StorageError
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


def image_records(found: Iterable[Hit], entries: Sequence[FileEntry]) -> list[dict[str, Any]]:
    """Report records of image hits, each naming the file whose data holds it
    ({volume, path, inode}) or ``"unallocated"``: for ``lccu scan`` and the workers' yara
    segments alike."""
    return [_record(hit) for hit in map_hits(found, owner_lookup(entries))]


#: opens one derived file by its ``exported`` path: a local path (``lccu scan``'s output
#: folder) or a stream (a worker reading the store)
Opener = Callable[[str], AbstractContextManager[Path | BinaryIO]]


def local_files(sink: DirectorySink) -> Opener:
    """:data:`Opener` of the files ``lccu scan`` exported into ``sink``."""
    return lambda relative: nullcontext(sink.path(relative))


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
        hits.extend(image_records(scan_stream(stream, size, rules, errors=problems), entries))
    except LccuError as exc:
        errors.append({"where": "yara image", "message": str(exc)})
    if tick is not None:
        tick(1)
    if sink is None:
        return hits, errors + _problems(problems)
    more, more_errors = scan_derived(files, carved, members, rules, local_files(sink),
                                     tick=tick)
    return hits + more, errors + _problems(problems) + more_errors


def scan_derived(files: Sequence[dict[str, Any]], carved: Sequence[dict[str, Any]],
                 members: Sequence[dict[str, Any]], rules: RuleSet, opener: Opener, *,
                 tick: Callable[[int], None] | None = None) -> tuple[list[dict[str, Any]],
                                                                      list[dict[str, str]]]:
    """Per-file rules over every exported file (once per exported copy), carved item and
    archive member: the file-level YARA of ``lccu scan`` and the workers' yara-files stage.
    A file that cannot be scanned (too large, YARA failed) is an error entry and the rest
    goes on; a store that cannot be read raises (the worker retries the stage)."""
    hits: list[dict[str, Any]] = []
    problems: list[ScanProblem] = []
    errors: list[dict[str, str]] = []

    def scan(relative: str, where: str, **kwargs: Any) -> list[Hit]:
        with opener(relative) as source:
            try:
                return scan_file(source, rules, errors=problems, **kwargs)
            except StorageError:
                raise
            except LccuError as exc:
                errors.append({"where": where, "message": str(exc)})
                return []
            finally:
                if tick is not None:
                    tick(1)

    seen: set[str] = set()
    for record in files:
        relative = record.get("exported")
        if not relative or relative in seen:
            continue
        seen.add(relative)
        owner = {"volume": record["volume"], "path": record["path"], "inode": record["inode"]}
        hits += [_record(hit, file=owner) for hit in
                 scan(relative, f"yara {record['path']}", source="file", name=record["path"])]
    for item in carved:
        if item.get("exported"):
            hits += [_record(hit, carved_offset=item["offset"]) for hit in
                     scan(item["exported"], f"yara carved {item['offset']}", source="carved")]
    for member in members:
        if member.get("exported"):
            hits += [member_hit(hit, member["id"]) for hit in
                     scan(member["exported"], f"yara {member['provenance']}", source="file",
                          name=member["name"])]
    return hits, _problems(problems) + errors


def member_hit(hit: Hit, member_id: int) -> dict[str, Any]:
    """A hit in a member: ``source`` member, the member's id, no file or carved offset."""
    return {**_record(hit), "file": None, "carved_offset": None, "source": "member",
            "member": member_id}


__all__ = ["file_ref", "owner_lookup", "scan_all"]
