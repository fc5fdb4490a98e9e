"""EWF (E01, split E01..Enn) read through libewf over file objects.

``pyewf.handle().open_file_objects`` lets libewf read each segment from any seekable
binary stream, so an E01 kept in S3 is decoded through ranged GETs without a local copy.
The container's stored MD5/SHA-1 (written at acquisition) are exposed, and
:func:`verify` re-hashes the media in one pass and compares.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from lccu.errors import ImageFormatError, InvalidInput
from lccu.hashing import Digests, hash_stream
from lccu.imaging.ewf_checksums import ChecksumErrors
from lccu.imaging.faults import ReadFault
from lccu.imaging.libyal import LibyalSource, load_binding, opening

if TYPE_CHECKING:
    from lccu.imaging.containers import Containers

KINDS = ("ewf", "ewf2")
EVF_SIGNATURE = b"EVF\x09\x0d\x0a\xff\x00"
_SEGMENT = re.compile(r"^(?P<stem>.*\.)(?P<letter>[EeSs]x?)(?P<suffix>[0-9A-Za-z]{2})$")


def ewf_segment_names(first_name: str, exists: Callable[[str], bool]) -> list[str]:
    """``x.E01`` (or ``x.Ex01``) and the following ``x.E02 .. x.E99, x.EAA ..`` that exist,
    in order."""
    match = _SEGMENT.match(first_name)
    if match is None or match["suffix"] != "01":
        return [first_name]
    stem, letter = match["stem"], match["letter"]
    upper = letter.isupper()
    names = [first_name]
    number = 2
    while True:
        if number <= 99:
            suffix = f"{number:02d}"
        else:  # after E99 libewf continues EAA, EAB, ... (letters then two more)
            rest = number - 100
            first_letter, rest = divmod(rest, 26 * 26)
            suffix = chr(ord("A") + rest // 26) + chr(ord("A") + rest % 26)
            if first_letter:
                break  # beyond EZZ: not supported
        candidate = stem + letter + (suffix if upper else suffix.lower())
        if not exists(candidate):
            return names
        names.append(candidate)
        number += 1
    return names


@dataclass(frozen=True)
class EwfInfo:
    """What the container says about the media it holds."""

    media_size: int
    bytes_per_sector: int
    stored_md5: str | None
    stored_sha1: str | None
    headers: dict[str, str]


class EwfSource(LibyalSource):
    """The media inside an EWF container, as a :class:`~lccu.imaging.stream.RangeSource`.

    A chunk that fails its checksum reads as zeros (libewf's behaviour) and is recorded in
    ``faults`` with its media offset and length, as libewf (and ``ewfverify``) list it.
    """

    def __init__(
        self,
        segments: Sequence[BinaryIO] = (),
        name: str = "EWF image",
        *,
        filenames: Sequence[str] = (),
    ) -> None:
        """Open from segment streams (S3) or, for local files, from ``filenames``.

        Local files go through libewf's own file pool, which keeps only a few segments open
        at once (a 2 TB image has over a thousand segments); streams share one block cache.
        """
        from lccu.imaging.stream import share_one_cache

        pyewf = load_binding("pyewf", "libewf-python", "E01 images")
        share_one_cache(list(segments))
        handle = pyewf.handle()
        try:
            with opening(name, "EWF image (corrupt, truncated or a segment missing)"):
                if filenames:
                    handle.open(list(filenames), "r")
                else:
                    handle.open_file_objects(list(segments), "r")
                self._checksums = ChecksumErrors(pyewf, handle)
                self._bytes_per_sector = int(handle.get_bytes_per_sector()) or 512
        except ImageFormatError:
            for segment in segments:
                segment.close()
            raise
        self._known_errors = 0
        super().__init__(handle, name, segments, "ewf")

    def _after_read(self) -> None:
        """Record the checksum errors libewf met in this read (chunk-sized sector ranges)."""
        if self._checksums.count() == self._known_errors:
            return
        for first, count in self._checksums.ranges(self._known_errors):
            self.faults.add(ReadFault(
                first * self._bytes_per_sector, count * self._bytes_per_sector,
                f"EWF chunk checksum error at sectors {first}-{first + count - 1}: the "
                "stored data does not match its checksum (corrupt container); read as zeros"))
            self._known_errors += 1

    def stored_hashes(self) -> dict[str, str]:
        """The MD5/SHA-1 of the media stored in the container at acquisition (those present)."""
        info = self.info()
        return {k: v for k, v in (("md5", info.stored_md5), ("sha1", info.stored_sha1)) if v}

    def info(self) -> EwfInfo:
        """Media size, sector size, stored hashes and acquisition header values."""

        def value(getter: Callable[[str], str | None], key: str) -> str | None:
            try:
                result = getter(key)
            except (OSError, KeyError):
                return None
            return result.strip().lower() if result else None

        with self._lock:
            try:
                headers = {k: str(v)
                           for k, v in (self._handle.get_header_values() or {}).items()}
            except OSError:
                headers = {}
            return EwfInfo(
                media_size=self.size,
                bytes_per_sector=self._bytes_per_sector,
                stored_md5=value(self._handle.get_hash_value, "MD5"),
                stored_sha1=value(self._handle.get_hash_value, "SHA1"),
                headers=headers,
            )


def open_ewf(
    first: str | os.PathLike[str] | Sequence[BinaryIO], name: str | None = None
) -> EwfSource:
    """The EWF image whose first local segment is ``first``, or given segment streams."""
    if isinstance(first, str | os.PathLike):
        path = Path(first)
        if path.is_dir():
            raise InvalidInput(f"{path} is a directory, not an EWF image; name the .E01 file")
        if not path.is_file():
            raise InvalidInput(f"{path}: no such image file; check the path")
        names = ewf_segment_names(str(path), lambda n: Path(n).is_file())
        return EwfSource(name=name or str(path), filenames=names)
    if not first:
        raise InvalidInput("an EWF image needs at least one segment")
    return EwfSource(list(first), name or str(getattr(first[0], "name", "EWF image")))


@dataclass(frozen=True)
class EwfVerification:
    """Stored hashes against the hashes of the media as read now, and the chunks that
    failed their checksum on the way."""

    info: EwfInfo
    computed: Digests
    faults: tuple[ReadFault, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no chunk failed its checksum and every stored hash is present in the
        container and matches (a corrupt chunk that held zeros changes no hash)."""
        checks = [
            (self.info.stored_md5, self.computed.md5),
            (self.info.stored_sha1, self.computed.sha1),
        ]
        present = [(stored, now) for stored, now in checks if stored]
        return (not self.faults and bool(present)
                and all(stored == now for stored, now in present))  # fmt: skip


def verify(source: EwfSource, progress: Callable[[int], None] | None = None) -> EwfVerification:
    """Hash the whole media in one pass and compare with the hashes stored at acquisition."""
    from lccu.imaging.stream import ImageStream

    stream = ImageStream(source, close_source=False)
    try:
        computed = hash_stream(stream, progress=progress)  # ImageStream satisfies SupportsRead
    finally:
        stream.close()
    return EwfVerification(info=source.info(), computed=computed,
                           faults=tuple(source.faults.faults()))


def open_ewf_files(names: Sequence[str], label: str) -> EwfSource:
    """Local segment files (``names`` in order), read through libewf's own file pool."""
    return EwfSource(name=label, filenames=list(names))


def open_containers(containers: Containers) -> EwfSource:
    """EWF segment streams, in segment order (libewf also checks the order itself)."""
    return EwfSource(containers.streams(), containers.label)
