"""NIST NSRL RDSv3: an SQLite database whose ``FILE`` table holds ``sha256``, ``sha1``,
``md5`` (upper-case hex), ``file_name``, ``file_size`` and ``package_id``. Read-only, row by
row in ``rowid`` order."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from lccu.errors import InvalidInput
from lccu.hashsets.formats.common import BadHash, Entry, Malformed, Meter, digest, entry

_ALGORITHMS = ("md5", "sha1", "sha256")


def parse(path: Path, meter: Meter) -> Iterator[Entry | Malformed]:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInput(f"cannot open {path} as an NSRL RDSv3 database: {exc}") from exc
    try:
        try:
            names = [row[1].lower() for row in db.execute('PRAGMA table_info("FILE")')]
            total = db.execute('SELECT max(rowid) FROM "FILE"').fetchone()[0] or 0
        except sqlite3.Error as exc:
            raise InvalidInput(f"{path} is not an NSRL RDSv3 database: {exc}") from exc
        present = [a for a in _ALGORITHMS if a in names]
        if not present:
            raise InvalidInput(
                f"{path} is not an NSRL RDSv3 database: it has no FILE table "
                "with sha256, sha1 or md5 columns"
            )
        size = path.stat().st_size
        columns = ", ".join(f'"{a}"' for a in present)
        cursor = db.execute(f'SELECT rowid, {columns} FROM "FILE" ORDER BY rowid')
        for count, (rowid, *values) in enumerate(cursor, 1):
            if count % 4096 == 0 and total:
                meter.count = size * min(rowid, total) // total
            try:
                hashes = {
                    a: digest(a, v if isinstance(v, str) else None)
                    for a, v in zip(present, values, strict=True)
                }
                for a, v in zip(present, values, strict=True):
                    if v is not None and not isinstance(v, str):
                        raise BadHash(f"{a.upper()} is not text")
            except BadHash as exc:
                yield Malformed(f"FILE row {rowid}", str(exc))
                continue
            if not any(hashes.values()):
                yield Malformed(f"FILE row {rowid}", "no hash")
                continue
            yield entry(hashes)
        meter.count = size
    except sqlite3.Error as exc:
        raise InvalidInput(f"cannot read {path} as an NSRL RDSv3 database: {exc}") from exc
    finally:
        db.close()
