"""zip, tar (plain or compressed), gzip/bzip2/xz/zstd streams, RAR 4/5, CAB and ISO 9660
through the system libarchive (``libarchive-c``).

Only the detected format is enabled: with every format on, libarchive bids on whatever
signature it meets first (a zip stored inside a RAR opens as the zip). Several case
passwords are handed over at once; libarchive tries each on an encrypted member.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from ctypes import c_int, create_string_buffer
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import libarchive.ffi as ffi
from libarchive.entry import ArchiveEntry
from libarchive.exception import ArchiveError

from lccu.archive.detect import COMPRESSORS
from lccu.archive.readers.base import NotDecrypted, Opened, Pump, ReadFailed, Write
from lccu.archive.readers.metadata import Metadata, rar_metadata, zip_metadata
from lccu.archive.readers.single import open_single_stream
from lccu.archive.records import Entry, MemberKind, TimeKind

BLOCK = 64 * 1024
ARCHIVE_OK, ARCHIVE_EOF, ARCHIVE_WARN, ARCHIVE_FAILED = 0, 1, -20, -25

ffi.ffi("entry_is_encrypted", [ffi.c_archive_entry_p], c_int)
_read_data = ffi.read_data

#: detected format -> (libarchive formats, libarchive filters, how its times are stored)
PLANS: dict[str, tuple[list[str], list[str], TimeKind | None]] = {
    "zip": (["zip_seekable"], [], None),  # per entry, from the zip metadata
    "ooxml": (["zip_seekable"], [], None),
    "odf": (["zip_seekable"], [], None),
    "tar": (["tar"], [], "utc"),
    "rar": (["rar", "rar5"], [], None),  # per entry, from the RAR headers
    "7z": (["7zip"], [], "utc"),
    "cab": (["cab"], [], "local"),
    "iso9660": (["iso9660"], [], "utc"),
    "gzip": (["tar"], ["gzip"], "utc"),
    "bzip2": (["tar"], ["bzip2"], "utc"),
    "xz": (["tar"], ["xz"], "utc"),
    "zstd": (["tar"], ["zstd"], "utc"),
}
#: bare streams decompressed by Python, one layer (lccu.archive.readers.single)
SINGLE_LAYER = ("gzip", "bzip2", "xz")
SUFFIXES = {"gzip": (".tgz", ".gz"), "bzip2": (".tbz2", ".tbz", ".bz2"),
            "xz": (".txz", ".xz"), "zstd": (".tzst", ".zst")}


def _kind(entry: ArchiveEntry) -> MemberKind:
    if entry.isdir:
        return "directory"
    if entry.issym:
        return "symlink"
    if entry.islnk:
        return "hardlink"
    return "file" if entry.isreg else "other"


def _time(seconds: float | None, kind: TimeKind | None) -> datetime | None:
    """libarchive turns MS-DOS local times into POSIX seconds with this machine's zone;
    turning them back with the same zone gives the wall clock the archive stored."""
    if seconds is None or kind is None:
        return None
    try:
        if kind == "local":
            return datetime.fromtimestamp(seconds)
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


@contextmanager
def _archive(path: Path, formats: list[str], filters: list[str],
             passwords: Sequence[str]) -> Iterator[Any]:
    archive_p = ffi.read_new()
    try:
        for password in passwords:
            ffi.read_add_passphrase(archive_p, password.encode("utf-8"))
        for name in filters:
            ffi.get_read_filter_function(name)(archive_p)
        for name in formats:
            ffi.get_read_format_function(name)(archive_p)
        ffi.read_open_filename_w(archive_p, str(path), BLOCK)
        yield archive_p
    finally:
        ffi.read_free(archive_p)


def _next(archive_p: Any, entry: ArchiveEntry) -> bool:
    try:
        return bool(ffi.read_next_header2(archive_p, entry._entry_p) != ARCHIVE_EOF)
    except ArchiveError as exc:
        raise ReadFailed(f"cannot read the next member: {exc.msg}", fatal=True) from exc


def _pump(archive_p: Any, opened: Opened, encrypted: bool) -> Pump:
    def pump(write: Write) -> None:
        buf = create_string_buffer(BLOCK)
        while True:
            try:
                n = _read_data(archive_p, buf, BLOCK)
            except ArchiveError as exc:
                message = str(exc.msg)
                if encrypted or "passphrase" in message.lower():
                    raise NotDecrypted(message) from exc
                raise ReadFailed(message, fatal=exc.retcode != ARCHIVE_FAILED) from exc
            if n == 0:
                break
            write(buf.raw[:n])
        if encrypted:
            opened.password_used = True

    return pump


def _raw_name(name_hint: str, fmt: str) -> str:
    """The one member of a bare compressed stream: the container's name less its suffix."""
    lowered = name_hint.lower()
    for suffix in SUFFIXES.get(fmt, ()):
        if lowered.endswith(suffix):
            stem = name_hint[: -len(suffix)]
            return stem + ".tar" if suffix.startswith(".t") and len(suffix) > 3 else stem
    return f"{name_hint or 'stream'} (decompressed)"


def _entries(archive_p: Any, opened: Opened, fmt: str, time_kind: TimeKind | None,
             metadata: Metadata, name_hint: str, raw: bool) -> Iterator[tuple[Entry, Pump | None]]:
    index = 0
    while True:
        entry = ArchiveEntry(archive_p, "utf-8")
        if not _next(archive_p, entry):
            return
        encrypted = bool(ffi.entry_is_encrypted(entry._entry_p))
        opened.encrypted |= encrypted
        name = _raw_name(name_hint, fmt) if raw else _decode(entry)
        known = metadata.lookup(index, name)
        index += 1
        kind = _kind(entry)
        size = entry.size if entry.size is not None and not raw else None
        record = Entry(
            name=name, kind=kind, size=size,
            compressed_size=known.compressed_size if known else None,
            compression=(known.compression if known else None) or _method(fmt, opened),
            mtime=(known.mtime if known and known.time_kind else
                   _time(entry.mtime, time_kind if not raw else None)),
            time_kind=(known.time_kind if known and known.time_kind else
                       (time_kind if entry.mtime is not None and not raw else None)),
            encrypted=encrypted or bool(known and known.encrypted),
            link_target=entry.linkpath if kind in ("symlink", "hardlink") else None,
        )
        if known and known.time_kind == "utc" and record.mtime is None:
            record = Entry(**{**record.__dict__, "mtime": _time(entry.mtime, "utc")})
        yield record, (_pump(archive_p, opened, record.encrypted) if kind == "file" else None)


def _decode(entry: ArchiveEntry) -> str:
    try:
        return str(entry.pathname)
    except UnicodeDecodeError:
        raw = ffi.entry_pathname(entry._entry_p)
        return raw.decode("utf-8", "surrogateescape") if raw else ""


def _method(fmt: str, opened: Opened) -> str | None:
    if opened.filters:
        return "+".join(opened.filters)
    if fmt in COMPRESSORS:
        return fmt
    return {"tar": "stored", "iso9660": "stored"}.get(fmt)


def _first_header_ok(path: Path, formats: list[str], filters: list[str]) -> bool:
    try:
        with _archive(path, formats, filters, ()) as archive_p:
            entry = ArchiveEntry(archive_p, "utf-8")
            return bool(ffi.read_next_header2(archive_p, entry._entry_p) != ARCHIVE_EOF)
    except ArchiveError:
        return False


def _metadata(path: Path, fmt: str, formats: list[str]) -> Metadata:
    if fmt in ("zip", "ooxml", "odf") and formats == ["zip_seekable"]:
        return zip_metadata(path)
    if fmt == "rar":
        return rar_metadata(path)
    if fmt == "7z":
        from lccu.archive.readers.sevenzip import sevenzip_metadata

        return sevenzip_metadata(path)[0]
    return Metadata()


@contextmanager
def open_libarchive(path: Path, fmt: str, passwords: Sequence[str],
                    name_hint: str) -> Iterator[Opened]:
    """Open ``path`` as ``fmt`` (a key of :data:`PLANS`)."""
    formats, filters, time_kind = PLANS[fmt]
    raw = False
    if filters and not _first_header_ok(path, formats, filters):
        if fmt in SINGLE_LAYER:  # one layer at a time (a gzip quine, a .gz.gz)
            with open_single_stream(path, fmt, _raw_name(name_hint, fmt)) as opened:
                yield opened
            return
        formats, raw = ["raw"], True  # a compressed stream that is not a tar
    elif fmt in ("zip", "ooxml", "odf") and not _first_header_ok(path, formats, filters):
        formats = ["zip_streamable"]  # no central directory (a carved or cut zip)
    metadata = _metadata(path, fmt, formats)
    try:
        with _archive(path, formats, filters, passwords) as archive_p:
            # a compressed tar is a tar read through a filter; a bare stream is the filter
            opened = Opened(format="tar" if filters and not raw else fmt, members=iter(()),
                            filters=[] if raw else list(filters),
                            consumed=lambda: int(ffi.filter_bytes(archive_p, -1)))
            opened.members = _entries(archive_p, opened, fmt, time_kind, metadata, name_hint,
                                      raw)
            opened.encrypted = metadata.encrypted
            yield opened
    except ArchiveError as exc:
        raise ReadFailed(f"libarchive cannot open it as {fmt}: {exc.msg}", fatal=True) from exc
