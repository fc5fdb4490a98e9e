"""S3-only behaviour: the server's object lock, start-up checks, unreachable servers."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import socket
import time

import pytest
from minio.error import S3Error

from lccu.config import Settings
from lccu.errors import AlreadyExists, StorageError, StoreUnavailable
from lccu.storage import open_store
from lccu.storage.s3 import S3Store, make_client

pytestmark = pytest.mark.s3


def test_server_refuses_deleting_a_locked_version(s3_settings: Settings) -> None:
    """Removing an evidence version with the SDK directly is refused by the server's lock."""
    store = S3Store(s3_settings)
    data = b"locked evidence bytes" * 1000
    record = store.put_evidence("locked.raw", io.BytesIO(data))
    with pytest.raises(S3Error) as refused:
        store.client.remove_object(store.bucket, "locked.raw", version_id=record.version_id)
    assert refused.value.code == "AccessDenied"
    with store.open_evidence(record) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == hashlib.sha256(data).hexdigest()


def test_legal_hold_is_the_servers(s3_settings: Settings) -> None:
    """A legal hold set through the store is what the server reports through the SDK."""
    store = S3Store(s3_settings)
    record = store.put_evidence("hold.raw", io.BytesIO(b"x"), legal_hold=True)
    assert store.client.is_object_legal_hold_enabled(
        store.bucket, "hold.raw", version_id=record.version_id
    )
    assert record.legal_hold is True


def test_derived_objects_are_not_locked(s3_settings: Settings) -> None:
    """lccu can remove or replace its own derived outputs; no retention is put on them."""
    store = S3Store(s3_settings)
    uri = store.put_derived("reports/r.html", io.BytesIO(b"<html>"))
    version = uri.split("versionId=")[1]
    store.client.remove_object(store.bucket, "derived/reports/r.html", version_id=version)


def test_separate_derived_bucket(s3_settings: Settings) -> None:
    """With LCCU_S3_DERIVED_BUCKET set, derived files go to that bucket, created without lock."""
    settings = dataclasses.replace(s3_settings, s3_derived_bucket=s3_settings.s3_bucket + "-d")
    store = S3Store(settings)
    uri = store.put_derived("a.txt", io.BytesIO(b"derived"))
    assert uri.startswith(f"s3://{settings.s3_derived_bucket}/derived/a.txt")
    with store.open_derived("a.txt") as stream:
        assert stream.read() == b"derived"


def test_bucket_without_object_lock_is_refused(s3_settings: Settings) -> None:
    """An existing bucket made without object lock is refused at start-up, saying why."""
    client = make_client(s3_settings)
    client.make_bucket(s3_settings.s3_bucket)
    with pytest.raises(StorageError, match="no object lock"):
        open_store(s3_settings)


def test_wrong_secret_is_a_clear_error(s3_settings: Settings) -> None:
    """A wrong secret key is refused by the server and reported as a credentials problem."""
    bad = dataclasses.replace(s3_settings, s3_secret_key="not-the-secret")
    with pytest.raises(StorageError, match="credentials"):
        open_store(bad)


def test_unreachable_server_fails_in_bounded_time(s3_settings: Settings) -> None:
    """A closed port gives StoreUnavailable after bounded retries, within a few seconds."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = dataclasses.replace(s3_settings, s3_endpoint=f"127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="unreachable"):
        open_store(settings)
    assert time.monotonic() - started < 10


def test_concurrent_intake_of_one_key_is_detected(s3_settings: Settings) -> None:
    """If another writer stores the same key during our upload, put_evidence refuses loudly."""
    store = S3Store(s3_settings)

    class RacingSource(io.RawIOBase):
        """Before giving its bytes, lets a second intake write the same key through the SDK."""

        def __init__(self) -> None:
            self._done = False

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            if self._done:
                return 0
            store.client.put_object(store.bucket, "race.raw", io.BytesIO(b"other"), 5)
            self._done = True
            buffer[:4] = b"ours"
            return 4

    with pytest.raises(AlreadyExists, match="at the same time"):
        store.put_evidence("race.raw", RacingSource())


def test_compliance_mode_is_applied(s3_settings: Settings) -> None:
    """With LCCU_S3_RETENTION_MODE=COMPLIANCE the server reports COMPLIANCE retention."""
    store = S3Store(dataclasses.replace(s3_settings, s3_retention_mode="COMPLIANCE"))
    record = store.put_evidence("compliance.raw", io.BytesIO(b"c"))
    retention = store.client.get_object_retention(store.bucket, "compliance.raw",
                                                  version_id=record.version_id)  # fmt: skip
    assert record.lock_mode == retention.mode == "COMPLIANCE"


def test_unversioned_delete_does_not_lose_pinned_evidence(s3_settings: Settings) -> None:
    """A plain DELETE only adds a delete marker: the recorded version still reads intact."""
    store = S3Store(s3_settings)
    record = store.put_evidence("marker.raw", io.BytesIO(b"still here"))
    store.client.remove_object(store.bucket, "marker.raw")
    with store.open_evidence(record) as stream:
        assert stream.read() == b"still here"
    with pytest.raises(AlreadyExists):
        store.put_evidence("marker.raw", io.BytesIO(b"new"))


def test_part_size_keeps_within_ten_thousand_parts() -> None:
    """A 2 TB image must fit S3's 10,000-part limit: parts grow beyond 16 MiB as needed."""
    from lccu.storage.s3 import MAX_PARTS, PART_SIZE, part_size_for

    for size in (1, PART_SIZE * MAX_PARTS, PART_SIZE * MAX_PARTS + 1, 2 * 10**12, 5 * 2**40):
        part = part_size_for(size)
        assert part >= PART_SIZE and part % (1024 * 1024) == 0
        assert -(-size // part) <= MAX_PARTS
    assert part_size_for(PART_SIZE * MAX_PARTS) == PART_SIZE
    assert part_size_for(None) * MAX_PARTS >= 600 * 2**30
