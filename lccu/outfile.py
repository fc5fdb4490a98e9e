"""Files a user names (``-o FILE``), written whole or not at all, without harming devices.

A regular file (or a new name) is written to a temporary file beside it, flushed to disk
and renamed into place, so a failed run leaves no half-written file and the old one stays.
A name that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO, a
terminal) is written in place: renaming over it would replace the device node itself with
a regular file, and run as root over ``/dev/null`` that breaks the whole machine.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from lccu.errors import StorageError


def is_special(path: Path) -> bool:
    """Whether ``path`` exists (symlinks followed) as something other than a regular file
    or a directory: a device, FIFO or socket, which must be written in place."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


@contextmanager
def output_file(path: Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it appears only once complete (see the module).
    A folder that cannot be written is a :class:`StorageError` naming ``path``."""
    if is_special(path):
        with open(path, mode, **open_args) as fh:
            yield fh
        return
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, mode, **open_args) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
