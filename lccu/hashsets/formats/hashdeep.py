"""hashdeep (and md5deep ``-c``) output: ``%%%% HASHDEEP-1.0``, a ``%%%% size,md5,...``
line naming the columns, ``##`` comment lines, then one CSV line per file whose last
column, the file name, may itself hold commas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lccu.errors import InvalidInput
from lccu.hashsets.formats.common import (
    BadHash,
    Entry,
    Malformed,
    Meter,
    digest,
    entry,
    text_lines,
)

_ALGORITHMS = {"md5": "md5", "sha1": "sha1", "sha256": "sha256"}


def parse(path: Path, meter: Meter) -> Iterator[Entry | Malformed]:
    columns: list[str] | None = None
    with text_lines(meter) as lines:
        for number, raw in enumerate(lines, 1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.startswith("##"):
                continue
            if line.startswith("%%%%"):
                body = line[4:].strip()
                if not body.upper().startswith("HASHDEEP"):
                    columns = [c.strip().lower() for c in body.split(",")]
                continue
            if columns is None:
                raise InvalidInput(
                    f"{path} is not hashdeep output: line {number} comes "
                    "before the %%%% line naming the columns"
                )
            fields = line.split(",", len(columns) - 1)
            if len(fields) != len(columns):
                yield Malformed(
                    f"line {number}", f"{len(fields)} fields, the header has {len(columns)}"
                )
                continue
            try:
                hashes = {
                    _ALGORITHMS[c]: digest(_ALGORITHMS[c], v)
                    for c, v in zip(columns, fields, strict=True)
                    if c in _ALGORITHMS
                }
            except BadHash as exc:
                yield Malformed(f"line {number}", str(exc))
                continue
            if not any(hashes.values()):
                yield Malformed(f"line {number}", "no hash")
                continue
            yield entry(hashes)
