"""``md5sum``, ``sha1sum`` and ``sha256sum`` output: GNU (``HASH  name``, ``HASH *name``,
a leading backslash for escaped names) and BSD tagged (``MD5 (name) = HASH``) lines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from lccu.hashsets.formats.common import (
    HEX_LENGTHS,
    BadHash,
    Entry,
    Malformed,
    Meter,
    digest,
    entry,
    text_lines,
)

_TAGS = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}
_GNU = re.compile(r"^\\?([0-9A-Fa-f]+) [ *]")
_BSD = re.compile(r"^(MD5|SHA1|SHA256) \(.*\) = ([0-9A-Fa-f]+)\s*$")


def sniff(line: str) -> str | None:
    """``md5``, ``sha1`` or ``sha256`` when ``line`` looks like that tool's output."""
    found = _GNU.match(line)
    if found:
        return next((a for a, n in HEX_LENGTHS.items() if n == len(found.group(1))), None)
    tagged = _BSD.match(line.strip())
    if tagged:
        return {v: k for k, v in _TAGS.items()}[tagged.group(1)]
    return None


def parser(algorithm: str) -> Callable[[Path, Meter], Iterator[Entry | Malformed]]:
    def parse(_path: Path, meter: Meter) -> Iterator[Entry | Malformed]:
        with text_lines(meter) as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                found = _GNU.match(line)
                value = found.group(1) if found else None
                if value is None:
                    tagged = _BSD.match(line.strip())
                    if tagged and tagged.group(1) == _TAGS[algorithm]:
                        value = tagged.group(2)
                if value is None:
                    yield Malformed(f"line {number}", f"not a {algorithm}sum line")
                    continue
                try:
                    yield entry({algorithm: digest(algorithm, value)})
                except BadHash as exc:
                    yield Malformed(f"line {number}", str(exc))

    parse.__doc__ = f"Rows of ``{algorithm}sum`` output."
    return parse
