"""Where derived files go: a directory whose layout no name from the evidence can escape.

Paths inside the sink are built by lccu from numbers (volume, inode, offset) and a
sanitised extension only; the evidence's own file names never become path components, so
``../`` or absurd names in a hostile file system cannot collide or write outside the root.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from lccu.errors import InvalidInput, StorageError


class DirectorySink:
    """Derived files under one output directory (the embedded ``lccu scan --out DIR``)."""

    def __init__(self, root: Path) -> None:
        if root.exists() and not root.is_dir():
            raise InvalidInput(f"--out {root} exists and is not a directory")
        try:
            root.mkdir(parents=True, exist_ok=True)
            # /proc, a read-only mount...: fail now, not after hours of hashing
            fd, probe = tempfile.mkstemp(prefix=".lccu-probe-", dir=root)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise InvalidInput(
                f"--out {root} cannot be created or written: "
                f"{exc.strerror or exc}; choose another folder"
            ) from exc
        self.root = root.resolve()

    def _target(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if self.root not in target.parents:
            raise InvalidInput(f"refusing to write {relative!r} outside {self.root}")
        return target

    @contextmanager
    def create(self, relative: str) -> Iterator[BinaryIO]:
        """Write ``relative`` atomically: the name appears only once it is complete."""
        target = self._target(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def path(self, relative: str) -> Path:
        return self._target(relative)

    def exists(self, relative: str) -> bool:
        return self._target(relative).is_file()


def copy_stream(source: BinaryIO, target: BinaryIO, chunk: int = 4 * 1024 * 1024) -> int:
    total = 0
    while True:
        block = source.read(chunk)
        if not block:
            return total
        try:
            target.write(block)
        except OSError as exc:
            raise StorageError(
                f"cannot write a derived file: {exc}", key="derived_write_failed"
            ) from exc
        total += len(block)
