"""The container files of one acquisition on local disk, gathered and checked before intake.

An evidence item is the media (the disk), not the file that carries it: an E01 in many
segments, a split raw image, a VMDK descriptor and its extents. :func:`gather` takes the
path(s) an examiner names and returns every container file the media needs, in order,
with the media's format and size as the image readers see them. Everything that can be
wrong with the set is refused here, before a byte is stored, with the file named:

- a segment missing in a series (``disk.E03`` absent while ``disk.E04`` is there, or the
  last segment found is not the last of its image: an EWF segment that ends with a
  ``next`` section),
- segments given out of order (by name, and for EWF by the segment number in each file's
  header),
- a split raw segment shorter than the first one while more follow (a truncated copy).

Detection is by signature (:func:`lccu.imaging.open_image`), never by extension; names
only order the segments of a series.
"""

from __future__ import annotations

import stat
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from lccu.errors import ImageFormatError, InvalidInput
from lccu.imaging.signatures import HEAD_BYTES, TAIL_BYTES, identify

if TYPE_CHECKING:
    from lccu.imaging.stream import ImageStream

#: how far past the last segment found we look for a stray later one (a gap)
LOOKAHEAD = 64
#: formats whose media bytes are the container bytes (hashed in the same pass)
CONCATENATED = ("raw", "split")
#: an item taken in as the file it is (not a disk image lccu reads)
OPAQUE = "file"
_EWF_SECTION = 76  # an EWF (v1) section descriptor; the last one ends each segment
#: the intake's media pass reads once from start to end: a small cache is enough
SEQUENTIAL: dict[str, Any] = {"block_size": 4 * 1024 * 1024, "cache_blocks": 4, "read_ahead": 2}


@dataclass(frozen=True)
class LocalAcquisition:
    """The ordered container files of one item and what the readers make of them."""

    paths: tuple[Path, ...]
    format: str  # raw, split, ewf, vmdk, vhd, vhdx, qcow2, ... or OPAQUE
    media_size: int
    #: a recognised container that its reader cannot open (corrupt, truncated): why. It is
    #: still taken in as received (as the file it is), loudly, never silently refused
    unreadable: str | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.paths]

    @property
    def container_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.paths)

    @property
    def concatenated(self) -> bool:
        """The media is the container files' bytes one after the other."""
        return self.format in (*CONCATENATED, OPAQUE)


def _check_file(path: Path) -> None:
    """A regular file, or :class:`InvalidInput` naming what it is instead (a FIFO would
    block the intake, ``/dev/zero`` never end; a directory, a symlink loop)."""
    from lccu.imaging.containers import check_input_file

    info = check_input_file(path)
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"{path} is a block device, not a file: acquire it to an image "
                           "file first (ewfacquire, dd) and take that in")  # fmt: skip
    if info.st_size == 0:
        raise InvalidInput(f"{path}: the file is empty (0 bytes); nothing to take in",
                           key="empty_file", params={"file": path.name})


def _head_tail(path: Path) -> tuple[bytes, bytes]:
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
        size = fh.seek(0, 2)
        fh.seek(max(0, size - max(TAIL_BYTES, _EWF_SECTION)))
        return head, fh.read()


def _series(first: Path, limit: int) -> list[list[str]]:
    """Candidate series (the names after ``first``, up to ``limit``) that ``first`` starts:
    E01 segments, or split raw (``.001``, ``aa``: both widths when the stem ends in a)."""
    from lccu.imaging.ewf import ewf_segment_names
    from lccu.imaging.split import split_schemes

    count = 0

    def more(_name: str) -> bool:
        nonlocal count
        count += 1
        return count <= limit

    ewf = ewf_segment_names(first.name, more)
    if len(ewf) > 1:
        return [ewf[1:]]
    return [list(islice(scheme, 1, limit + 1)) for scheme in split_schemes(first.name)]


def _ewf_number(head: bytes) -> int | None:
    """The segment number an EWF segment's file header states."""
    if head[:8] == b"EVF\x09\x0d\x0a\xff\x00" and len(head) >= 11:
        return int(struct.unpack_from("<H", head, 9)[0])
    if head[:8] == b"EVF2\x0d\x0a\x81\x00" and len(head) >= 16:
        return int(struct.unpack_from("<I", head, 12)[0])
    return None


def _check_ewf(paths: Sequence[Path]) -> None:
    """Segment numbers 1..n in order, and the last segment really is the last."""
    check_ewf_segments([(p.name, *_head_tail(p)) for p in paths])


def check_ewf_segments(segments: Sequence[tuple[str, bytes, bytes]]) -> None:
    """The EWF segments ``(name, head, tail)`` (tail: at least the last section
    descriptor) numbered 1..n in order by their headers, the last one really the last (no
    ``next`` section) and none before it a last one (``done``); else InvalidInput naming
    the file. Works on names and bytes only (local files or an upload's staged copies)."""
    names = [name for name, _head, _tail in segments]
    for index, (name, head, tail) in enumerate(segments, 1):
        number = _ewf_number(head)
        if number is None:
            raise InvalidInput(
                f"{name} is not an EWF segment (no EVF signature), but "
                f"{names[0]} is: give only the segments of one image",
                key="ewf_not_segment", params={"file": name, "first": names[0]},
            )
        if number != index:
            raise InvalidInput(
                f"{name} is segment {number} of its image by its header, but was given "
                f"as segment {index}: segments out of order or from another image; give "
                "them in order (x.E01, x.E02, ...) or name only the first one",
                key="ewf_segment_number", params={"file": name, "number": number, "index": index},
            )
        if head[:3] != b"EVF" or head[3] != 0x09 or len(tail) < _EWF_SECTION:
            continue  # EWF2 ends differently; libewf and the full read check the rest
        last = tail[-_EWF_SECTION:][:16].rstrip(b"\x00")
        if index == len(segments) and last == b"next":
            following = [s[len(names) - 1] for s in _series(Path(names[0]), len(names))
                         if len(s) >= len(names)]
            missing = following[0] if following else f"segment {index + 1}"
            raise InvalidInput(
                f"{missing} is missing: {name} ends with a 'next' section, so segment "
                f"{index + 1} follows it; nothing was stored. Put every segment beside the "
                "first (or name them all)",
                key="ewf_last_missing", params={"missing": missing, "file": name},
            )
        if index < len(segments) and last == b"done":
            raise InvalidInput(
                f"{name} is the last segment of its image (it ends with a 'done' "
                f"section) but {names[index]} follows it; give only one image's segments",
                key="ewf_after_last", params={"file": name, "following": names[index]},
            )


def _check_split(paths: Sequence[Path]) -> None:
    """Every segment but the last as long as the first; the last no longer."""
    first = paths[0].stat().st_size
    for index, path in enumerate(paths):
        size = path.stat().st_size
        if index < len(paths) - 1 and size != first:
            raise InvalidInput(
                f"{path.name} is {size} bytes while {paths[0].name} is {first}, and "
                f"{paths[index + 1].name} follows it: a truncated segment or segments of "
                "another image; nothing was stored"
            )
        if index == len(paths) - 1 and size > first:
            raise InvalidInput(
                f"the last segment {path.name} is longer ({size} bytes) than "
                f"the first ({first}); segments out of order?"
            )


def _check_no_gap(paths: Sequence[Path]) -> None:
    """No later segment of the series beside the last one found (a segment is missing)."""
    taken = [p.name for p in paths[1:]]
    directory = paths[-1].parent
    for series in _series(paths[0], len(taken) + LOOKAHEAD):
        if series[: len(taken)] != taken:
            continue
        for name in series[len(taken) + 1 :]:
            if (directory / name).is_file():
                raise InvalidInput(
                    f"segment {series[len(taken)]} is missing: {paths[-1].name} is followed "
                    f"by {name} beside it with a gap between; nothing was stored. Put every "
                    "segment beside the first"
                )


def check_segment_names(paths: Sequence[Path]) -> None:
    """Files named one by one follow their series' names (E01, split): nothing skipped, none
    swapped (names only: the files may not be here, e.g. in an upload)."""
    _check_given_order(paths)


def _check_given_order(paths: Sequence[Path]) -> None:
    """Paths given one by one follow their series' names: nothing skipped, none swapped."""
    given = [p.name for p in paths[1:]]
    candidates = _series(paths[0], len(given))
    if not candidates:
        return
    series = max(candidates, key=lambda s: sum(a == b for a, b in zip(s, given, strict=False)))
    for index, (name, actual) in enumerate(zip(series, given, strict=False)):
        if actual == name:
            continue
        if name in given:
            raise InvalidInput(
                f"segments out of order: {actual} was given where {name} "
                "belongs; give them in order or name only the first one",
                key="segments_out_of_order", params={"given": actual, "belongs": name},
            )
        before = paths[index].name
        raise InvalidInput(f"segment {name} is missing (after {before}); nothing was stored",
                           key="segment_missing", params={"segment": name, "after": before})


def _open_media(paths: Sequence[Path], given_one: bool) -> tuple[list[Path], str, int]:
    """Open the media through the readers: (container files used, format, media size)."""
    from lccu.imaging import open_image
    from lccu.imaging.raw import FileSource
    from lccu.imaging.stream import ImageStream

    if given_one:
        with open_image(paths[0]) as image:
            media = image.media
            assert media is not None
            used = [paths[0].parent / str(c["name"]) for c in media.containers] or [paths[0]]
            return used, media.format, image.size
    streams = {p.name: cast(BinaryIO, ImageStream(FileSource(p), block_size=1024 * 1024,
                                                  cache_blocks=4, read_ahead=0))
               for p in paths}  # fmt: skip
    with open_image(streams) as image:
        media = image.media
        assert media is not None
        names = [str(c["name"]) for c in media.containers]
        unused = [p.name for p in paths if p.name not in names]
        if unused:
            raise InvalidInput(
                f"{', '.join(unused)}: not part of the image that "
                f"{paths[0].name} starts; give only one image's files"
            )
        return list(paths), media.format, image.size


def gather(paths: Sequence[str | Path], *, item_type: str = "disk-image") -> LocalAcquisition:
    """Every container file of the acquisition named by ``paths``, checked, in order.

    One path: the segments or extents beside it are found and taken. Several paths: they are
    the container files, in the order given. An unsupported container (VDI, DMG, a zip...)
    is refused for a disk image; another item type (a phone extraction, a memory image in
    a format lccu does not read) is then taken in as the file it is (format ``file``).
    """
    given = [Path(p) for p in paths]
    if not given:
        raise InvalidInput("name the image file (the first segment of a multi-file one)")
    seen: set[str] = set()
    for path in given:
        _check_file(path)
        if path.name in seen:
            raise InvalidInput(f"{path.name} is given twice; each container file once")
        seen.add(path.name)
    if len(given) > 1:
        _check_given_order(given)
    try:
        used, fmt, media_size = _open_media(given, len(given) == 1)
    except ImageFormatError as exc:
        head, tail = _head_tail(given[0])
        signature = identify(head, tail[-TAIL_BYTES:])
        if len(given) != 1:
            raise
        if item_type != "disk-image" and (signature is None or signature.unsupported):
            return LocalAcquisition((given[0],), OPAQUE, given[0].stat().st_size)
        if signature is None or signature.unsupported or signature.kind == "vmdk-descriptor":
            raise  # unsupported, or a VMDK whose extents are missing: refused, named
        if signature.kind in ("ewf", "ewf2"):
            from lccu.imaging.ewf import ewf_segment_names

            names = ewf_segment_names(str(given[0]), lambda n: Path(n).is_file())
            _check_no_gap([Path(n) for n in names])  # a missing segment: refused, named
            if len(names) > 1:
                raise
        # one damaged container file (a corrupt E01, QCOW2...): the copy as received is
        # still evidence; taken in as the file it is, marked, never silently
        return LocalAcquisition((given[0],), OPAQUE, given[0].stat().st_size, str(exc))
    for path in used:
        _check_file(path)
    if fmt in ("ewf", "ewf2", "split", "raw"):
        _check_no_gap(used)
    if fmt in ("ewf", "ewf2"):
        _check_ewf(used)
    if fmt == "split":
        _check_split(used)
    return LocalAcquisition(tuple(used), fmt, media_size)


def open_local_media(acquisition: LocalAcquisition) -> ImageStream:
    """The media of a gathered acquisition, read from its local files through the readers
    (EWF through libewf's own file pool; the others as named container streams)."""
    from lccu.imaging import open_image
    from lccu.imaging.raw import FileSource
    from lccu.imaging.stream import ImageStream, MediaInfo

    paths = acquisition.paths
    if acquisition.format == "ewf":
        from lccu.imaging.ewf import open_ewf_files

        media = MediaInfo("ewf", [{"name": p.name, "size": p.stat().st_size} for p in paths])
        return ImageStream(
            open_ewf_files([str(p) for p in paths], str(paths[0])), media=media, **SEQUENTIAL
        )
    streams = {p.name: cast(BinaryIO, ImageStream(FileSource(p), block_size=1024 * 1024,
                                                  cache_blocks=4, read_ahead=0))
               for p in paths}  # fmt: skip
    return open_image(streams, **SEQUENTIAL)
