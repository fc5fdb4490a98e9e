"""Stage: list every volume and file (deleted ones too), extract readable content, identify it.

Content is read once: a tee writes it to ``files/vol<V>/<inode><ext>`` while it is hashed
(MD5, SHA-1 and SHA-256 in the same pass) and its first bytes are given to libmagic. Names
that share an inode (hard links, a deleted name whose inode is still in use) are extracted
once and share the result.

Listing is bounded in wall-clock time (:func:`listing_budget`, ``LCCU_FS_BUDGET_SECONDS``,
default 1800 s): checked between TSK calls, so a corrupt file system that keeps TSK busy
gives a partial listing with a "listing stopped" error instead of a stage that runs for
hours. Only what was listed is extracted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast
from zoneinfo import ZoneInfo

from lccu.archive.names import safe_extension
from lccu.errors import FileSystemError, LccuError
from lccu.fs import (
    FileEntry,
    Notice,
    Problem,
    Volume,
    identify,
    list_volumes,
    open_content,
    walk,
)
from lccu.fs.volume_times import stores_local
from lccu.fs.walk import listing_budget as listing_budget  # re-exported (callers import it here)
from lccu.imaging.tsk import TskImage
from lccu.pipeline.sink import DirectorySink

KINDS = {"file": "file", "dir": "directory", "link": "symlink"}
Tick = Callable[[int], None]


class _Tee:
    """Reads from ``source`` and writes every byte read to ``target``."""

    def __init__(self, source: BinaryIO, target: BinaryIO) -> None:
        self._source, self._target = source, target

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if data:
            self._target.write(data)
        return data


@dataclass
class FileSystemResult:
    volumes: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    entries: list[FileEntry] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)


def file_ref(entry: FileEntry) -> dict[str, Any]:
    """How the report names a file: volume, path, inode."""
    return {"volume": entry.volume, "path": entry.path,
            "inode": entry.inode if entry.has_meta else None}


def _extract(img: TskImage, volume: Volume, entry: FileEntry, sink: DirectorySink | None,
             relative: str) -> dict[str, Any]:
    stream = open_content(img, volume, entry)
    capped = {"capped": True} if getattr(getattr(stream, "raw", None), "capped", False) else {}
    if sink is None:
        info = identify(stream, entry.size)
        exported = None
    else:
        with sink.create(relative) as out:
            info = identify(cast(BinaryIO, _Tee(stream, out)), entry.size)
        exported = relative
    return {**info.hashes(), "mime": info.mime, "description": info.description,
            "exported": exported, **capped}


def file_record(entry: FileEntry, zone: ZoneInfo | None) -> dict[str, Any]:
    """A files[] entry of the report, without content fields: local times converted with
    the source ``zone`` (or marked local, zone unknown)."""
    file_name = entry.file_name
    return {
        "volume": entry.volume, "path": entry.path,
        "inode": entry.inode if entry.has_meta else None, "size": entry.size,
        "allocated": entry.allocated, "kind": KINDS.get(entry.kind, "other"),
        **entry.times.to_json(zone),
        "file_name_times": file_name.times.to_json(zone) if file_name else None,
        "timestomp": entry.timestomp, "md5": None, "sha1": None, "sha256": None, "mime": None,
        "description": None, "exported": None,
    }


def volume_record(volume: Volume) -> dict[str, Any]:
    return {"index": volume.index, "start_offset": volume.start_offset,
            "length": volume.length, "description": volume.description,
            "fs_type": volume.fs_type, "times": None if volume.fs_type is None
            else "local" if stores_local(volume.fs_type) else "utc",
            "encryption": volume.encryption, "truncated": volume.truncated}


def list_and_extract(img: TskImage, sink: DirectorySink | None, *,
                     tick: Tick | None = None, budget: float | None = None,
                     zone: ZoneInfo | None = None) -> FileSystemResult:
    """Walk every volume; extract (when ``sink`` is given) and identify every readable file.

    ``budget``: seconds the listing may take (default :func:`listing_budget`'s); ``zone``:
    the source machine's time zone, for file systems that store local time."""
    result = FileSystemResult()
    problems: list[Problem] = []
    clock = listing_budget(budget)
    encrypted: list[Volume] = []
    volumes = list_volumes(img, problems, encrypted)
    result.volumes = [volume_record(v) for v in sorted([*volumes, *encrypted],
                                                       key=lambda v: v.start_offset)]
    done: dict[tuple[int, int, int | None, int | None], dict[str, Any]] = {}
    for volume in volumes:
        try:
            entries = list(walk(img, volume, problems, budget=clock))
        except FileSystemError as exc:
            problems.append(Problem(f"volume {volume.index}", str(exc)))
            continue
        for entry in entries:
            result.entries.append(entry)
            record = file_record(entry, zone)
            if entry.kind == "file" and entry.has_meta:
                key = (entry.volume, entry.inode, entry.attr_type, entry.attr_id)
                if key not in done:
                    stream_part = (f"-{entry.attr_type}-{entry.attr_id}"
                                   if entry.attr_type is not None and entry.stream else "")
                    relative = (f"files/vol{entry.volume:02d}/{entry.inode}{stream_part}"
                                f"{safe_extension(entry.name)}")
                    try:
                        done[key] = _extract(img, volume, entry,
                                             sink if entry.size > 0 else None, relative)
                        if done[key].get("capped"):
                            problems.append(Notice(
                                f"volume {volume.index}:{entry.path} (inode {entry.inode})",
                                f"recorded size {entry.size} bytes exceeds what the image can "
                                f"hold ({img.get_size()} bytes): read and exported capped at "
                                f"{img.get_size()} bytes"))
                    except (LccuError, OSError) as exc:
                        done[key] = {}
                        problems.append(Problem(f"volume {volume.index}:{entry.path} "
                                                f"(inode {entry.inode})",
                                                f"content not readable: {exc}"))
                record.update(done[key])
                if tick is not None:
                    tick(1)
            result.files.append(record)
    result.errors = [p.as_dict() for p in problems if not isinstance(p, Notice)]
    result.warnings = [p.as_dict() for p in problems if isinstance(p, Notice)]
    return result


def list_entries(image: Any, label: str, problems: list[Problem] | None = None,
                 budget: float | None = None) -> list[FileEntry]:
    """Every volume's entries, metadata only (no content read): what carving and YARA need
    to name the file that owns an image offset. ``budget`` as for :func:`list_and_extract`."""
    tsk = TskImage(image, image.size, name=label)
    found = problems if problems is not None else []
    clock = listing_budget(budget)
    try:
        return [e for v in list_volumes(tsk, found) for e in walk(tsk, v, found, budget=clock)]
    finally:
        tsk.clear_cache()
