"""Stream a file's content out of a volume, and identify it (MD5, SHA-1, SHA-256, MIME type).

Content is read through TSK in bounded chunks: a file is never held whole in memory. The
size read is the file's recorded size, capped at the image size, because a corrupt inode
can claim petabytes and TSK would happily return zero-filled "sparse" data for all of it.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

import pytsk3

from lccu.errors import FileSystemError
from lccu.fs.volumes import Volume, open_fs
from lccu.fs.walk import FileEntry
from lccu.hashing import content_hasher
from lccu.imaging.tsk import TskImage

if TYPE_CHECKING:
    import magic

CHUNK = 1024 * 1024
MAGIC_BYTES = 64 * 1024
_local = threading.local()


class ContentReader(io.RawIOBase):
    """A read-only, seekable view of one file's default data stream."""

    def __init__(
        self, tsk_file: pytsk3.File, size: int, where: str, attr: tuple[int, int] | None = None
    ) -> None:
        super().__init__()
        self._attr = attr
        self._file = tsk_file
        self._size = size
        self._pos = 0
        self._where = where
        self.capped = False

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        target = base + offset
        if target < 0:
            raise ValueError(f"negative seek position {target} in {self._where}")
        self._pos = target
        return target

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._size - self._pos, CHUNK)
        if want <= 0:
            return 0
        try:
            if self._attr is None:
                data = self._file.read_random(self._pos, want)
            else:
                data = self._file.read_random(self._pos, want, self._attr[0], self._attr[1])
        except (OSError, RuntimeError) as exc:
            raise FileSystemError(
                f"reading {self._where} at offset {self._pos} failed: {exc}; the data may be "
                "overwritten or the image truncated"
            ) from exc
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n


def open_content(
    img: TskImage,
    volume: Volume,
    entry: FileEntry,
    fs: pytsk3.FS_Info | None = None,
) -> BinaryIO:
    """A buffered reader of ``entry``'s content (opened by meta address, like ``icat``).

    For a deleted name whose inode has been reused, this is the *current* owner's data.
    Raises :class:`FileSystemError` when there is no metadata to read (inode 0, wiped).
    """
    where = f"volume {volume.index}:{entry.path} (inode {entry.inode})"
    if not entry.has_meta:
        raise FileSystemError(f"{where} has no metadata address; its content is not recoverable")
    try:
        if fs is None:
            fs = open_fs(img, volume.start_offset)
        tsk_file = fs.open_meta(inode=entry.inode)
    except (OSError, RuntimeError) as exc:
        raise FileSystemError(f"cannot open {where}: {exc}") from exc
    attr: tuple[int, int] | None = None
    if entry.attr_type is not None and entry.attr_id is not None:
        attr = (entry.attr_type, entry.attr_id)
        size = entry.size  # the stream's own size, recorded by the walk
    else:
        meta = tsk_file.info.meta
        size = int(meta.size) if meta is not None else 0
    limit = img.get_size()
    raw = ContentReader(tsk_file, max(0, min(size, limit)), where, attr)
    raw.capped = size > limit
    return io.BufferedReader(raw, buffer_size=CHUNK)  # type: ignore[return-value]


@dataclass(frozen=True)
class ContentInfo:
    """Identification of one file's content: its three hashes from one read pass."""

    size: int
    md5: str
    sha1: str
    sha256: str
    mime: str
    description: str

    def hashes(self) -> dict[str, str]:
        return {"md5": self.md5, "sha1": self.sha1, "sha256": self.sha256}


def _magics() -> tuple[magic.Magic, magic.Magic]:
    """Per-thread libmagic handles (``magic.Magic`` is not thread-safe); libmagic is loaded
    on first use, not by every command that imports :mod:`lccu.fs` (``lccu timeline``)."""
    pair = getattr(_local, "pair", None)
    if pair is None:
        import magic

        pair = (magic.Magic(mime=True), magic.Magic())
        _local.pair = pair
    return pair


def identify(stream: BinaryIO, size: int | None = None) -> ContentInfo:
    """MD5, SHA-1, SHA-256 and size of everything left in ``stream``, in one read pass;
    MIME type from its first 64 KiB. ``size``: the expected size, if known (small content
    is hashed in this thread, large content on three)."""
    head = bytearray()
    with content_hasher(size) as hasher:
        while True:
            block = stream.read(CHUNK)
            if not block:
                break
            if len(head) < MAGIC_BYTES:
                head += block[: MAGIC_BYTES - len(head)]
            hasher.update(block)
        found = hasher.digests()
    mime, description = identify_head(bytes(head))
    return ContentInfo(size=found.size, md5=found.md5, sha1=found.sha1, sha256=found.sha256,
                       mime=mime, description=description)


def identify_head(head: bytes) -> tuple[str, str]:
    """libmagic's MIME type and description of a content's first bytes (64 KiB suffice)."""
    import magic

    mime_magic, text_magic = _magics()
    try:
        return mime_magic.from_buffer(head), text_magic.from_buffer(head)
    except magic.MagicException as exc:  # libmagic refuses some inputs; keep the hash
        return "application/octet-stream", f"unidentified: {exc}"
