"""7z: metadata from ``py7zr`` (header only), data from libarchive; encrypted 7z (which
libarchive cannot decrypt) is read with ``py7zr`` and the case passwords.

py7zr pushes each member's bytes into a writer object; a thread runs it and hands the
chunks over through a short queue, so the engine still pulls one member at a time and
memory stays bounded by the queue.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC
from pathlib import Path
from typing import Any

from lccu.archive.readers.base import Opened, Pump, ReadFailed, Write
from lccu.archive.readers.metadata import Known, Metadata
from lccu.archive.records import Entry

QUEUE_DEPTH = 8
_DONE = object()


class _Stop(Exception):
    """Raised inside py7zr's writer when the engine stopped reading (a limit, an error)."""


def _method(archive: Any) -> str | None:
    try:
        return ", ".join(archive.archiveinfo().method_names) or None
    except Exception:  # archiveinfo is informative only
        return None


def _open(path: Path, password: str | None) -> Any:
    import py7zr

    return py7zr.SevenZipFile(str(path), mode="r", password=password)


def sevenzip_metadata(path: Path, password: str | None = None) -> tuple[Metadata, bool]:
    """(member list from the 7z header, whether the header itself is encrypted)."""
    import py7zr

    try:
        with _open(path, password) as archive:
            method = _method(archive)
            needs = bool(archive.needs_password())
            infos = archive.list()
    except py7zr.PasswordRequired:
        return Metadata(encrypted=True), True
    except Exception:  # a damaged header: libarchive will say what it can
        return Metadata(), False
    entries = [Known(name=i.filename, compressed_size=i.compressed, compression=method,
                     mtime=i.creationtime.astimezone(UTC) if i.creationtime else None,
                     time_kind="utc" if i.creationtime else None, encrypted=needs)
               for i in infos]
    return Metadata(entries, encrypted=needs), False


def _works(path: Path, password: str) -> bool:
    """Whether ``password`` decrypts the archive: the header opens and the first folder's
    first member decompresses with the right CRC."""
    import py7zr
    from py7zr.io import HashIOFactory

    try:
        with _open(path, password) as archive:
            files = [i.filename for i in archive.list() if not i.is_directory]
            if files:
                archive.extract(targets=[files[0]], factory=HashIOFactory())
        return True
    except (py7zr.PasswordRequired, py7zr.exceptions.ArchiveError, OSError, ValueError,
            EOFError, KeyError, LookupError):
        return False
    except Exception:  # wrong keys make the decompressors fail in many ways
        return False


def find_password(path: Path, passwords: Sequence[str]) -> str | None:
    return next((p for p in passwords if _works(path, p)), None)


class _Feed:
    """py7zr's writer factory: every call becomes a queue event for the engine."""

    def __init__(self, events: queue.Queue[Any], stop: threading.Event) -> None:
        self.events, self.stop = events, stop

    def create(self, filename: str) -> Any:
        from py7zr.io import Py7zIO

        feed = self

        class _Writer(Py7zIO):
            def __init__(self) -> None:
                self.written = 0
                feed._put(("start", filename))

            def write(self, s: bytes | bytearray) -> int:
                feed._put(("data", bytes(s)))
                self.written += len(s)
                return len(s)

            def read(self, size: int | None = None) -> bytes:
                return b""

            def seek(self, offset: int, whence: int = 0) -> int:
                return 0

            def flush(self) -> None:
                return None

            def size(self) -> int:
                return self.written

            def close(self) -> None:
                feed._put(("end", filename))

        return _Writer()

    def _put(self, event: Any) -> None:
        while True:
            if self.stop.is_set():
                raise _Stop()
            try:
                self.events.put(event, timeout=0.5)
                return
            except queue.Full:
                continue


@contextmanager
def open_encrypted_7z(path: Path, password: str, metadata: Metadata) -> Iterator[Opened]:
    """Read an encrypted 7z with the password that opened it (see :func:`find_password`)."""
    events: queue.Queue[Any] = queue.Queue(QUEUE_DEPTH)
    stop = threading.Event()
    feed = _Feed(events, stop)

    def run() -> None:
        try:
            with _open(path, password) as archive:
                archive.extractall(factory=feed)
            events.put(_DONE)
        except _Stop:
            return
        except Exception as exc:  # handed to the engine as a read failure
            while not stop.is_set():
                try:
                    events.put(exc, timeout=0.5)
                    return
                except queue.Full:
                    continue

    opened = Opened(format="7z", members=iter(()), encrypted=True, password_used=True)
    known = {k.name: k for k in metadata.entries}

    def members() -> Iterator[tuple[Entry, Pump | None]]:
        while True:
            event = events.get()
            if event is _DONE:
                return
            if isinstance(event, Exception):
                raise ReadFailed(f"py7zr: {event}", fatal=True) from event
            kind, name = event
            if kind != "start":
                continue
            info = known.get(name)
            entry = Entry(name=name, size=None, encrypted=True,
                          compressed_size=info.compressed_size if info else None,
                          compression=info.compression if info else None,
                          mtime=info.mtime if info else None,
                          time_kind=info.time_kind if info else None)
            yield entry, _pump_until_end()

    def _pump_until_end() -> Pump:
        def pump(write: Write) -> None:
            while True:
                event = events.get()
                if isinstance(event, Exception):
                    raise ReadFailed(f"py7zr: {event}", fatal=True) from event
                if event is _DONE:
                    return
                if event[0] == "data":
                    write(event[1])
                elif event[0] == "end":
                    return

        return pump

    thread = threading.Thread(target=run, name="py7zr-reader", daemon=True)
    thread.start()
    opened.members = members()
    try:
        yield opened
    finally:
        stop.set()
        while thread.is_alive():
            with suppress(queue.Empty):
                events.get(timeout=0.1)
        thread.join()


__all__ = ["find_password", "open_encrypted_7z", "sevenzip_metadata"]
