"""The container files of one evidence item, as handed to :func:`lccu.imaging.open_image`.

An item's media (the disk) is carried by one or more container files: the segments of an
E01 or a split raw image, a VMDK descriptor and its extent files, one VHD, VHDX or QCOW2.
:class:`Containers` is their ordered ``name -> stream`` mapping. Names are what the
formats refer to each other by (a VMDK descriptor names its extents, ``"disk-s001.vmdk"``),
so they are plain file names without directories; streams are seekable, read-only binary
streams (local files, :class:`~lccu.imaging.stream.ImageStream` over S3, ...).

Ways to build one:

- :func:`from_streams` with a mapping ``{"disk.vmdk": s1, "disk-s001.vmdk": s2}`` (the
  order is the segment order; names as the acquisition tool wrote them),
- or with a list of streams, each named by the last path part of its ``name`` attribute
  (``s3://bucket/evidence/x/disk-s001.vmdk?versionId=...`` -> ``disk-s001.vmdk``),
- :func:`local_containers` for a local path: the file given, plus the segments or extent
  files that belong to it beside it.

Inputs that are not regular files (a FIFO, a character device, a directory, a symlink
loop) are refused here, before anything tries to read them: a FIFO would block forever
and ``/dev/zero`` would look like an empty image.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lccu.errors import ImageFormatError, InvalidInput
from lccu.imaging.signatures import HEAD_BYTES, TAIL_BYTES, Signature, identify


def container_name(name: str) -> str:
    """The file name part of a stream name: no directories, no ``?versionId=`` query."""
    base = name.split("?", 1)[0].rstrip("/")
    return base.rsplit("/", 1)[-1] or name


def _size(stream: BinaryIO) -> int:
    size = getattr(stream, "size", None)
    if isinstance(size, int):
        return size
    position = stream.tell()
    try:
        return int(stream.seek(0, os.SEEK_END))
    finally:
        stream.seek(position)


def read_at(stream: BinaryIO, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset`` (fewer at the end), leaving the position unchanged."""
    pread = getattr(stream, "pread", None)
    if callable(pread):
        return bytes(pread(offset, length))
    position = stream.tell()
    try:
        stream.seek(offset)
        return stream.read(length) or b""
    finally:
        stream.seek(position)


@dataclass
class Container:
    """One container file: its name, stream, size and what its bytes say it is."""

    name: str
    stream: BinaryIO
    size: int
    signature: Signature | None

    @property
    def kind(self) -> str | None:
        return self.signature.kind if self.signature else None


class Containers:
    """The ordered container files of one item (see the module docstring)."""

    def __init__(
        self,
        items: Sequence[tuple[str, BinaryIO]],
        label: str | None = None,
        *,
        opener: Callable[[str], BinaryIO | None] | None = None,
    ) -> None:
        """``opener`` finds a named container that was not given (a local VMDK's extents
        beside its descriptor); it returns ``None`` when there is no such file."""
        if not items:
            raise InvalidInput("an image needs at least one container file")
        self.items: list[Container] = []
        seen: set[str] = set()
        for name, stream in items:
            if name in seen:
                raise InvalidInput(f"two container files are both named {name!r}; give each "
                                   "segment or extent its own name")  # fmt: skip
            seen.add(name)
            self._add(name, stream)
        self.label = label or self.items[0].name
        self._opener = opener

    def _add(self, name: str, stream: BinaryIO) -> Container:
        size = _size(stream)
        head = read_at(stream, 0, HEAD_BYTES)
        signature = identify(head)  # the tail only when the head says nothing (fixed VHD)
        if signature is None:
            signature = identify(head, read_at(stream, max(0, size - TAIL_BYTES), TAIL_BYTES))
        container = Container(name, stream, size, signature)
        self.items.append(container)
        return container

    def __iter__(self) -> Iterator[Container]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def first(self) -> Container:
        return self.items[0]

    def named(self, name: str) -> Container | None:
        """The container whose name is ``name`` (a VMDK extent as its descriptor names it)."""
        wanted = container_name(name)
        found = next((c for c in self.items if c.name == wanted), None)
        if found is None and self._opener is not None:
            stream = self._opener(wanted)
            if stream is not None:
                found = self._add(wanted, stream)
        return found

    def streams(self) -> list[BinaryIO]:
        return [c.stream for c in self.items]

    def segments(self) -> list[dict[str, object]]:
        """Name and size of each container file, in order (for the report)."""
        return [{"name": c.name, "size": c.size} for c in self.items]

    def close(self) -> None:
        for container in self.items:
            container.stream.close()


def from_streams(source: Mapping[str, BinaryIO] | Sequence[BinaryIO],
                 label: str | None = None) -> Containers:  # fmt: skip
    """Containers from a ``name -> stream`` mapping or from a list of named streams."""
    if isinstance(source, Mapping):
        items = [(container_name(str(name)), stream) for name, stream in source.items()]
    else:
        items = [(container_name(str(getattr(s, "name", f"container-{i + 1}"))), s)
                 for i, s in enumerate(source)]  # fmt: skip
    return Containers(items, label)


def check_input_file(path: str | os.PathLike[str]) -> os.stat_result:
    """The ``stat`` of a local image path that is a regular file or a block device.

    Anything else is :class:`InvalidInput` naming what it is, so that a FIFO never blocks a
    reader and ``/dev/zero`` is not taken for an empty image.
    """
    candidate = Path(path)
    try:
        info = os.stat(candidate)
    except FileNotFoundError as exc:
        if os.path.islink(candidate):
            raise InvalidInput(f"{candidate} is a symbolic link to a missing file; check the "
                               "path") from exc  # fmt: skip
        raise InvalidInput(f"{candidate}: no such image file; check the path") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidInput(f"{candidate} is a symbolic link loop, not an image file; "
                               "check the path") from exc  # fmt: skip
        raise InvalidInput(f"{candidate}: cannot read: {exc.strerror or exc}") from exc
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise InvalidInput(f"{candidate} is a directory, not an image file; name the image")
    if stat.S_ISFIFO(mode):
        raise InvalidInput(f"{candidate} is a FIFO (named pipe), not an image file: it cannot "
                           "be hashed or seeked; save the data to a file first")  # fmt: skip
    if stat.S_ISCHR(mode):
        raise InvalidInput(f"{candidate} is a character device, not an image file or a disk; "
                           "acquire it to an image file first")  # fmt: skip
    if stat.S_ISSOCK(mode):
        raise InvalidInput(f"{candidate} is a socket, not an image file")
    if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
        raise InvalidInput(f"{candidate} is not a regular file; name the image file")
    return info


def refuse_empty(name: str, size: int) -> None:
    if size == 0:
        raise ImageFormatError(
            f"{name} is empty (0 bytes); it holds no image",
            key="image_empty",
            params={"file": name},
        )
