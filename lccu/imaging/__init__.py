"""Evidence media as read-only, seekable streams, whatever container carries them.

:func:`open_image` takes the container files of one item (a local path, or the streams
the store gives: see :mod:`lccu.imaging.containers` for the hand-over), tells the format
from their bytes (never from names; raw last, because any bytes are a raw image) and
returns an :class:`ImageStream` of the media (the disk), with
:attr:`ImageStream.media` saying which format and which container files carried it.

The registry is the explicit ``FORMATS`` tuple below: each entry's module is imported only
when an image of that format is opened, and a missing optional library fails loudly with
what to install. A recognised but unsupported container (VDI, DMG, AFF, L01, a compressed
file, an encrypted QCOW...) is an :class:`~lccu.errors.ImageFormatError` naming what was
found and what to do.
"""

from __future__ import annotations

import importlib
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from lccu.errors import InvalidInput
from lccu.imaging.containers import (
    Containers,
    check_input_file,
    container_name,
    from_streams,
    refuse_empty,
)
from lccu.imaging.signatures import HEAD_BYTES, TAIL_BYTES, identify, unsupported_error
from lccu.imaging.stream import DEFAULT_BLOCK_SIZE, ImageStream, MediaInfo, RangeSource

__all__ = ["FORMATS", "ImageFormat", "ImageStream", "MediaInfo", "RangeSource", "detect_format",
           "open_image"]  # fmt: skip


@dataclass(frozen=True)
class ImageFormat:
    """One readable format: its name in reports, the module that reads it, what it covers."""

    name: str
    module: str
    description: str


#: Every format lccu reads; detection is by signature (see ``lccu.imaging.signatures``).
FORMATS: tuple[ImageFormat, ...] = (
    ImageFormat("ewf", "lccu.imaging.ewf", "EnCase E01/Ex01 in one or more segments (libewf)"),
    ImageFormat(
        "vmdk",
        "lccu.imaging.vmdk",
        "VMware VMDK: monolithic or split, sparse, flat or stream-optimised (libvmdk)",
    ),
    ImageFormat("vhd", "lccu.imaging.vhd", "Microsoft VHD (fixed, dynamic) and VHDX (libvhdi)"),
    ImageFormat("qcow", "lccu.imaging.qcow", "QEMU QCOW versions 1, 2 and 3"),
    ImageFormat("split", "lccu.imaging.split", "split raw (.001/.000/aa segments)"),
    ImageFormat("raw", "lccu.imaging.raw", "raw (dd) image or a block device"),
)

Segment = IO[bytes] | io.RawIOBase | io.BufferedIOBase
ImageInput = (str | os.PathLike[str] | RangeSource | Segment | Sequence[Segment]
              | Mapping[str, Segment])  # fmt: skip
_LOCAL_BLOCK = 1024 * 1024  # container files on local disk: the page cache does the rest
#: what a scattered read of decoded media (a file-system walk) decodes: two EWF chunks, not
#: a 4 MiB block (which libewf would fetch from the segments, in S3 over the network)
MEDIA_PAGE = 64 * 1024


def _choose(containers: Containers) -> str:
    """The format name for ``containers``, decided by the bytes of the files."""
    first = containers.first
    if first.signature is not None and first.signature.unsupported:
        raise unsupported_error(first.name, first.signature)
    if first.kind in ("vmdk", "vmdk-descriptor") or any(
        c.kind == "vmdk-descriptor" for c in containers
    ):
        return "vmdk"
    if first.kind in ("ewf", "ewf2"):
        return "ewf"
    if first.kind in ("vhd", "vhdx"):
        return "vhd"
    if first.kind == "qcow":
        return "qcow"
    return "split" if len(containers) > 1 else "raw"


def _module(name: str) -> Any:
    entry = next(f for f in FORMATS if f.name == name)
    return importlib.import_module(entry.module)


def open_containers(containers: Containers, **stream_options: Any) -> ImageStream:
    """The media carried by ``containers``; they are closed if it cannot be opened."""
    try:
        fmt = _choose(containers)
        only = containers.first.stream
        if fmt == "raw" and isinstance(only, ImageStream):
            only.media = MediaInfo("raw", containers.segments())
            return only  # already a cached, read-only stream: no second cache on top
        source: RangeSource = _module(fmt).open_containers(containers)
    except BaseException:
        containers.close()
        raise
    media = MediaInfo(format=getattr(source, "format_name", fmt),
                      containers=containers.segments())  # fmt: skip
    block = int(stream_options.get("block_size", DEFAULT_BLOCK_SIZE))
    if block % MEDIA_PAGE == 0:
        stream_options = {"page_size": MEDIA_PAGE, **stream_options}
    return ImageStream(source, media=media, **stream_options)


def _local_stream(path: Path) -> ImageStream:
    from lccu.imaging.raw import FileSource

    return ImageStream(FileSource(path), block_size=_LOCAL_BLOCK, cache_blocks=4, read_ahead=0)


def _open_local(path: Path, stream_options: dict[str, Any]) -> ImageStream:
    """A local image: the file given plus the segments or extents beside it that it needs."""
    from lccu.imaging.raw import FileSource

    check_input_file(path)
    probe = FileSource(path, allow_empty=True)
    try:
        refuse_empty(str(path), probe.size)
        signature = identify(
            probe.read_range(0, HEAD_BYTES),
            probe.read_range(max(0, probe.size - TAIL_BYTES), TAIL_BYTES),
        )
    finally:
        probe.close()
    kind = signature.kind if signature else None
    if kind in ("ewf", "ewf2"):
        from lccu.imaging.ewf import ewf_segment_names, open_ewf_files

        names = ewf_segment_names(str(path), lambda n: Path(n).is_file())
        media = MediaInfo("ewf", [{"name": container_name(n), "size": os.stat(n).st_size}
                                  for n in names])  # fmt: skip
        return ImageStream(open_ewf_files(names, str(path)), media=media, **stream_options)
    if kind is None:
        from lccu.imaging.split import open_split, segment_names

        names = segment_names(str(path), lambda n: Path(n).is_file())
        segments = [{"name": container_name(n), "size": os.stat(n).st_size} for n in names]
        if len(names) > 1:
            return ImageStream(open_split(path), media=MediaInfo("split", segments),
                               **stream_options)  # fmt: skip
        return ImageStream(FileSource(path), media=MediaInfo("raw", segments), **stream_options)
    containers = Containers([(path.name, cast(BinaryIO, _local_stream(path)))], str(path),
                            opener=lambda name: _sibling(path.parent, name))  # fmt: skip
    return open_containers(containers, **stream_options)


def _sibling(directory: Path, name: str) -> BinaryIO | None:
    """A file named by a container (a VMDK extent) beside it; never outside the directory."""
    candidate = directory / container_name(name)
    if not candidate.is_file():
        return None
    check_input_file(candidate)
    return cast(BinaryIO, _local_stream(candidate))


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format name (``FORMATS``) of the local image whose (first) file is ``path``."""
    with open_image(path) as image:
        assert image.media is not None
        return _family(image.media.format)


def _family(media_format: str) -> str:
    return {"vhdx": "vhd", "qcow2": "qcow"}.get(media_format, media_format)


def open_image(source: ImageInput, **stream_options: Any) -> ImageStream:
    """Open the media of one item: a local path, a :class:`RangeSource`, or its containers.

    A path is detected by signature; the segments (E01, split raw) or extents (VMDK) it
    needs are taken from beside it. One binary stream (``store.open_evidence(...)``), a list
    of streams (the ordered container files of one item, as the store gives them) or a
    ``name -> stream`` mapping is detected the same way (see :mod:`lccu.imaging.containers`
    for how names are matched). ``stream_options`` go to :class:`ImageStream` (block_size,
    cache_blocks, read_ahead).
    """
    if isinstance(source, str | os.PathLike):
        return _open_local(Path(source), stream_options)
    if isinstance(source, RangeSource) and not hasattr(source, "read"):
        return ImageStream(source, **stream_options)
    if isinstance(source, Mapping):
        containers = from_streams(cast(Mapping[str, BinaryIO], source))
    else:
        streams = cast(list[BinaryIO], list(source) if isinstance(source, Sequence)
                       else [source])  # fmt: skip
        if not streams:
            raise InvalidInput("open_image needs at least one container file")
        containers = from_streams(streams)
    for container in containers:
        refuse_empty(container.name, container.size)
    return open_containers(containers, **stream_options)
