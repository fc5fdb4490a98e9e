"""A generic CSV hash list: a header line naming the columns ``md5``, ``sha1`` (or
``sha-1``), ``sha256`` (or ``sha-256``) and optionally ``category``; other columns are
ignored. For lists exported from other tools and spreadsheets."""

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

COLUMNS = {"md5": "md5", "sha1": "sha1", "sha-1": "sha1", "sha256": "sha256", "sha-256": "sha256"}


def parse(path: Path, meter: Meter) -> Iterator[Entry | Malformed]:
    with text_lines(meter) as text:
        rows = csv.reader(text)
        header = [c.strip().lower() for c in next(rows, None) or []]
        columns = {COLUMNS[c]: i for i, c in enumerate(header) if c in COLUMNS}
        if not columns:
            raise InvalidInput(f"{path}: the CSV header names no md5, sha1 or sha256 column")
        category = header.index("category") if "category" in header else None
        for row in rows:
            where = f"line {rows.line_num}"
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield Malformed(where, f"{len(row)} fields, the header has {len(header)}")
                continue
            try:
                hashes = {a: digest(a, row[i]) for a, i in columns.items()}
            except BadHash as exc:
                yield Malformed(where, str(exc))
                continue
            if not any(hashes.values()):
                yield Malformed(where, "no hash")
                continue
            label = row[category].strip() if category is not None else ""
            yield entry(hashes, label or None)
