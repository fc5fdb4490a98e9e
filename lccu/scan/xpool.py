"""YARA-X scans in separate processes, so an image scan uses every core.

YARA-X's Python binding holds the GIL while it scans, so threads cannot run two YARA-X
scans at once (libyara releases it; its files keep scanning in threads). Each
:class:`ScannerProcess` is ``python -m lccu.scan.xworker`` with the rule set loaded once and a
shared memory file (``memfd``) of one segment's size: the parent reads the segment straight
into that memory and cuts the file to the segment's length, the child scans the file in
place (YARA-X maps it; its Python ``scan`` takes ``bytes`` only, which would be a copy)
while the parent scans the same bytes with libyara. The memory is refilled only after the
child answered. Answers are JSON hit records.

A child that dies (a crash on hostile data, the OOM killer) costs its segment only: the
segment becomes a ``scan_error`` problem and the next segment starts a new child. A child
that does not answer within its timeout plus a grace period is killed the same way.
Memory: one segment of shared memory per child, plus its rules.

The children outlive one scan: :func:`shared_pool` keeps the pool of the last rule set (by
the SHA-256 of its serialized rules) and segment size, so the next scan in this process (a
worker's next task) finds them with the rules loaded; deserializing signature-base's YARA-X
rules costs about a second of CPU per child. Another rule set retires the old pool (its
children end once their current segment is done).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import mmap
import os
import queue
import subprocess
import sys
import threading
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

    def prepare(self) -> None:
        """Give the shared memory its full size again (before it is refilled)."""
        os.ftruncate(self._fd, max(self.size, 1))

    def send(self, request: dict[str, Any]) -> None:
        """Ask for a scan of the first ``request["length"]`` bytes of the shared memory (the
        file is cut to that length); the memory must not change until :meth:`result`."""
        os.ftruncate(self._fd, request["length"])
        try:
            self.requests.send_bytes(json.dumps(request).encode())
        except OSError as exc:
            self.kill()
            raise EngineError("the YARA-X scanner process is gone") from exc

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
    """Up to ``count`` scanner processes for image scans, ``start`` of them allowed at first
    (:meth:`grow` allows one more); each started on first use. A dead child is replaced when
    it is next needed; a retired pool ends each child as it comes back."""

    def __init__(self, blob: bytes, count: int, size: int, start: int | None = None) -> None:
        self._blob, self._size, self._count = blob, size, count
        self._free: queue.Queue[ScannerProcess | None] = queue.Queue()
        self._all: list[ScannerProcess] = []
        self._lock = threading.Lock()
        self._retired = False
        self.places = max(1, min(count, count if start is None else start))
        for _ in range(self.places):
            self._free.put(None)  # a place for a child, started when first taken

    def grow(self) -> bool:
        """Allow one more child (up to ``count``); True if allowed."""
        with self._lock:
            if self._retired or self.places >= self._count:
                return False
            self.places += 1
        self._free.put(None)
        return True

    @contextmanager
    def child(self) -> Iterator[ScannerProcess]:
        """A live child for one segment, exclusively."""
        proc = self._free.get()
        try:
            if proc is None or not proc.alive:
                if proc is not None:
                    self._drop(proc)
                proc = None
                proc = ScannerProcess(self._blob, self._size)
                with self._lock:
                    self._all.append(proc)
        except BaseException:
            self._free.put(proc)
            raise
        try:
            proc.prepare()
            yield proc
        finally:
            if self._retired:
                self._drop(proc)
                proc = None
            self._free.put(proc)

    def pids(self) -> list[int]:
        """Process ids of the live children (for tests and diagnostics)."""
        with self._lock:
            return [p.proc.pid for p in self._all if p.alive]

    def _drop(self, proc: ScannerProcess) -> None:
        with self._lock:
            if proc in self._all:
                self._all.remove(proc)
        proc.close()

    def close(self) -> None:
        """Retire the pool: idle children end now, busy ones when their segment is done."""
        self._retired = True
        idle: list[ScannerProcess | None] = []
        while True:
            try:
                idle.append(self._free.get_nowait())
            except queue.Empty:
                break
        for proc in idle:
            if proc is not None:
                self._drop(proc)
            self._free.put(None)


_pools: dict[tuple[str, int, int], ScannerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(blob: bytes, count: int, size: int, start: int | None = None) -> ScannerPool:
    """This process's pool for these serialized rules, up to ``count`` children (``start`` at
    first) and segment buffer ``size``, kept for later scans; any other pool is retired."""
    key = (hashlib.sha256(blob).hexdigest(), count, size)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            for old in _pools.values():
                old.close()
            _pools.clear()
            pool = _pools[key] = ScannerPool(blob, count, size, start)
        return pool


def close_pools() -> None:
    """End every kept scanner process (at exit; children also end when this process does,
    as their request pipe closes)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def _forget_after_fork() -> None:
    # a forked child must not share its parent's scanner processes or their pipes
    _pools.clear()


atexit.register(close_pools)
os.register_at_fork(after_in_child=_forget_after_fork)
