"""Evidence in S3 with object lock, through the minio SDK only.

Production runs MinIO; the tests run SeaweedFS; Ceph RGW and AWS S3 speak the same API.
The evidence bucket is created with object lock (which turns versioning on); each evidence
object is written once with a retention period (GOVERNANCE by default, COMPLIANCE if
configured) and optionally a legal hold, and its version id is kept so every later read is
pinned to exactly the bytes that were hashed at intake. Derived data goes under
``derived/`` (or its own bucket) without retention, so lccu can replace its own outputs.

A server without object lock is refused at start-up with :class:`StorageError`: an evidence
store that cannot refuse deletion must not pretend to be one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, TypeVar, cast

from lccu.config import Settings
from lccu.errors import (
    AlreadyExists,
    ConfigError,
    IntegrityError,
    InvalidInput,
    LccuError,
    NotFound,
    StorageError,
    StoreUnavailable,
)
from lccu.hashing import Digests, MultiHasher
from lccu.imaging.raw import S3ObjectSource
from lccu.imaging.stream import ImageStream
from lccu.storage.base import (
    DERIVED_PREFIX,
    EvidenceInfo,
    EvidenceRef,
    HashingReader,
    Progress,
    StoredEvidence,
    check_key,
    ref_key,
    refuse_delete,
)

MIB = 1024 * 1024
#: custody and audit heads, each an object under COMPLIANCE retention
ANCHOR_PREFIX = "anchors/"
PART_SIZE = 16 * MIB
UNKNOWN_SIZE_PART = 64 * MIB
MAX_PARTS = 10_000
PARALLEL_PARTS = 3  # parts on their way to S3 while the next one is read and hashed
IN_FLIGHT_BYTES = 64 * MIB  # ... but no more than this (big images have big parts)
READ_BLOCK = 8 * 1024 * 1024
READ_CACHE_BLOCKS = 16
READ_AHEAD = 3
CONNECT_TIMEOUT = 3.0  # at most; LCCU_S3_TIMEOUT if smaller
RETRIES = 2  # refused or reset connections and 5xx answers; a stalled server (a read
# timeout) is not retried: it would only multiply LCCU_S3_TIMEOUT

T = TypeVar("T")


def _retry_class() -> type[Any]:
    import urllib3
    from urllib3.exceptions import MaxRetryError, ReadTimeoutError

    class NoStallRetry(urllib3.Retry):  # type: ignore[misc]
        """Retries refused or reset connections and 5xx answers, but not a read timeout:
        a server that accepted the request and did not answer within LCCU_S3_TIMEOUT is
        stalled, and asking again would only multiply the wait."""

        def increment(self, method: Any = None, url: Any = None, response: Any = None,
                      error: Any = None, _pool: Any = None,
                      _stacktrace: Any = None) -> Any:  # fmt: skip
            if isinstance(error, ReadTimeoutError):
                raise MaxRetryError(_pool, url or "", error) from error
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return NoStallRetry


def make_client(settings: Settings) -> Any:
    """A minio client whose HTTP pool has timeouts and a small retry budget with backoff.

    Every request waits at most ``LCCU_S3_TIMEOUT`` seconds for the server to connect and
    at most that long for each read; a server that accepts the connection but answers
    nothing (hung, frozen, overloaded) is not retried, so a stalled store fails the call
    within about that time instead of hanging an intake or a stage."""
    import urllib3
    from minio import Minio

    _NoStallRetry = _retry_class()
    if not settings.s3_endpoint:
        raise ConfigError("LCCU_S3_ENDPOINT is not set; there is no S3 store to open")
    if not settings.s3_access_key or not settings.s3_secret_key:
        raise ConfigError("LCCU_S3_ACCESS_KEY and LCCU_S3_SECRET_KEY must both be set")
    retry = _NoStallRetry(
        total=RETRIES, connect=RETRIES, read=RETRIES, backoff_factor=0.25,
        status_forcelist=(500, 502, 503, 504), allowed_methods=None,
        raise_on_status=False,
    )  # fmt: skip
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=min(CONNECT_TIMEOUT, settings.s3_timeout),
                                read=settings.s3_timeout),
        retries=retry, maxsize=READ_AHEAD + 4, cert_reqs="CERT_REQUIRED",
    )  # fmt: skip
    endpoint = settings.s3_endpoint.removeprefix("https://").removeprefix("http://")
    return Minio(
        endpoint.rstrip("/"), access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key, secure=settings.s3_secure,
        region=settings.s3_region or "us-east-1", http_client=http,
    )  # fmt: skip


def stalled(exc: BaseException) -> bool:
    """Whether an urllib3 error is a timeout (the server accepted but did not answer in
    time), directly or as the reason of a ``MaxRetryError``."""
    from urllib3.exceptions import NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None or isinstance(seen, NewConnectionError | ConnectionRefusedError):
            return False  # refused: a timeout subclass in urllib3 2, but not a stall
        if isinstance(seen, Urllib3Timeout | TimeoutError):
            return True
        seen = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
    return False


def part_size_for(size: int | None) -> int:
    """16 MiB parts, larger when needed to stay within S3's 10,000 parts per object (a
    2 TB image gets 200 MiB parts); an unknown size gets 64 MiB (objects up to 640 GiB)."""
    if size is None:
        return UNKNOWN_SIZE_PART
    needed = -(-size // MAX_PARTS)
    return max(PART_SIZE, -(-needed // MIB) * MIB)


class S3Store:
    """Write-once evidence in an object-lock bucket; replaceable derived data beside it."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        from minio.error import S3Error
        from urllib3.exceptions import HTTPError

        self._s3_error, self._http_error = S3Error, HTTPError
        self.settings = settings
        self.endpoint = settings.s3_endpoint
        self.bucket = settings.s3_bucket
        self.derived_bucket = settings.s3_derived_bucket or settings.s3_bucket
        self.retention_mode = settings.s3_retention_mode
        self.retention_days = settings.s3_retention_days
        self.client = client if client is not None else make_client(settings)
        self._check_ready()

    # Error translation at the boundary -----------------------------------------------
    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except LccuError:
            raise
        except self._s3_error as exc:
            code = getattr(exc, "code", "")
            if code in ("NoSuchKey", "NoSuchVersion", "NoSuchBucket"):
                raise NotFound(f"{action}: {code} on {self.endpoint}") from exc
            if code in ("SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied"):
                raise StorageError(
                    f"{action}: the S3 server refused our credentials or their rights ({code});"
                    " check LCCU_S3_ACCESS_KEY, LCCU_S3_SECRET_KEY and the identity's policy",
                    key="store_refused",
                    params={"endpoint": self.endpoint, "code": code},
                ) from exc
            raise StorageError(
                f"{action}: the S3 server refused it: {code}: {exc}",
                key="store_refused",
                params={"endpoint": self.endpoint, "code": code},
            ) from exc
        except self._http_error as exc:
            if stalled(exc):
                raise StoreUnavailable(
                    f"{action}: S3 server {self.endpoint} did not answer within"
                    f" {self.settings.s3_timeout:g} s (LCCU_S3_TIMEOUT): it is stalled or"
                    " overloaded; nothing was recorded. Check the server, then try again",
                    key="store_stalled",
                    params={"endpoint": self.endpoint, "seconds": f"{self.settings.s3_timeout:g}"},
                ) from exc
            raise StoreUnavailable(
                f"{action}: S3 server {self.endpoint} unreachable after {RETRIES} retries with"
                f" backoff ({type(exc).__name__}); nothing was recorded. Check that it runs"
                " and LCCU_S3_ENDPOINT / LCCU_S3_SECURE are right",
                key="store_unreachable",
                params={"endpoint": self.endpoint, "retries": RETRIES},
            ) from exc

    def _call(self, action: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._errors(action):
            return func(*args, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    def _optional(
        self,
        action: str,
        absent: tuple[str, ...],
        func: Callable[..., T],
        *args: Any,
        **kwargs: Any,
    ) -> T | None:
        """``func(...)``, or None when the server answers that the setting is absent."""
        try:
            return func(*args, **kwargs)
        except self._s3_error as exc:
            if getattr(exc, "code", "") in absent:
                return None
            with self._errors(action):
                raise
        except self._http_error:
            with self._errors(action):
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_ready(self) -> None:
        """Create the buckets if needed; refuse a bucket or server without object lock."""
        action = f"opening evidence bucket {self.bucket!r} on {self.endpoint}"
        if not self._call(action, self.client.bucket_exists, self.bucket):
            self._call(action, self.client.make_bucket, self.bucket, object_lock=True)
        try:
            lock = self._call(action, self.client.get_object_lock_config, self.bucket)
        except StorageError as exc:
            if isinstance(exc, StoreUnavailable):
                raise
            raise StorageError(
                f"evidence bucket {self.bucket!r} on {self.endpoint} has no object lock"
                f" ({exc}); evidence must be stored write-once. Use a new bucket name"
                " (LCCU_S3_BUCKET) for lccu to create with object lock, or a server that"
                " supports it (MinIO)"
            ) from exc
        versioning = self._call(action, self.client.get_bucket_versioning, self.bucket)
        if getattr(versioning, "status", None) != "Enabled":
            raise StorageError(
                f"evidence bucket {self.bucket!r} has object lock but versioning is"
                f" {getattr(versioning, 'status', None)!r}; the server is misconfigured"
            )
        self.lock_config = lock
        if self.derived_bucket != self.bucket and not self._call(
            action, self.client.bucket_exists, self.derived_bucket
        ):
            self._call(action, self.client.make_bucket, self.derived_bucket)

    def _uri(self, bucket: str, key: str, version_id: str | None) -> str:
        return f"s3://{bucket}/{key}" + (f"?versionId={version_id}" if version_id else "")

    def _any_version(self, key: str) -> bool:
        objects = self.client.list_objects(
            self.bucket, prefix=key, include_version=True, recursive=True
        )
        return any(obj.object_name == key for obj in objects)

    # Evidence ----------------------------------------------------------------------------
    def put_evidence(
        self,
        key: str,
        stream: BinaryIO,
        *,
        size: int | None = None,
        progress: Progress | None = None,
        legal_hold: bool = False,
        expected: Mapping[str, str] | None = None,
    ) -> StoredEvidence:
        """Multipart-upload with retention, hashing in the same pass; refuses existing keys.

        Parts are uploaded one at a time (``num_parallel_uploads=1``): the SDK's parallel
        mode queues parts without bound, which would break the bounded-memory rule. If the
        source fails mid-way the SDK aborts the multipart upload, so no object appears.
        """
        check_key(key)
        action = f"storing evidence {key!r} in {self.bucket!r}"
        if self._call(action, self._any_version, key):
            raise AlreadyExists(
                f"evidence {key!r} already exists in bucket {self.bucket!r}; choose a new key",
                key="evidence_key_exists",
            )
        retention = self._retention()
        with MultiHasher() as hasher:
            reader = HashingReader(stream, hasher, key, size, progress, expected)
            version_id = self._call(action, self._write_parts, key, reader, retention, legal_hold)
            digests = hasher.digests()
        return self._committed(key, version_id, digests)

    def _committed(self, key: str, version_id: str | None, digests: Digests) -> StoredEvidence:
        """Check what the server holds after a commit: one version, the size sent, locked."""
        action = f"storing evidence {key!r} in {self.bucket!r}"
        versions = self._call(action, lambda: [
            obj.version_id
            for obj in self.client.list_objects(self.bucket, prefix=key, include_version=True)
            if obj.object_name == key
        ])  # fmt: skip
        if len(versions) > 1:
            raise AlreadyExists(
                f"evidence {key!r} was written by another intake at the same time; this upload"
                f" (version {version_id}) is locked but is not the evidence item: record the"
                " earlier version and tell the evidence officer",
                key="evidence_key_raced_locked",
                params={"version": str(version_id)},
            )
        info = self.stat(StoredEvidence(
            uri="", bucket=self.bucket, key=key, version_id=version_id, size=digests.size,
            digests=digests, lock_mode=None, retain_until=None, legal_hold=False,
            stored_at=datetime.now(UTC),
        ))  # fmt: skip
        if info.size != digests.size:
            raise IntegrityError(
                f"evidence {key!r}: the store holds {info.size} bytes but {digests.size} were"
                " sent; report this and re-acquire the upload",
                key="store_size_differs",
                params={"object": key, "held": info.size, "sent": digests.size},
            )
        if version_id is None or info.lock_mode is None:
            raise StorageError(
                f"evidence {key!r} was stored without a version id or retention; the server"
                " ignores object lock, so it is not a safe evidence store"
            )
        return StoredEvidence(
            uri=self._uri(self.bucket, key, version_id), bucket=self.bucket, key=key,
            version_id=version_id, size=digests.size, digests=digests,
            lock_mode=info.lock_mode, retain_until=info.retain_until,
            legal_hold=info.legal_hold, stored_at=datetime.now(UTC),
        )  # fmt: skip

    def stage_evidence(
        self,
        key: str,
        stream: BinaryIO,
        *,
        size: int | None = None,
        progress: Progress | None = None,
        legal_hold: bool = False,
        mark_at: int | None = None,
    ) -> S3Staged:
        """Send every part of a multipart upload (hashing in the same pass) but do not
        complete it: no object version exists until :meth:`S3Staged.commit`."""
        check_key(key)
        action = f"storing evidence {key!r} in {self.bucket!r}"
        if self._call(action, self._any_version, key):
            raise AlreadyExists(
                f"evidence {key!r} already exists in bucket {self.bucket!r}; choose a new key",
                key="evidence_key_exists",
            )
        retention = self._retention()
        with MultiHasher() as hasher:
            reader = HashingReader(stream, hasher, key, size, progress, mark_at=mark_at)
            data = reader.read(part_size_for(reader.size))
            upload_id, parts = self._call(
                action, self._send_parts, key, reader, retention, legal_hold, data
            )
            digests = hasher.digests()
            marked = hasher.marked()
        staged = S3Staged(self, key, upload_id, parts, digests)
        staged.marked = marked
        return staged

    def _retention(self) -> Any:
        from minio.retention import Retention

        retain_until = (datetime.now(UTC) + timedelta(days=self.retention_days)).replace(
            microsecond=0
        )
        return Retention(self.retention_mode, retain_until)

    def _send_parts(
        self, key: str, reader: HashingReader, retention: Any, legal_hold: bool, data: bytes
    ) -> tuple[str, list[Any]]:
        """A multipart upload of ``data`` and the rest of ``reader``, not completed; any
        failure aborts it. Parts go up ``PARALLEL_PARTS`` at a time (bounded bytes)."""
        from minio.datatypes import Part
        from minio.helpers import genheaders

        headers = genheaders(None, None, None, retention, legal_hold)
        headers["Content-Type"] = "application/octet-stream"
        part_size = part_size_for(reader.size)
        client = self.client
        parallel = max(1, min(PARALLEL_PARTS, IN_FLIGHT_BYTES // part_size))
        upload_id = client._create_multipart_upload(self.bucket, key, headers)
        try:
            with ThreadPoolExecutor(parallel, thread_name_prefix="s3-part") as pool:
                sent: list[Future[str]] = []
                pending: set[Future[str]] = set()
                while data:
                    sent.append(
                        pool.submit(
                            client._upload_part,
                            self.bucket,
                            key,
                            data,
                            None,
                            upload_id,
                            len(sent) + 1,
                        )
                    )
                    pending.add(sent[-1])
                    data = b""  # the pool holds the part now
                    if len(pending) >= parallel:
                        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for part in finished:
                            part.result()  # raises the first failure at once
                    data = reader.read(part_size)
                parts = [Part(number, f.result()) for number, f in enumerate(sent, 1)]
        except BaseException:
            with contextlib.suppress(Exception):
                client._abort_multipart_upload(self.bucket, key, upload_id)
            raise
        return upload_id, parts

    def _write_parts(
        self, key: str, reader: HashingReader, retention: Any, legal_hold: bool
    ) -> str | None:
        """Upload ``reader`` as one object; returns its version id.

        The object is a multipart upload (even of one part) whose parts
        are sent by up to ``PARALLEL_PARTS`` threads (at most ``IN_FLIGHT_BYTES`` of parts)
        while the next part is read and hashed. The upload is completed only after the source
        has ended without error (``HashingReader`` raises on a size or declared-hash
        mismatch at the end, and a streaming intake ends only on its go-ahead); any failure
        aborts it, so no object version ever appears. The SDK's own ``put_object`` can do
        parallel parts only with an unbounded queue, hence this loop over its multipart
        calls (minio 7.x, pinned below 8).
        """
        import io

        part_size = part_size_for(reader.size)
        data = reader.read(part_size)
        if not data:  # an empty source: nothing that could stall half-way
            result = self.client.put_object(
                self.bucket, key, io.BytesIO(data), 0, retention=retention, legal_hold=legal_hold
            )
            return result.version_id  # type: ignore[no-any-return]
        # Even one part goes through a multipart upload: a single PUT whose answer timed out
        # (a stalled server) may still be completed by the server afterwards, leaving a
        # locked version no item records; parts become an object only on the final call.
        upload_id, parts = self._send_parts(key, reader, retention, legal_hold, data)
        try:
            result = self.client._complete_multipart_upload(self.bucket, key, upload_id, parts)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client._abort_multipart_upload(self.bucket, key, upload_id)
            raise
        return result.version_id  # type: ignore[no-any-return]

    def _pinned(self, ref: EvidenceRef) -> tuple[str, str | None]:
        key, version_id = ref_key(ref)
        return key, version_id

    def open_evidence(self, ref: EvidenceRef) -> ImageStream:
        """A seekable stream of one pinned version, read with ranged GETs and read-ahead."""
        key, version_id = self._pinned(ref)
        size = ref.size if isinstance(ref, StoredEvidence) else None
        with self._errors(f"opening evidence {key!r}"):
            try:
                source = S3ObjectSource(
                    self.client, self.bucket, key, version_id=version_id, size=size
                )
            except LccuError as exc:
                if isinstance(exc, InvalidInput):
                    raise NotFound(f"evidence {key!r} is not in bucket {self.bucket!r}") from exc
                raise
        return ImageStream(source, block_size=READ_BLOCK, cache_blocks=READ_CACHE_BLOCKS,
                           read_ahead=READ_AHEAD)  # fmt: skip

    def delete_derived(self, key: str) -> None:
        name = DERIVED_PREFIX + check_key(key, derived=True)
        action = f"deleting derived file {key!r}"
        versions = self._call(
            action,
            lambda: [
                obj.version_id
                for obj in self.client.list_objects(
                    self.derived_bucket, prefix=name, include_version=True
                )
                if obj.object_name == name
            ],
        )
        for version in versions or [None]:
            self._call(
                action, self.client.remove_object, self.derived_bucket, name, version_id=version
            )

    def stat(self, ref: EvidenceRef) -> EvidenceInfo:
        key, version_id = self._pinned(ref)
        action = f"reading the state of evidence {key!r}"
        info = self._call(action, self.client.stat_object, self.bucket, key, version_id=version_id)
        version_id = info.version_id or version_id
        retention = self._optional(
            action, ("NoSuchObjectLockConfiguration",), self.client.get_object_retention,
            self.bucket, key, version_id=version_id,
        )  # fmt: skip
        hold = self._optional(
            action, ("NoSuchObjectLegalHold", "NoSuchObjectLockConfiguration"),
            self.client.is_object_legal_hold_enabled, self.bucket, key, version_id=version_id,
        )  # fmt: skip
        return EvidenceInfo(
            uri=self._uri(self.bucket, key, version_id), key=key, version_id=version_id,
            size=int(info.size or 0), lock_mode=getattr(retention, "mode", None),
            retain_until=getattr(retention, "retain_until_date", None), legal_hold=bool(hold),
            modified=info.last_modified,
        )  # fmt: skip

    def exists(self, key: str) -> bool:
        check_key(key)
        try:
            self._call(f"looking up {key!r}", self.client.stat_object, self.bucket, key)
        except NotFound:
            return False
        return True

    def delete_evidence(self, ref: EvidenceRef) -> None:
        refuse_delete(ref)

    def set_legal_hold(self, ref: EvidenceRef, on: bool) -> None:
        key, version_id = self._pinned(ref)
        if version_id is None:
            version_id = self.stat(key).version_id
        func = self.client.enable_object_legal_hold if on else self.client.disable_object_legal_hold
        self._call(f"setting legal hold on {key!r}", func, self.bucket, key, version_id=version_id)

    def legal_hold(self, ref: EvidenceRef) -> bool:
        return self.stat(ref).legal_hold

    # Anchors -----------------------------------------------------------------------------
    def put_anchor(self, name: str, body: bytes) -> str | None:
        """Store a custody or audit head as ``anchors/<name>`` under COMPLIANCE retention
        (nobody, not even the bucket's owner, can delete or shorten it before it expires);
        return its version id. Refuses a server that stores it without retention."""
        import io

        from minio.retention import COMPLIANCE, Retention

        key = ANCHOR_PREFIX + name
        action = f"storing anchor {key!r} in {self.bucket!r}"
        until = (datetime.now(UTC) + timedelta(days=self.retention_days)).replace(microsecond=0)
        result = self._call(
            action,
            self.client.put_object,
            self.bucket,
            key,
            io.BytesIO(body),
            len(body),
            content_type="application/json",
            retention=Retention(COMPLIANCE, until),
        )
        return cast(str | None, result.version_id)

    def anchor_exists(self, name: str) -> bool:
        """Whether ``anchors/<name>`` is stored (one HEAD request)."""
        key = ANCHOR_PREFIX + name
        try:
            self._call(f"looking up anchor {key!r}", self.client.stat_object, self.bucket, key)
        except NotFound:
            return False
        return True

    def anchors(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every stored anchor under ``anchors/<prefix>`` (each version), as name and body."""
        found: list[tuple[str, bytes]] = []
        action = f"reading anchors {prefix!r} from {self.bucket!r}"
        objects = self._call(
            action,
            lambda: list(
                self.client.list_objects(
                    self.bucket, prefix=ANCHOR_PREFIX + prefix, recursive=True, include_version=True
                )
            ),
        )
        for obj in objects:
            if getattr(obj, "is_delete_marker", False):
                continue
            response = self._call(
                action,
                self.client.get_object,
                self.bucket,
                obj.object_name,
                version_id=obj.version_id,
            )
            try:
                body = response.read(1 << 20)
            finally:
                response.close()
                response.release_conn()
            found.append((str(obj.object_name).removeprefix(ANCHOR_PREFIX), body))
        return found

    # Derived data ------------------------------------------------------------------------
    def put_derived(self, key: str, stream: BinaryIO, *, size: int | None = None) -> str:
        """Store derived bytes without retention (lccu may replace its own outputs)."""
        name = DERIVED_PREFIX + check_key(key, derived=True)
        result = self._call(
            f"storing derived file {key!r}", self.client.put_object, self.derived_bucket, name,
            stream, length=-1 if size is None else size,
            part_size=PART_SIZE if size is None else part_size_for(size), num_parallel_uploads=1,
        )  # fmt: skip
        return self._uri(self.derived_bucket, name, result.version_id)

    def open_derived(self, key: str) -> ImageStream:
        name = DERIVED_PREFIX + check_key(key, derived=True)
        with self._errors(f"opening derived file {key!r}"):
            try:
                source = S3ObjectSource(self.client, self.derived_bucket, name)
            except LccuError as exc:
                if isinstance(exc, InvalidInput):
                    raise NotFound(f"derived file {key!r} is not in the store") from exc
                raise
        return ImageStream(source, block_size=READ_BLOCK, cache_blocks=READ_CACHE_BLOCKS,
                           read_ahead=READ_AHEAD)  # fmt: skip

    def close(self) -> None:
        """Nothing to release: connections are pooled by the client and closed with it."""

    def __repr__(self) -> str:
        return f"<S3Store {self.endpoint}/{self.bucket}>"


class S3Staged:
    """A multipart upload with every part sent, not yet completed (no object version)."""

    def __init__(self, store: S3Store, key: str, upload_id: str, parts: list[Any],
                 digests: Digests) -> None:  # fmt: skip
        self.store, self.key, self.digests = store, key, digests
        self.marked: Digests | None = None
        self._upload_id, self._parts = upload_id, parts
        self._done = False

    def commit(self) -> StoredEvidence:
        if self._done:
            raise StorageError(f"evidence {self.key!r}: already committed or aborted")
        self._done = True
        store, key = self.store, self.key
        action = f"storing evidence {key!r} in {store.bucket!r}"
        try:
            result = store._call(
                action,
                store.client._complete_multipart_upload,
                store.bucket,
                key,
                self._upload_id,
                self._parts,
            )
        except BaseException:
            with contextlib.suppress(Exception):
                store.client._abort_multipart_upload(store.bucket, key, self._upload_id)
            raise
        return store._committed(key, result.version_id, self.digests)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        with contextlib.suppress(Exception):
            self.store.client._abort_multipart_upload(self.store.bucket, self.key, self._upload_id)
