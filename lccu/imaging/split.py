"""Split raw images (``.001/.002``, ``.000/.001``, ``aa/ab``) presented as one source.

Segment names are derived from the first segment's name and probed with an ``exists``
callable, so the same rule serves local paths and S3 keys.
"""

from __future__ import annotations

import bisect
import os
import re
import string
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lccu.errors import ImageFormatError, InvalidInput
from lccu.imaging.raw import FileSource, StreamSource
from lccu.imaging.stream import RangeSource

if TYPE_CHECKING:
    from lccu.imaging.containers import Containers

KINDS: tuple[str, ...] = ()  # segments of raw data: no signature

_NUMERIC = re.compile(r"^(?P<stem>.*\.)(?P<number>\d{3,})$")
_TRAILING_A = re.compile(r"a{2,}$")
MAX_SEGMENTS = 100_000


def _numeric_names(stem: str, first: int, width: int) -> Iterator[str]:
    number = first
    while True:
        yield f"{stem}{number:0{width}d}"
        number += 1


def _alpha_names(stem: str, start: str) -> Iterator[str]:
    letters = string.ascii_lowercase
    width = len(start)
    value = 0
    for char in start:
        value = value * 26 + letters.index(char)
    while value < 26**width:
        digits, rest = [], value
        for _ in range(width):
            rest, digit = divmod(rest, 26)
            digits.append(letters[digit])
        yield stem + "".join(reversed(digits))
        value += 1


def split_schemes(first_name: str) -> list[Iterator[str]]:
    """Candidate name series that ``first_name`` may start (empty if it is not split-like).

    ``image.001`` and ``image.000`` count up in the same width; ``imageaa`` or ``image.aaa``
    count ``aa, ab, ... zz`` like coreutils ``split`` (suffix width 2 or 3; both are tried
    when the stem itself ends in ``a``). Only a name that starts a series (``.000``,
    ``.001``, ``aa``) qualifies, so ``image.E01``, ``image.002`` or ``notes.txt`` do not.
    """
    base = first_name.rsplit("/", 1)[-1]
    head = first_name[: len(first_name) - len(base)]
    match = _NUMERIC.match(base)
    if match and int(match["number"]) in (0, 1):
        number = match["number"]
        return [_numeric_names(head + match["stem"], int(number), len(number))]
    match = _TRAILING_A.search(base)
    if match is None:
        return []
    widths = [3, 2] if len(match.group()) >= 3 else [2]
    return [
        _alpha_names(head + base[:-width], "a" * width)
        for width in widths
        if len(base) > width
    ]


def segment_names(first_name: str, exists: Callable[[str], bool]) -> list[str]:
    """All existing segments of the series that ``first_name`` starts, in order."""
    best = [first_name]
    for scheme in split_schemes(first_name):
        names: list[str] = []
        for name in scheme:
            if len(names) >= MAX_SEGMENTS or not exists(name):
                break
            names.append(name)
        if len(names) > len(best):
            best = names
    return best


class SplitSource:
    """Several segment sources concatenated into one address space."""

    def __init__(self, segments: Sequence[RangeSource], name: str | None = None) -> None:
        if not segments:
            raise InvalidInput("a split image needs at least one segment")
        self.segments = list(segments)
        self.name = name or f"{segments[0].name} (+{len(segments) - 1} segments)"
        self._starts: list[int] = []
        total = 0
        for segment in self.segments:
            self._starts.append(total)
            total += segment.size
        self.size = total

    def read_range(self, offset: int, length: int) -> bytes:
        end = min(self.size, offset + length)
        pieces = []
        index = bisect.bisect_right(self._starts, offset) - 1
        while offset < end and index < len(self.segments):
            segment, start = self.segments[index], self._starts[index]
            want = min(end, start + segment.size) - offset
            data = segment.read_range(offset - start, want)
            if len(data) != want:
                raise ImageFormatError(
                    f"{segment.name}: segment shorter than when opened; it changed or is truncated",
                    key="segment_shrunk", params={"file": segment.name},
                )
            pieces.append(data)
            offset += want
            index += 1
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def close(self) -> None:
        for segment in self.segments:
            segment.close()


def open_split(first: str | os.PathLike[str]) -> SplitSource:
    """The split raw image whose first local segment is ``first``."""
    names = segment_names(str(first), lambda name: Path(name).is_file())
    sources: list[RangeSource] = []
    try:
        for name in names:
            sources.append(FileSource(name))
    except Exception:
        for source in sources:
            source.close()
        raise
    return SplitSource(sources, name=f"{first} ({len(sources)} segments)")


def open_containers(containers: Containers) -> SplitSource:
    """Raw segment streams, in the order given, as one media (one cache budget for all)."""
    from lccu.imaging.stream import share_one_cache

    streams = containers.streams()
    share_one_cache(list(streams))
    return SplitSource([StreamSource(s, c.name) for s, c in zip(streams, containers, strict=True)],
                       name=f"{containers.label} ({len(streams)} segments)")
