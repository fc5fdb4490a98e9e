"""A front-to-back pass over an E01's media (intake, ``lccu hash``) takes libewf's decoded
ranges as they come, straight to the hasher: right digests, bounded memory, faults kept.

The E01 is made here with ``ewfacquire`` from seeded bytes; hashlib over the same bytes is
the answer key.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from lccu.hashing import hash_stream
from lccu.imaging import open_image

MIB = 1024 * 1024
pytestmark = pytest.mark.skipif(shutil.which("ewfacquire") is None,
                                reason="ewfacquire (ewf-tools) builds the image")  # fmt: skip


def _e01(tmp_path: Path, size: int) -> tuple[Path, bytes]:
    data = random.Random(7).randbytes(size)
    raw = tmp_path / "disk.raw"
    raw.write_bytes(data)
    target = tmp_path / "e01" / "disk"
    target.parent.mkdir()
    command = ["ewfacquire", "-u", "-q", "-c", "none", "-S", str(16 * MIB), "-t", str(target)]
    subprocess.run([*command, str(raw)], check=True, capture_output=True, timeout=120)
    raw.unlink()
    return target.with_suffix(".E01"), data


def test_e01_media_hashed_from_decoded_ranges_in_bounded_memory(tmp_path: Path) -> None:
    """Hashing a 48 MiB E01 (3 segments) gives hashlib's digests of the disk, and the
    traced peak memory stays below what a copy of every range into a ring of hash
    buffers beside a block cache took (88 MiB measured): only the ranges in flight and
    those the hasher holds."""
    first, data = _e01(tmp_path, 48 * MIB + 4096)
    want = (len(data), hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),
            hashlib.sha256(data).hexdigest())  # fmt: skip
    del data
    with open_image(first) as image:
        assert image.size == want[0]
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            digests = hash_stream(image)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert image.tell() == want[0]
    assert (digests.size, digests.md5, digests.sha1, digests.sha256) == want
    assert peak < 40 * MIB, f"peak {peak / MIB:.1f} MiB"
