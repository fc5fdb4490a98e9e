"""EWF (E01, split E01..Enn) read through libewf over file objects.

``pyewf.handle().open_file_objects`` lets libewf read each segment from any seekable
binary stream, so an E01 kept in S3 is decoded through ranged GETs without a local copy.
The container's stored MD5/SHA-1 (written at acquisition) are exposed, and
:func:`verify` re-hashes the media in one pass and compares.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lccu.errors import ImageFormatError, InvalidInput
from lccu.hashing import Digests, hash_stream

EVF_SIGNATURE = b"EVF\x09\x0d\x0a\xff\x00"
_SEGMENT = re.compile(r"^(?P<stem>.*\.)(?P<letter>[EeSs])(?P<suffix>[0-9A-Za-z]{2})$")


def _pyewf():  # type: ignore[no-untyped-def]
    try:
        import pyewf
    except ImportError as exc:  # a missing optional library fails loudly
        raise ImageFormatError(
            "reading E01 images needs libewf's Python binding: pip install libewf-python"
        ) from exc
    return pyewf


def ewf_segment_names(first_name: str, exists: Callable[[str], bool]) -> list[str]:
    """``x.E01`` and the following ``x.E02 .. x.E99, x.EAA ..`` that exist, in order."""
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


class EwfSource:
    """The media inside an EWF container, as a :class:`~lccu.imaging.stream.RangeSource`."""

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

        pyewf = _pyewf()
        self.name = name
        self._segments = list(segments)
        share_one_cache(list(self._segments))
        self._lock = threading.Lock()  # libewf handles are not safe for concurrent reads
        self._handle = pyewf.handle()
        try:
            if filenames:
                self._handle.open(list(filenames), "r")
            else:
                self._handle.open_file_objects(self._segments, "r")
            self.size = int(self._handle.get_media_size())
        except (OSError, ValueError, TypeError) as exc:
            self._close_segments()
            raise ImageFormatError(
                f"{name}: not a readable EWF image (corrupt, truncated or a segment missing):"
                f" {exc}"
            ) from exc
        if self.size <= 0:
            self.close()
            raise ImageFormatError(f"{name}: EWF container reports no media data")

    def info(self) -> EwfInfo:
        """Media size, sector size, stored hashes and acquisition header values."""

        def value(getter: Callable[[str], str | None], key: str) -> str | None:
            try:
                result = getter(key)
            except (OSError, KeyError):
                return None
            return result.strip().lower() if result else None

        try:
            headers = {k: str(v) for k, v in (self._handle.get_header_values() or {}).items()}
        except OSError:
            headers = {}
        return EwfInfo(
            media_size=self.size,
            bytes_per_sector=int(self._handle.get_bytes_per_sector()),
            stored_md5=value(self._handle.get_hash_value, "MD5"),
            stored_sha1=value(self._handle.get_hash_value, "SHA1"),
            headers=headers,
        )

    def read_range(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        if length == 0:
            return b""
        with self._lock:
            try:
                data = self._handle.read_buffer_at_offset(length, offset)
            except OSError as exc:
                raise ImageFormatError(
                    f"{self.name}: cannot decode {length} bytes at media offset {offset}"
                    f" (corrupt or truncated chunk): {exc}"
                ) from exc
        return bytes(data)

    def _close_segments(self) -> None:
        for segment in self._segments:
            segment.close()

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._close_segments()


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
    """Stored hashes against the hashes of the media as read now."""

    info: EwfInfo
    computed: Digests

    @property
    def ok(self) -> bool:
        """True when every stored hash is present in the container and matches."""
        checks = [
            (self.info.stored_md5, self.computed.md5),
            (self.info.stored_sha1, self.computed.sha1),
        ]
        present = [(stored, now) for stored, now in checks if stored]
        return bool(present) and all(stored == now for stored, now in present)


def verify(source: EwfSource, progress: Callable[[int], None] | None = None) -> EwfVerification:
    """Hash the whole media in one pass and compare with the hashes stored at acquisition."""
    from lccu.imaging.stream import ImageStream

    stream = ImageStream(source, close_source=False)
    try:
        computed = hash_stream(stream, progress=progress)  # ImageStream satisfies SupportsRead
    finally:
        stream.close()
    return EwfVerification(info=source.info(), computed=computed)
