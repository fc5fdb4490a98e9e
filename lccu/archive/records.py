"""Typed records the expansion engine hands out: one per member, one per container.

Times are kept as the archive stored them. ``time_kind`` says how to read ``mtime``:
``utc`` (tar, 7z, ISO 9660, zip entries with an extended-timestamp or NTFS field, RAR 5)
or ``local`` (MS-DOS date and time in zip, RAR 4 and CAB: the wall clock of the machine
that made the archive, in a time zone the archive does not record). A local time is written
without an offset (``2019-03-05T10:00:00``) so nobody mistakes it for UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

TimeKind = Literal["utc", "local"]
MemberKind = Literal["file", "directory", "symlink", "hardlink", "other"]

#: what a member record can say about itself; each is explained in docs/report-schema.md
FINDINGS = (
    "path-traversal",  # a name with a ``..`` component
    "absolute-path",  # a name starting with ``/``, ``\\`` or a drive letter
    "symlink",  # a symbolic link member (``link_target`` names its target)
    "hardlink",  # a hard link to another member
    "encrypted",  # the member's data is encrypted
    "password-used",  # a password from the case list opened it (never which one)
    "not-decrypted",  # encrypted and no password from the case list opened it
    "not-expanded-depth",  # a container at the depth limit: listed, not opened
    "not-expanded-quine",  # the same bytes as an enclosing container: not opened again
    "stopped-total-bytes",  # the byte budget ran out while this member was written
    "stopped-ratio",  # the member expanded beyond the compression-ratio limit
    "too-large-in-memory",  # a whole-member library (PDF) would have held it in memory
    "unreadable",  # the data could not be read (damaged archive); see the error
)


@dataclass(frozen=True)
class Entry:
    """What a format reader knows of a member before its data is read."""

    name: str
    kind: MemberKind = "file"
    size: int | None = None
    compressed_size: int | None = None
    compression: str | None = None
    mtime: datetime | None = None
    time_kind: TimeKind | None = None
    encrypted: bool = False
    link_target: str | None = None


@dataclass
class Member:
    """One member found inside a container (which may itself be a member)."""

    id: int
    parent: int | None  # the enclosing member's id; None when the container is the root
    depth: int  # 1 for a member of the root container
    provenance: str  # ``vol 2 / inode 39 /archive/file8.zip -> file8.jpg``
    entry: Entry
    size: int | None = None  # bytes actually read (None when the data was not read)
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    mime: str | None = None
    description: str | None = None
    stored: Path | None = None  # the member's bytes under the output folder, if written
    findings: list[str] = field(default_factory=list)


@dataclass
class Container:
    """One archive or document that was opened: its format and how expansion ended."""

    provenance: str
    member: int | None  # the member id when the container is itself a member
    depth: int  # 0 for the root
    format: str
    filters: list[str] = field(default_factory=list)
    members: int = 0
    encrypted: bool = False
    password_used: bool = False
    complete: bool = True
    stopped: str | None = None  # the limit that stopped it (``max_total_bytes`` ...)
    problems: list[str] = field(default_factory=list)


@dataclass
class Expansion:
    """Everything found under one top-level container, in depth-first order."""

    containers: list[Container] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    written: int = 0  # bytes written for all members together
