"""NIST NSRL RDS 2.x ``NSRLFile.txt``: a CSV with a header line and quoted fields,
``"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"``
(the "modern" 2.x sets add ``"SHA-256"``). The columns are found by name."""

from __future__ import annotations

import csv
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

_NAMES = {"sha-1": "sha1", "md5": "md5", "sha-256": "sha256"}


def parse(path: Path, meter: Meter) -> Iterator[Entry | Malformed]:
    with text_lines(meter) as text:
        rows = csv.reader(text)
        header = next(rows, None)
        columns = {
            _NAMES[name.strip().lower()]: i
            for i, name in enumerate(header or [])
            if name.strip().lower() in _NAMES
        }
        if not columns:
            raise InvalidInput(
                f"{path} is not an NSRL RDS 2.x file: its first line names no "
                '"SHA-1", "MD5" or "SHA-256" column'
            )
        width = len(header or [])
        for row in rows:
            where = f"line {rows.line_num}"
            if not row:
                continue
            if len(row) != width:
                yield Malformed(where, f"{len(row)} fields, the header has {width}")
                continue
            try:
                hashes = {a: digest(a, row[i]) for a, i in columns.items()}
            except BadHash as exc:
                yield Malformed(where, str(exc))
                continue
            if not any(hashes.values()):
                yield Malformed(where, "no hash")
                continue
            yield entry(hashes)
