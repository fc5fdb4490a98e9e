"""Where one indexed file's bytes are read from, for ``lab.open_file``: the stored evidence
itself whenever the bytes are in it (a file system's file by its inode, like ``icat``; a
carved item as its byte range), else the run's exported copy in the derived store (an
archive member, an NTFS alternate data stream). Always a read-only stream read in chunks.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, BinaryIO

from lccu.errors import FileSystemError, NotFound
from lccu.evidence.file_index import FileInfo
from lccu.storage.base import StoredEvidence

CHUNK = 1024 * 1024


class RangeReader(io.RawIOBase):
    """A read-only, seekable view of ``length`` bytes at ``start`` of a seekable stream."""

    def __init__(self, stream: Any, start: int, length: int) -> None:
        super().__init__()
        self._stream, self._start, self._length, self._pos = stream, start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._length - self._pos, CHUNK)
        if want <= 0:
            return 0
        self._stream.seek(self._start + self._pos)
        data = self._stream.read(want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _exported(store: Any, info: FileInfo) -> BinaryIO:
    exported = info.entry.get("exported")
    if not exported:
        raise NotFound(f"{info.path}: its content was not exported by run {info.run_id} and "
                       "is not in the image as a whole file", key="content_not_kept",
                       params={"file": info.path})
    stream: BinaryIO = store.open_derived(f"{info.evidence_id}/{exported}")
    return stream


def _from_volume(image: Any, info: FileInfo, volumes: dict[int, int]) -> BinaryIO:
    """A file system's file by its meta address (the data stream the run hashed)."""
    from lccu.fs.content import ContentReader
    from lccu.fs.volumes import open_fs
    from lccu.imaging.tsk import TskImage

    where = f"volume {info.volume}:{info.path} (inode {info.inode})"
    if info.volume not in volumes:
        raise FileSystemError(f"{where}: volume {info.volume} is not in the run's report")
    tsk = TskImage(image, image.size, name=info.path)
    try:
        fs = open_fs(tsk, volumes[info.volume])
        tsk_file = fs.open_meta(inode=info.inode)
    except (OSError, RuntimeError) as exc:
        raise FileSystemError(f"cannot open {where}: {exc}") from exc
    size = max(0, min(int(info.size or 0), tsk.get_size()))
    return io.BufferedReader(ContentReader(tsk_file, size, where), buffer_size=CHUNK)


@contextmanager
def open_content_of(store: Any, refs: Sequence[tuple[str, StoredEvidence]], info: FileInfo,
                    volumes: dict[int, int]) -> Iterator[BinaryIO]:
    """The bytes of ``info`` (see the module's docstring), closed when the block ends."""
    from lccu.evidence.lab_items import open_stored_media

    stream_name = info.source == "file" and ":" in info.name
    if info.source == "member" or stream_name or (info.source == "file" and info.inode is None):
        with _exported(store, info) as stream:
            yield stream
        return
    if info.kind != "file":
        raise NotFound(f"{info.path} is a {info.kind}, not a file with content",
                       key="not_a_file", params={"file": info.path})
    with open_stored_media(store, refs) as image:
        if info.source == "carved":
            raw = RangeReader(image, int(info.offset or 0), int(info.size or 0))
            reader: BinaryIO = io.BufferedReader(raw, buffer_size=CHUNK)
        else:
            reader = _from_volume(image, info, volumes)
        try:
            yield reader
        finally:
            reader.close()
