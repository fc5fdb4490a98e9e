"""The one-pass hasher the stores use: equal to hashlib for every size and buffer kind."""

from __future__ import annotations

import hashlib
import io
import random

import pytest

from lccu.hashing import MultiHasher, hash_stream


@pytest.mark.parametrize("size", [0, 1, 4095, 3 * 65536 + 5])
def test_hash_stream_equals_hashlib(size: int) -> None:
    """hash_stream gives hashlib's MD5, SHA-1, SHA-256 and the byte count, across block edges."""
    data = random.Random(size).randbytes(size)
    seen: list[int] = []
    digests = hash_stream(io.BytesIO(data), block_size=65536, progress=seen.append)
    assert digests.size == len(data) == sum(seen)
    assert digests.md5 == hashlib.md5(data).hexdigest()
    assert digests.sha1 == hashlib.sha1(data).hexdigest()
    assert digests.sha256 == hashlib.sha256(data).hexdigest()


def test_reused_buffer_is_safe() -> None:
    """A caller refilling one bytearray between updates still gets the right digests."""
    data = random.Random(5).randbytes(40 * 4096)
    buffer = bytearray(4096)
    with MultiHasher() as hasher:
        for offset in range(0, len(data), 4096):
            buffer[:] = data[offset : offset + 4096]
            hasher.update(buffer)
        assert hasher.digests().sha256 == hashlib.sha256(data).hexdigest()


def test_stream_error_propagates() -> None:
    """A read error in the source surfaces to the caller rather than a partial digest."""

    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            raise OSError("simulated read error")

    with pytest.raises(OSError, match="simulated"):
        hash_stream(Broken())
