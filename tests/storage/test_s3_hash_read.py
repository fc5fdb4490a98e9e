"""Hashing a stored item from S3: ranged reads prefetched in parallel, memory bounded."""

from __future__ import annotations

import hashlib
import io
import random
import threading
import tracemalloc
from typing import Any

import pytest

from lccu.config import Settings
from lccu.hashing import hash_stream
from lccu.imaging.raw import S3ObjectSource
from lccu.storage.s3 import S3Store

pytestmark = pytest.mark.s3
MIB = 1024 * 1024


class _Concurrency:
    """Wraps a source's ``read_range`` to see how many ranged reads run at once (the reads
    still go to the real server)."""

    def __init__(self, read_range: Any) -> None:
        self._read_range, self._lock = read_range, threading.Lock()
        self.now = self.most = self.calls = 0

    def __call__(self, offset: int, length: int) -> bytes:
        with self._lock:
            self.now += 1
            self.calls += 1
            self.most = max(self.most, self.now)
        try:
            return bytes(self._read_range(offset, length))
        finally:
            with self._lock:
                self.now -= 1


def test_hash_of_64_mib_object_is_right_prefetched_and_bounded(s3_settings: Settings) -> None:
    """A 64 MiB (+ a ragged tail) evidence object hashed back from the store: the digests
    equal hashlib's over the bytes sent, more than one ranged GET runs at a time but never
    more than the source allows, and the traced peak memory stays far below the object's
    size (the old read path kept every block it read in a 128 MiB cache)."""
    size = 64 * MIB + 12_345
    data = random.Random(64).randbytes(size)
    want = (hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),
            hashlib.sha256(data).hexdigest())  # fmt: skip
    store = S3Store(s3_settings)
    record = store.put_evidence("big.raw", io.BytesIO(data), size=size)
    del data
    with store.open_evidence(record) as stream:
        seen = _Concurrency(stream.source.read_range)
        stream.source.read_range = seen  # type: ignore[method-assign]
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            digests = hash_stream(stream)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert stream.tell() == size
    assert (digests.size, digests.md5, digests.sha1, digests.sha256) == (size, *want)
    # a few ranges in flight plus the hasher's queue, not the object (64 MiB)
    assert peak < 48 * MIB, f"peak {peak / MIB:.1f} MiB"
    assert seen.calls == -(-size // S3ObjectSource.sequential_range)
    assert 2 <= seen.most <= S3ObjectSource.parallel_ranges


def test_read_error_mid_object_is_raised_not_hashed(s3_settings: Settings) -> None:
    """A ranged GET that fails part-way through the pass fails the hash with the store's
    error; no digest of partial content comes back."""
    store = S3Store(s3_settings)
    size = 9 * MIB
    record = store.put_evidence("short.raw", io.BytesIO(bytes(size)), size=size)
    with store.open_evidence(record) as stream:
        real = stream.source.read_range

        def failing(offset: int, length: int) -> bytes:
            if offset >= 4 * MIB:
                return real(offset, length)[:-1]  # a short answer: the object changed
            return real(offset, length)

        stream.source.read_range = failing  # type: ignore[method-assign]
        from lccu.errors import ImageFormatError

        with pytest.raises(ImageFormatError, match="expected"):
            hash_stream(stream)
