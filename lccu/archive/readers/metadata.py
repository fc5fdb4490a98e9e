"""Per-member facts libarchive does not expose, read from the archive's own directory:
compressed size, compression method and how the time was stored (zip with the standard
library's :mod:`zipfile`, RAR with ``rarfile``; neither reads any member data here).

A zip entry's time is UTC when it carries an extended-timestamp (0x5455) or NTFS (0x000a)
extra field, which libarchive then uses; otherwise it is the MS-DOS local time.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lccu.archive.records import TimeKind

ZIP_METHODS = {0: "stored", 1: "shrunk", 6: "imploded", 8: "deflate", 9: "deflate64",
               12: "bzip2", 14: "lzma", 93: "zstd", 95: "xz", 96: "jpeg", 97: "wavpack",
               98: "ppmd", 99: "aes-encrypted"}
UTC_EXTRAS = (0x5455, 0x000A)


@dataclass(frozen=True)
class Known:
    """What the archive's directory says of one member."""

    name: str
    compressed_size: int | None
    compression: str | None
    mtime: datetime | None
    time_kind: TimeKind | None
    encrypted: bool


@dataclass
class Metadata:
    """The directory of one archive, looked up by position (and name as a check)."""

    entries: list[Known] = field(default_factory=list)
    encrypted: bool = False

    def lookup(self, index: int, name: str) -> Known | None:
        if index < len(self.entries) and self.entries[index].name == name:
            return self.entries[index]
        return next((k for k in self.entries if k.name == name), None)


def _extra_ids(extra: bytes) -> set[int]:
    """Header ids of a zip extra field (a list of id, length, data records)."""
    ids, pos = set(), 0
    while pos + 4 <= len(extra):
        header_id, length = struct.unpack_from("<HH", extra, pos)
        ids.add(header_id)
        pos += 4 + length
    return ids


def zip_metadata(path: Path) -> Metadata:
    """The central directory of a zip; empty when :mod:`zipfile` cannot read it."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return Metadata()
    entries = []
    for info in infos:
        utc = bool(_extra_ids(info.extra) & set(UTC_EXTRAS))
        try:
            local = None if utc else datetime(*info.date_time)
        except ValueError:
            local = None
        entries.append(Known(
            name=info.filename, compressed_size=info.compress_size,
            compression=ZIP_METHODS.get(info.compress_type, f"method {info.compress_type}"),
            mtime=local, time_kind="utc" if utc else ("local" if local else None),
            encrypted=bool(info.flag_bits & 0x1)))
    return Metadata(entries, encrypted=any(e.encrypted for e in entries))


def rar_metadata(path: Path) -> Metadata:
    """The file headers of a RAR 4 or 5 archive (headers only; no tool is run)."""
    import rarfile

    try:
        archive = rarfile.RarFile(str(path))
        infos = archive.infolist()
    except (rarfile.Error, OSError, ValueError):
        return Metadata(encrypted=_header_encrypted(path))
    entries = []
    for info in infos:
        mtime = info.mtime
        if isinstance(mtime, datetime) and mtime.tzinfo is not None:
            when, kind = mtime.astimezone(UTC), "utc"
        else:
            try:
                when, kind = datetime(*info.date_time), "local"
            except (TypeError, ValueError):
                when, kind = None, None
        method = info.compress_type
        entries.append(Known(
            name=info.filename.rstrip("/"), compressed_size=info.compress_size,
            compression="stored" if method in (0, 0x30) else f"rar method {method % 0x30}",
            mtime=when, time_kind=kind,  # type: ignore[arg-type]
            encrypted=bool(info.needs_password())))
    return Metadata(entries, encrypted=any(e.encrypted for e in entries))


def _header_encrypted(path: Path) -> bool:
    import rarfile

    try:
        return bool(rarfile.RarFile(str(path)).needs_password())
    except (rarfile.Error, OSError, ValueError):
        return False
