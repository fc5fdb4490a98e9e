"""Raw sources: a local file and one S3 object, both behind ``read_range``.

A local file is read with ``os.pread`` (no shared file position, so read-ahead threads are
safe). An S3 object is read with ranged GETs pinned to one version id, so an image never
changes under an analysis even if someone writes a new version of the key.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lccu.errors import ImageFormatError, InvalidInput, StorageError, StoreUnavailable

if TYPE_CHECKING:
    from lccu.imaging.containers import Containers

KINDS: tuple[str, ...] = ()  # raw has no signature: what no other format claims


class FileSource:
    """A local file, opened read-only; refuses directories and zero-byte files."""

    def __init__(self, path: str | os.PathLike[str], *, allow_empty: bool = False) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        try:
            info = os.stat(self.path)
        except FileNotFoundError as exc:
            raise InvalidInput(f"{self.path}: no such image file; check the path") from exc
        except OSError as exc:
            raise InvalidInput(f"{self.path}: cannot stat image file: {exc}") from exc
        if stat.S_ISDIR(info.st_mode):
            raise InvalidInput(f"{self.path} is a directory, not an image file; name the image")
        try:
            self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise InvalidInput(f"{self.path}: cannot open image read-only: {exc}") from exc
        self.size = os.fstat(self._fd).st_size
        if stat.S_ISBLK(info.st_mode):  # a block device reports size 0 in stat
            self.size = os.lseek(self._fd, 0, os.SEEK_END)
        if self.size == 0 and not allow_empty:
            os.close(self._fd)
            raise ImageFormatError(
                f"{self.path} is empty (0 bytes); it holds no image",
                key="image_empty",
                params={"file": self.path.name},
            )

    def read_range(self, offset: int, length: int) -> bytes:
        chunks = []
        while length > 0:
            chunk = os.pread(self._fd, length, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def read_into(self, offset: int, target: memoryview) -> int:
        """Fill ``target`` from ``offset`` with no intermediate copy (fewer bytes only at the
        end of the file): how large reads (YARA segments, hash blocks) take local images."""
        got = 0
        while got < len(target):
            n = os.preadv(self._fd, [target[got:]], offset + got)
            if not n:
                break
            got += n
        return got

    def direct_fd(self) -> int | None:
        """The read-only descriptor of the file, for a reader in C that reads it itself
        (:meth:`ImageStream.direct_fd`); None once closed."""
        return self._fd if self._fd >= 0 else None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class S3ObjectSource:
    """One version of one S3 object, read with ranged GETs through the minio SDK.

    A front-to-back pass (hashing) asks for ``parallel_ranges`` GETs of ``sequential_range``
    bytes at once (:meth:`ImageStream.sequential_blocks`): one GET at a time leaves the
    store idle while the block is hashed, and the hash idle while the next one arrives.
    """

    #: ranged GETs in flight during a sequential pass (bounded memory: these ranges only)
    parallel_ranges = 4
    #: bytes per ranged GET of a sequential pass
    sequential_range = 4 * 1024 * 1024

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        *,
        version_id: str | None = None,
        size: int | None = None,
    ) -> None:
        from minio.error import S3Error
        from urllib3.exceptions import HTTPError

        self._client = client
        self.bucket, self.key, self.version_id = bucket, key, version_id
        self.name = f"s3://{bucket}/{key}" + (f"?versionId={version_id}" if version_id else "")
        self._s3_error, self._http_error = S3Error, HTTPError
        if size is None or version_id is None:
            try:
                info = client.stat_object(bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchVersion", "NoSuchBucket"):
                    raise InvalidInput(f"{self.name}: no such object in the store") from exc
                raise StorageError(f"{self.name}: stat failed: {exc}") from exc
            except HTTPError as exc:
                from lccu.storage.s3 import stalled

                why = ("did not answer in time (LCCU_S3_TIMEOUT): stalled or overloaded"
                       if stalled(exc) else f"unreachable: {exc}")  # fmt: skip
                raise StoreUnavailable(
                    f"{self.name}: S3 server {why}",
                    key="store_read_unavailable",
                    params={"object": self.name},
                ) from exc
            size = int(info.size or 0)
            self.version_id = version_id = info.version_id or version_id
        self.size = size
        #: bytes received from the store and ranged GETs made so far (every thread)
        self.fetched = self.requests = 0
        self._count_lock = threading.Lock()

    def read_range(self, offset: int, length: int) -> bytes:
        if length <= 0 or offset >= self.size:
            return b""
        try:
            response = self._client.get_object(
                self.bucket, self.key, offset=offset, length=length, version_id=self.version_id
            )
            try:
                data = bytes(response.read())
                with self._count_lock:
                    self.fetched += len(data)
                    self.requests += 1
                return data
            finally:
                response.close()
                response.release_conn()
        except self._s3_error as exc:
            raise StorageError(
                f"{self.name}: ranged read of {length} bytes at {offset} failed: {exc}"
            ) from exc
        except self._http_error as exc:
            from lccu.storage.s3 import stalled

            why = ("did not answer in time (LCCU_S3_TIMEOUT): stalled or overloaded"
                   if stalled(exc) else f"unreachable: {exc}")  # fmt: skip
            raise StoreUnavailable(
                f"{self.name}: S3 server {why}, reading {length} bytes at {offset}",
                key="store_read_unavailable",
                params={"object": self.name},
            ) from exc

    def close(self) -> None:
        """Nothing to release: the client's connection pool is shared."""


class StreamSource:
    """A seekable binary stream as a :class:`RangeSource` (``pread`` if it has one, else a
    serialised seek and read)."""

    def __init__(self, stream: BinaryIO, name: str | None = None) -> None:
        self._stream = stream
        self.name = name or str(getattr(stream, "name", "stream"))
        self._lock = threading.Lock()
        pread = getattr(stream, "pread", None)
        self._pread = pread if callable(pread) else None
        self.size = stream.seek(0, os.SEEK_END)
        stream.seek(0)

    def read_range(self, offset: int, length: int) -> bytes:
        if self._pread is not None:
            return bytes(self._pread(offset, length))
        with self._lock:
            self._stream.seek(offset)
            return self._stream.read(length)

    def close(self) -> None:
        self._stream.close()


def open_containers(containers: Containers) -> StreamSource:
    """One raw container file as the media."""
    return StreamSource(containers.first.stream, containers.label)
