"""What every format reader offers the engine: entries, each with a way to pump its data.

A reader yields ``(Entry, pump)`` pairs in archive order; ``pump(write)`` feeds the
member's bytes, chunk by chunk, to ``write`` and must be called before the next pair is
taken (streaming formats cannot go back). ``pump`` is None for members without data
(directories, links). Readers raise :class:`NotDecrypted` for an encrypted member no case
password opened, and :class:`ReadFailed` for damaged data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lccu.archive.records import Entry
from lccu.errors import LccuError

Write = Callable[[bytes], None]
Pump = Callable[[Write], None]


class NotDecrypted(LccuError):
    """The member is encrypted and no password from the case list opened it."""


class ReadFailed(LccuError):
    """The archive is damaged here; ``fatal`` when no later member can be read either."""

    def __init__(self, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass
class Opened:
    """An open container: its members and what was learnt while reading them."""

    format: str
    members: Iterator[tuple[Entry, Pump | None]]
    filters: list[str] = field(default_factory=list)
    #: source bytes the library has consumed so far (for members of unknown packed size)
    consumed: Callable[[], int] | None = None
    encrypted: bool = False
    password_used: bool = False


class Reader(Protocol):
    """Open ``path`` (a file lccu wrote) as ``fmt``; passwords are the case list."""

    def __call__(self, path: Path, fmt: str, passwords: Sequence[str],
                 name_hint: str) -> Iterator[Opened]: ...
