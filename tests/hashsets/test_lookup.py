"""Lookups in rounds and imports in batches: what crosses a round or batch boundary is
found exactly once, a digest in two sets gets both, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from lccu.evidence.lab import Lab
from lccu.hashsets import lookup


def _h(i: int) -> dict[str, str]:
    data = f"content {i}".encode()
    return {a: hashlib.new(a, data).hexdigest() for a in ("md5", "sha1", "sha256")}


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_rounds_and_batches(
    make_lab: Callable[..., Lab], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = make_lab("admin")
    (tmp_path / "a.csv").write_text(
        "md5,sha256,category\n"
        + "".join(f"{_h(i)['md5']},{_h(i)['sha256']},cat{i % 3}\n" for i in range(10))
    )
    (tmp_path / "b.sha1").write_text("".join(f"{_h(i)['sha1']}  f{i}\n" for i in range(5, 15)))
    # batches of 3 digests: 20 digests of set a in 7 transactions
    a = admin.hashsets.import_file(
        "a", tmp_path / "a.csv", kind="notable", imported_by="admin", batch=3
    )
    assert (a.entries, a.hashes, a.categories) == (10, 20, ["cat0", "cat1", "cat2"])
    b = admin.hashset_import("b", tmp_path / "b.sha1", kind="known")
    monkeypatch.setattr(lookup, "RECORDS_PER_ROUND", 4)
    records = [{**_h(i), "path": f"/{i}"} for i in range(20)]
    records += records[:8]  # the same content again, in a later round
    hits = lookup.match(admin.hashsets, [a.ref(), b.ref()], records)
    for record in records:
        i = int(record["path"][1:])
        got = [(h["name"], h["category"]) for h in lookup.hits_of(record, hits)]
        want = ([("a", f"cat{i % 3}")] if i < 10 else []) + ([("b", None)] if 5 <= i < 15 else [])
        assert got == want, (i, got)
