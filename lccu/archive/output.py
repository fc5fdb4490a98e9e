"""Write one member to the output folder while hashing it, under the expansion limits.

Chunks go straight to a file (never the whole member in memory) and to MD5, SHA-1 and
SHA-256 in the same pass; the first 64 KiB are kept for libmagic. The byte budget is shared
by every member under one top-level container, so nesting cannot multiply it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from lccu.archive.limits import ExpansionLimits
from lccu.errors import LccuError
from lccu.hashing import content_hasher

HEAD_BYTES = 64 * 1024


class LimitReached(LccuError):
    """An expansion limit stopped a member; ``limit`` names the setting."""

    def __init__(self, limit: str, finding: str, message: str) -> None:
        super().__init__(message)
        self.limit, self.finding = limit, finding


class Budget:
    """The bytes still allowed under one top-level container."""

    def __init__(self, limits: ExpansionLimits) -> None:
        self.limits = limits
        self.written = 0

    def take(self, n: int) -> None:
        if self.written + n > self.limits.max_total_bytes:
            raise LimitReached(
                "max_total_bytes", "stopped-total-bytes",
                f"expansion stopped: more than {self.limits.max_total_bytes} bytes would be "
                "written for this file's members (limit LCCU_ARCHIVE_MAX_TOTAL_BYTES)")
        self.written += n


class MemberWriter:
    """A sink for one member's bytes: file under the output folder, hashes, head, checks.

    ``compressed`` returns the member's compressed size so far (known from the archive, or
    the source bytes the library consumed); the ratio is checked against it.
    """

    def __init__(self, path: Path, budget: Budget, compressed: int | None = None,
                 consumed: Callable[[], int] | None = None,
                 expected_size: int | None = None) -> None:
        self.path = path
        self.budget = budget
        self.size = 0
        self.head = bytearray()
        self._compressed = compressed
        self._consumed = consumed
        self._start = self._consumed() if self._consumed else 0
        self._hashes = content_hasher(expected_size)
        # the engine made the folder; "x": never overwrite, names are numbers lccu chose
        self._file = path.open("xb")

    def __enter__(self) -> MemberWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._file.close()
        self._hashes.close()
        if kind is not None:
            self.discard()

    def discard(self) -> None:
        """Remove what was written (a stopped or unreadable member leaves no partial file)."""
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _ratio_check(self) -> None:
        limits = self.budget.limits
        if self.size < limits.ratio_floor:
            return
        packed = self._compressed
        if packed is None and self._consumed is not None:
            packed = max(0, self._consumed() - self._start)
        if packed is None:
            return
        if self.size > limits.max_ratio * max(packed, 1):
            raise LimitReached(
                "max_ratio", "stopped-ratio",
                f"member stopped: {self.size} bytes expanded from at most {max(packed, 1)} "
                f"compressed bytes exceeds the ratio limit {limits.max_ratio}:1 "
                "(LCCU_ARCHIVE_MAX_RATIO)")

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.budget.take(len(chunk))
        self.size += len(chunk)
        self._ratio_check()
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self._hashes.update(chunk)
        self._file.write(chunk)

    def close(self) -> None:
        self._file.close()

    def digests(self) -> tuple[str, str, str]:
        found = self._hashes.digests()
        return found.md5, found.sha1, found.sha256
