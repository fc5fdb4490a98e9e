"""One contract suite for every evidence store (local directory and SeaweedFS S3)."""

from __future__ import annotations

import hashlib
import io
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lccu.errors import (
    AlreadyExists,
    DeclaredHashMismatch,
    InvalidInput,
    NotFound,
    StorageError,
)
from lccu.storage import EvidenceStore, StoredEvidence
from lccu.storage.pipe import BytePipe

MIB = 1024 * 1024


def pseudo_random(size: int, seed: int) -> bytes:
    """Deterministic test bytes (seeded), generated independently of lccu."""
    return random.Random(seed).randbytes(size)


class FailingStream(io.RawIOBase):
    """A source that breaks after ``fail_after`` bytes, like a pulled USB cable."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        self._data, self._fail_after, self._pos = data, fail_after, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._pos >= self._fail_after:
            raise OSError("simulated read error from the acquisition device")
        chunk = self._data[self._pos : min(self._fail_after, self._pos + len(buffer))]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def _hashlib(data: bytes) -> tuple[str, str, str]:
    return (
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


def test_round_trip_hashes_match_hashlib(store: EvidenceStore, store_kind: str) -> None:
    """A multi-part upload returns MD5/SHA-1/SHA-256 equal to hashlib's and reads back intact."""
    data = pseudo_random(37 * MIB + 12345, seed=1)  # > 2 S3 parts of 16 MiB
    seen: list[int] = []
    record = store.put_evidence("case-1/item-1.raw", io.BytesIO(data), size=len(data),
                                progress=seen.append)  # fmt: skip
    assert (record.digests.md5, record.digests.sha1, record.digests.sha256) == _hashlib(data)
    assert record.size == record.digests.size == len(data) == sum(seen)
    assert record.stored_at.tzinfo is not None
    with store.open_evidence(record) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == hashlib.sha256(data).hexdigest()
    if store_kind == "s3":
        assert record.version_id and record.uri.startswith("s3://")
        assert record.lock_mode == "GOVERNANCE"
        assert record.retain_until is not None and record.retain_until > datetime.now(UTC)
    else:
        path = Path(record.uri.removeprefix("file://"))
        assert path.stat().st_mode & 0o777 == 0o444


def test_ranged_reads_match_source(store: EvidenceStore) -> None:
    """Seeded random seeks and reads, many across cache-block boundaries, equal the source."""
    data = pseudo_random(19 * MIB + 777, seed=2)
    record = store.put_evidence("ranged.bin", io.BytesIO(data))
    rng = random.Random(3)
    with store.open_evidence(record) as stream:
        block = stream.block_size
        offsets = [rng.randrange(len(data)) for _ in range(40)]
        offsets += [k * block - rng.randrange(1, 4096) for k in range(1, len(data) // block + 1)]
        offsets += [len(data) - 10]
        for offset in offsets:
            length = rng.choice([1, 511, 4096, block, block + 3, 2 * block + 1])
            stream.seek(offset)
            assert stream.read(length) == data[offset : offset + length], offset
        assert stream.seek(0, os.SEEK_END) == len(data)
        assert stream.read(10) == b""


@pytest.mark.slow
def test_large_object_streams_with_matching_hashes(store: EvidenceStore) -> None:
    """A 384 MiB item (24 S3 parts) streams in from a generator and back out with hashes
    equal to hashlib's; the bench scripts move larger images."""
    block, count = 4 * MIB, 96

    def blocks() -> list[bytes] | object:
        for index in range(count):
            yield random.Random(index).randbytes(block)

    class Generated(io.RawIOBase):
        def __init__(self) -> None:
            self._blocks, self._rest = iter(blocks()), b""  # type: ignore[call-overload]

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            if not self._rest:
                self._rest = next(self._blocks, b"")
            size = min(len(buffer), len(self._rest))
            buffer[:size] = self._rest[:size]
            self._rest = self._rest[size:]
            return size

    expected = hashlib.sha256()
    md5 = hashlib.md5()
    for chunk in blocks():  # type: ignore[attr-defined]
        expected.update(chunk)
        md5.update(chunk)
    record = store.put_evidence("big/large.raw", io.BufferedReader(Generated(), 8 * MIB))
    assert record.size == block * count
    assert (record.digests.sha256, record.digests.md5) == (expected.hexdigest(), md5.hexdigest())
    readback = hashlib.sha256()
    with store.open_evidence(record) as stream:
        while chunk := stream.read(8 * MIB):
            readback.update(chunk)
    assert readback.hexdigest() == expected.hexdigest()


def test_existing_evidence_is_never_overwritten(store: EvidenceStore) -> None:
    """A second put to the same key is refused and the first item's bytes are unchanged."""
    first = pseudo_random(1000, seed=4)
    record = store.put_evidence("dup.raw", io.BytesIO(first))
    with pytest.raises(AlreadyExists):
        store.put_evidence("dup.raw", io.BytesIO(b"replacement"))
    with store.open_evidence("dup.raw") as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == record.digests.sha256


@pytest.mark.parametrize("fail_after", [1000, 20 * MIB + 5])
def test_interrupted_upload_leaves_nothing(store: EvidenceStore, fail_after: int) -> None:
    """A source failing mid-stream (single part or multipart) leaves no evidence object."""
    data = pseudo_random(fail_after + MIB, seed=5)
    with pytest.raises(OSError, match="simulated"):
        store.put_evidence("broken.raw", io.BufferedReader(FailingStream(data, fail_after)))
    assert not store.exists("broken.raw")
    with pytest.raises(NotFound):
        store.open_evidence("broken.raw")
    # the key stays free: a retry of the intake can succeed
    assert store.put_evidence("broken.raw", io.BytesIO(b"retry")).size == 5


def test_declared_size_mismatch_stores_nothing(store: EvidenceStore) -> None:
    """A source shorter or longer than the declared size is refused and nothing is stored."""
    with pytest.raises(InvalidInput, match="declared size"):
        store.put_evidence("short.raw", io.BytesIO(b"x" * 100), size=101)
    with pytest.raises(InvalidInput, match="declared size"):
        store.put_evidence("long.raw", io.BytesIO(b"x" * 100), size=99)
    assert not store.exists("short.raw")
    assert not store.exists("long.raw")


def _versions(store: EvidenceStore, key: str) -> list[object]:
    """Every stored version of ``key`` (S3 lists locked versions too; local has files)."""
    client = getattr(store, "client", None)
    if client is not None:
        bucket = getattr(store, "bucket")  # noqa: B009
        return [o for o in client.list_objects(bucket, prefix=key, include_version=True)
                if o.object_name == key]
    root = Path(getattr(store, "root"))  # noqa: B009
    return [p for p in root.rglob("*") if p.is_file() and key.split("/")[-1] in p.name]


@pytest.mark.parametrize("size", [1000, 20 * MIB + 7])
def test_declared_hash_mismatch_stores_nothing(store: EvidenceStore, size: int) -> None:
    """Expected digests that differ abort the store before it commits (single part and
    multipart): no object, no version, no partial file; the same key then takes the bytes
    with the right expectation."""
    data = pseudo_random(size, seed=11)
    md5, sha1, sha256 = _hashlib(data)
    with pytest.raises(DeclaredHashMismatch) as caught:
        store.put_evidence("declared.raw", io.BytesIO(data), size=size,
                           expected={"md5": md5, "sha256": "0" * 64})
    assert caught.value.mismatched == ["sha256"]
    assert caught.value.observed["sha256"] == sha256
    assert not store.exists("declared.raw")
    assert _versions(store, "declared.raw") == []
    record = store.put_evidence("declared.raw", io.BytesIO(data), size=size,
                                expected={"md5": md5, "sha1": sha1, "sha256": sha256})
    assert record.digests.hashes() == {"md5": md5, "sha1": sha1, "sha256": sha256}


def test_pipe_fed_from_another_thread_stores_exact_bytes(store: EvidenceStore) -> None:
    """Chunks pushed through a small BytePipe by another thread (the web upload path) end
    up stored byte for byte, hashed as hashlib hashes them."""
    import threading

    data = pseudo_random(40 * MIB + 123, seed=12)
    pipe = BytePipe(len(data), capacity=3 * MIB)

    def feed() -> None:
        for start in range(0, len(data), 2 * MIB + 1):
            pipe.write(data[start : start + 2 * MIB + 1])
        pipe.close()

    feeder = threading.Thread(target=feed)
    feeder.start()
    record = store.put_evidence("piped.raw", pipe, size=len(data))  # type: ignore[arg-type]
    feeder.join()
    assert (record.digests.md5, record.digests.sha1, record.digests.sha256) == _hashlib(data)
    with store.open_evidence(record) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == record.digests.sha256


def test_delete_evidence_is_always_refused(store: EvidenceStore) -> None:
    """lccu never deletes evidence: delete_evidence raises and the bytes stay readable."""
    record = store.put_evidence("keep.raw", io.BytesIO(b"keep me"))
    with pytest.raises(StorageError, match="never deletes evidence"):
        store.delete_evidence(record)
    with store.open_evidence(record) as stream:
        assert stream.read() == b"keep me"


def test_legal_hold_set_and_read(store: EvidenceStore) -> None:
    """Legal hold given at intake or set later reads back, and can be lifted."""
    held = store.put_evidence("held.raw", io.BytesIO(b"a"), legal_hold=True)
    free = store.put_evidence("free.raw", io.BytesIO(b"b"))
    assert store.legal_hold(held) is True
    assert store.legal_hold(free) is False
    store.set_legal_hold(free, True)
    assert store.stat(free).legal_hold is True
    store.set_legal_hold(held, False)
    assert store.legal_hold(held) is False


def test_derived_data_is_replaceable_and_apart(store: EvidenceStore) -> None:
    """Derived files can be replaced by lccu and never collide with evidence keys."""
    store.put_evidence("item.raw", io.BytesIO(b"evidence"))
    store.put_derived("item.raw", io.BytesIO(b"first report"))
    uri = store.put_derived("item.raw", io.BytesIO(b"second report"))
    assert "derived/" in uri
    with store.open_derived("item.raw") as stream:
        assert stream.read() == b"second report"
    with store.open_evidence("item.raw") as stream:
        assert stream.read() == b"evidence"
    with pytest.raises(InvalidInput):
        store.put_evidence("derived/item.raw", io.BytesIO(b"x"))


@pytest.mark.parametrize("key", ["", "/abs.raw", "../up.raw", "a//b", "a/./b", "a\\b", "x\x00y",
                                 ".lccu-holds/x"])  # fmt: skip
def test_bad_keys_are_refused(store: EvidenceStore, key: str) -> None:
    """Empty, absolute, traversing or reserved keys are InvalidInput, before any byte moves."""
    with pytest.raises(InvalidInput):
        store.put_evidence(key, io.BytesIO(b"x"))


def test_missing_evidence_is_not_found(store: EvidenceStore) -> None:
    """Opening or stating a key that was never stored raises NotFound."""
    with pytest.raises(NotFound):
        store.open_evidence("nope.raw")
    with pytest.raises(NotFound):
        store.stat("nope.raw")


def test_record_reopens_pinned_bytes(store: EvidenceStore) -> None:
    """A StoredEvidence record reopens the item with the size recorded at intake."""
    record = store.put_evidence("pinned.raw", io.BytesIO(b"0123456789"))
    assert isinstance(record, StoredEvidence)
    info = store.stat(record)
    assert info.size == 10 and info.key == "pinned.raw"
    with store.open_evidence(record) as stream:
        stream.seek(-4, os.SEEK_END)
        assert stream.read() == b"6789"


@pytest.mark.parametrize("size", [1000, 20 * MIB + 7])
def test_staging_marks_the_digests_of_the_first_bytes(store: EvidenceStore, size: int) -> None:
    """``stage_evidence(mark_at=N)`` gives, from its one pass, hashlib's digests of the first
    N bytes (a fixed VHD's disk before its footer) besides the whole file's; the mark may
    fall inside a read block (N = size - 512) or at its very end (N = size)."""
    data = pseudo_random(size, 33)
    for mark in (size - 512, size):
        staged = store.stage_evidence(f"cases/c/marked-{mark}.vhd", io.BytesIO(data), size=size,
                                      mark_at=mark)
        try:
            assert staged.marked is not None
            assert (staged.marked.size, staged.marked.md5, staged.marked.sha1,
                    staged.marked.sha256) == (mark, *_hashlib(data[:mark]))
            assert (staged.digests.md5, staged.digests.sha1, staged.digests.sha256) == (
                _hashlib(data))
        finally:
            staged.abort()
    plain = store.stage_evidence("cases/c/plain.raw", io.BytesIO(data), size=size)
    assert plain.marked is None
    plain.abort()
