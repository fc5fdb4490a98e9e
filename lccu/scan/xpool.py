"""YARA-X scans in separate processes, so an image scan uses every core.

YARA-X's Python binding holds the GIL while it scans, so threads cannot run two YARA-X
scans at once (libyara releases it; its files keep scanning in threads). Each
:class:`ScannerProcess` is ``python -m lccu.scan.xworker`` with the rule set loaded once.
The segments live in the pool's shared memory files (``memfd``, :class:`SegmentBuffer`, one
per image-scan thread), which every child maps at start: the parent reads a segment straight
into a free buffer and cuts the file to the segment's length, a child scans that file in
place (YARA-X maps it; its Python ``scan`` takes ``bytes`` only, which would be a copy)
while the parent scans the same bytes with libyara. The buffers are not tied to a child, so
the libyara scan of one segment never waits for the YARA-X scan of another (a child that is
still starting, or busy with the previous segment): the two engines overlap. A buffer is
refilled only after both engines are done with it. Answers are JSON hit records.

A child that dies (a crash on hostile data, the OOM killer) costs its segment only: the
segment becomes a ``scan_error`` problem and the next segment starts a new child. A child
that does not answer within its timeout plus a grace period is killed the same way.
Memory: one segment per buffer (shared by the parent and the children), plus each child's
rules.

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


class SegmentBuffer:
    """One segment's shared memory: a ``memfd`` the parent maps read-write and every child
    of the pool maps read-only; ``index`` names it in a scan request."""

    def __init__(self, index: int, size: int) -> None:
        self.index, self.size = index, max(size, 1)
        self.fd = os.memfd_create("lccu-yara-segment", os.MFD_CLOEXEC)
        os.ftruncate(self.fd, self.size)
        self.memory = mmap.mmap(self.fd, self.size)

    def prepare(self) -> None:
        """Give the file its full size again (before it is refilled)."""
        os.ftruncate(self.fd, self.size)

    def cut(self, length: int) -> None:
        """Cut the file to the segment's length: a child scans the whole file."""
        os.ftruncate(self.fd, length)

    def close(self) -> None:
        self.memory.close()
        os.close(self.fd)


class ScannerProcess:
    """One child scanner; it maps every buffer of its pool."""

    def __init__(self, blob: bytes, buffers: list[SegmentBuffer]) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        fds = [b.fd for b in buffers]
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lccu.scan.xworker", str(to_child_r), str(from_child_w),
                 ",".join(f"{b.index}:{b.fd}" for b in buffers)],
                stdin=subprocess.DEVNULL, pass_fds=(to_child_r, from_child_w, *fds))
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

    def scan(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Scan the first ``request["length"]`` bytes of buffer ``request["buffer"]`` (already
        cut to that length, unchanged until this returns); the answer has ``error`` set
        when the scan failed."""
        try:
            self.requests.send_bytes(json.dumps(request).encode())
        except OSError as exc:
            self.kill()
            raise EngineError("the YARA-X scanner process is gone") from exc
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
        """End the child (it exits when its request pipe closes)."""
        self.requests.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.answers.close()


class ScannerPool:
    """``children`` scanner processes (default ``count``), each started on first use, and
    ``count`` segment buffers of ``size`` bytes (one per image-scan thread). A dead child is
    replaced when it is next needed; a retired pool ends each child and frees each buffer as
    it comes back."""

    def __init__(self, blob: bytes, count: int, size: int, children: int | None = None) -> None:
        self._blob, self._size = blob, size
        self._free: queue.Queue[ScannerProcess | None] = queue.Queue()
        self._all: list[ScannerProcess] = []
        self._lock = threading.Lock()
        self._retired = False
        self.places = max(1, count if children is None else children)
        for _ in range(self.places):
            self._free.put(None)  # a place for a child, started when first taken
        # made now (memory is taken only when filled): every child maps all of them
        self._made = max(1, count)
        self._buffers = [SegmentBuffer(i, size) for i in range(self._made)]
        self._idle: queue.Queue[SegmentBuffer | None] = queue.Queue()
        for buf in self._buffers:
            self._idle.put(buf)

    @contextmanager
    def buffer(self) -> Iterator[SegmentBuffer]:
        """A segment buffer at its full size, exclusively (until both engines are done)."""
        buf = self._idle.get()
        if buf is None:  # a retired pool: a buffer for this segment (its child is new too)
            with self._lock:
                buf = SegmentBuffer(self._made, self._size)
                self._made += 1
                self._buffers.append(buf)
        try:
            buf.prepare()
            yield buf
        finally:
            if self._retired:
                self._free_buffer(buf)
                self._idle.put(None)
            else:
                self._idle.put(buf)

    def _free_buffer(self, buf: SegmentBuffer) -> None:
        with self._lock:
            if buf in self._buffers:
                self._buffers.remove(buf)
        buf.close()

    @contextmanager
    def child(self) -> Iterator[ScannerProcess]:
        """A live child for one segment, exclusively."""
        proc = self._free.get()
        try:
            if proc is None or not proc.alive:
                if proc is not None:
                    self._drop(proc)
                proc = None
                with self._lock:
                    buffers = list(self._buffers)
                proc = ScannerProcess(self._blob, buffers)
                with self._lock:
                    self._all.append(proc)
        except BaseException:
            self._free.put(proc)
            raise
        try:
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
        """Retire the pool: idle children end and idle buffers are freed now, busy ones when
        their segment is done."""
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
        spare: list[SegmentBuffer | None] = []
        while True:
            try:
                spare.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for buf in spare:
            if buf is not None:
                self._free_buffer(buf)
            self._idle.put(None)


_pools: dict[tuple[str, int, int, int], ScannerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(blob: bytes, count: int, size: int, children: int | None = None) -> ScannerPool:
    """This process's pool for these serialized rules: ``count`` segment buffers of ``size``
    bytes and ``children`` scanner processes (default ``count``), kept for later scans; any
    other pool is retired."""
    key = (hashlib.sha256(blob).hexdigest(), count, size, children or count)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            for old in _pools.values():
                old.close()
            _pools.clear()
            pool = _pools[key] = ScannerPool(blob, count, size, children)
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
