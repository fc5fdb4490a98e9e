"""What every hash set parser yields, and the byte meter behind the import's progress bar."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lccu.errors import InvalidInput

HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of a hash set: the hashes it gives (raw bytes) and its category, if any."""

    md5: bytes | None = None
    sha1: bytes | None = None
    sha256: bytes | None = None
    category: str | None = None

    def digests(self) -> Iterator[tuple[str, bytes]]:
        for name in ("md5", "sha1", "sha256"):
            value = getattr(self, name)
            if value is not None:
                yield name, value


@dataclass(frozen=True, slots=True)
class Malformed:
    """A row that could not be read: where (line or row number) and why."""

    where: str
    why: str


class BadHash(ValueError):
    """A hash field that is not hexadecimal of the algorithm's length."""


def digest(algorithm: str, text: str | None) -> bytes | None:
    """Raw bytes of a hex digest (any case, surrounding blanks ignored); None for an empty
    field; :class:`BadHash` for anything else. (On the import's hot path: one
    ``bytes.fromhex`` per hash, which refuses non-hex; the length check catches inner
    blanks, which it skips.)"""
    if not text:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) * 2 != HEX_LENGTHS[algorithm] or len(text.strip()) != HEX_LENGTHS[algorithm]:
        if not text.strip():
            return None
        raise BadHash(
            f"{algorithm.upper()} {text.strip()[:80]!r} is not {HEX_LENGTHS[algorithm]} hex digits"
        )
    return raw


class Meter(io.RawIOBase):
    """A read-only binary file that counts the bytes read and hashes them (SHA-256 of the
    imported file, for the record) as it goes."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        try:
            self._fh = path.open("rb")
        except OSError as exc:
            raise InvalidInput(f"cannot read hash set file {path}: {exc.strerror or exc}") from exc
        self.count = 0
        self._sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._fh.readinto(buffer) or 0
        if n:
            self._sha256.update(memoryview(buffer)[:n])
            self.count += n
        return n

    def drain(self) -> None:
        """Read what the parser left (a trailer; the whole file for an SQLite set, which
        the parser reads through SQLite) so that the SHA-256 covers the file, and count
        the bytes up to its end (not twice)."""
        while block := self._fh.read(1 << 20):
            self._sha256.update(block)
        self.count = self._fh.tell()

    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def close(self) -> None:
        self._fh.close()
        super().close()


@contextmanager
def text_lines(meter: Meter) -> Iterator[io.TextIOWrapper]:
    """The metered file as text: UTF-8 (a BOM skipped), undecodable bytes replaced (file
    names in hash sets come from every code page; only the hashes matter here)."""
    buffered = io.BufferedReader(meter, 1 << 20)
    text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="replace", newline="")
    try:
        yield text
    finally:  # hand the meter back open (the importer reads the rest and closes it)
        text.detach()
        buffered.detach()  # bytes it read ahead are counted and hashed already


def entry(hashes: dict[str, bytes | None], category: str | None = None) -> Entry:
    """An :class:`Entry` from ``{algorithm: digest}``."""
    return Entry(hashes.get("md5"), hashes.get("sha1"), hashes.get("sha256"), category)
