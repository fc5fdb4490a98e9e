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
        md5, sha1, sha256 = (columns.get(a) for a in ("md5", "sha1", "sha256"))
        for row in rows:
            if not row:
                continue
            if len(row) != width:
                yield Malformed(
                    f"line {rows.line_num}", f"{len(row)} fields, the header has {width}"
                )
                continue
            try:
                found = Entry(
                    digest("md5", row[md5]) if md5 is not None else None,
                    digest("sha1", row[sha1]) if sha1 is not None else None,
                    digest("sha256", row[sha256]) if sha256 is not None else None,
                )
            except BadHash as exc:
                yield Malformed(f"line {rows.line_num}", str(exc))
                continue
            if found.md5 is None and found.sha1 is None and found.sha256 is None:
                yield Malformed(f"line {rows.line_num}", "no hash")
                continue
            yield found
