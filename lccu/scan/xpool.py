"""YARA-X scans in separate processes, so an image scan uses every core.

YARA-X's Python binding holds the GIL while it scans, so threads cannot run two YARA-X
scans at once (libyara releases it; its files keep scanning in threads). Each
:class:`ScannerProcess` is ``python -m lccu.scan.xworker`` with the rule set loaded once and a
shared memory file (``memfd``) of one segment's size: the parent reads the segment straight
into that memory, the child copies it (YARA-X takes ``bytes`` only) and says so, then scans
while the parent is free to scan the same bytes with libyara. Answers are JSON hit records.

A child that dies (a crash on hostile data, the OOM killer) costs its segment only: the
segment becomes a ``scan_error`` problem and the next segment starts a new child. A child
that does not answer within its timeout plus a grace period is killed the same way.
Memory: one segment of shared memory and one private copy per child, plus its rules.
"""

from __future__ import annotations

import json
import mmap
import os
import queue
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from lccu.scan.engines import EngineError, ScanTimeout

#: Seconds a child may take beyond the scan timeout before it is killed.
GRACE = 60
START_TIMEOUT = 120


class ScannerProcess:
    """One child scanner with its shared segment memory."""

    def __init__(self, blob: bytes, size: int) -> None:
        self.size = size
        self._fd = os.memfd_create("lccu-yara-segment", os.MFD_CLOEXEC)
        os.ftruncate(self._fd, max(size, 1))
        self.memory = mmap.mmap(self._fd, max(size, 1))
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lccu.scan.xworker", str(to_child_r), str(from_child_w),
                 str(self._fd), str(max(size, 1))],
                stdin=subprocess.DEVNULL, pass_fds=(to_child_r, from_child_w, self._fd))
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.requests = Connection(to_child_w, readable=False)
        self.answers = Connection(from_child_r, writable=False)
        self.requests.send_bytes(blob)
        self._expect(b"ready", START_TIMEOUT)

    def _expect(self, word: bytes, timeout: float) -> None:
        if self._receive(timeout) != word:
            raise EngineError(f"the YARA-X scanner process sent an unexpected answer, not {word!r}")

    def _receive(self, timeout: float) -> bytes:
        try:
            if not self.answers.poll(timeout):
                self.kill()
                raise ScanTimeout(f"the YARA-X scanner process did not answer in {timeout:.0f} s")
            return self.answers.recv_bytes()
        except (EOFError, OSError) as exc:
            code = self.proc.poll()
            self.kill()
            how = f"ended with status {code}" if code is not None else "stopped answering"
            raise EngineError(f"the YARA-X scanner process {how}") from exc

    def send(self, request: dict[str, Any]) -> None:
        """Ask for a scan of the first ``request["length"]`` bytes of the shared memory;
        returns once the child has its own copy (the memory may be refilled)."""
        try:
            self.requests.send_bytes(json.dumps(request).encode())
        except OSError as exc:
            self.kill()
            raise EngineError("the YARA-X scanner process is gone") from exc
        self._expect(b"copied", GRACE)

    def result(self, timeout: float) -> dict[str, Any]:
        """The answer to the last request (``error`` set when the scan failed)."""
        answer: dict[str, Any] = json.loads(self._receive(timeout + GRACE))
        return answer

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        """End the child (it exits when its request pipe closes) and free the memory."""
        self.requests.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.answers.close()
        self.memory.close()
        os.close(self._fd)


class ScannerPool:
    """``count`` scanner processes for one image scan; started on first use, ended by
    :meth:`close`. A dead child is replaced when it is next needed."""

    def __init__(self, blob: bytes, count: int, size: int) -> None:
        self._blob, self._size = blob, size
        self._free: queue.Queue[ScannerProcess | None] = queue.Queue()
        self._all: list[ScannerProcess] = []
        for _ in range(count):
            self._free.put(None)  # a place for a child, started when first taken

    @contextmanager
    def child(self) -> Iterator[ScannerProcess]:
        """A live child for one segment, exclusively."""
        proc = self._free.get()
        try:
            if proc is None or not proc.alive:
                if proc is not None:
                    proc.close()
                    self._all.remove(proc)
                proc = None
                proc = ScannerProcess(self._blob, self._size)
                self._all.append(proc)
        except BaseException:
            self._free.put(proc)
            raise
        try:
            yield proc
        finally:
            self._free.put(proc)

    def close(self) -> None:
        for proc in self._all:
            proc.close()
        self._all.clear()
