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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_weaker_hash_asked_only_when_an_entry_has_it_alone(
    make_lab: Callable[..., Lab], tmp_path: Path
) -> None:
    """A set whose every entry has SHA-1 and MD5 is never asked by MD5 for files its SHA-1s
    missed (a match there would be an MD5 collision); a set with MD5-only entries is, and
    finds the file by MD5; versions of unknown combinations are asked by every hash."""
    admin = make_lab("admin")
    both = tmp_path / "both.csv"
    both.write_text("md5,sha1\n" + "".join(f"{_h(i)['md5']},{_h(i)['sha1']}\n" for i in range(4)))
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(both.read_text() + "".join(f"{_h(i)['md5']},\n" for i in range(4, 6)))
    full = admin.hashset_import("both", both, kind="known")
    some = admin.hashset_import("mixed", mixed, kind="notable")
    assert (full.hash_combos, some.hash_combos) == ([3], [1, 3])
    # file 9 has the SHA-1 of nothing and (as if colliding) the MD5 of entry 0
    records = [{**_h(i), "path": f"/{i}"} for i in range(6)]
    records.append({**_h(9), "md5": _h(0)["md5"], "path": "/9"})
    store = admin.hashsets
    asked: list[tuple[str, int]] = []
    real = store.lookup

    def counting(ref: dict[str, object], digests: object) -> dict[bytes, set[str | None]]:
        wanted = set(digests)  # type: ignore[call-overload]
        asked.append((str(ref["name"]), len(wanted)))
        return real(ref, wanted)

    store.lookup = counting  # type: ignore[method-assign]
    hits = lookup.match(store, [full.ref()], records)
    assert asked == [("both", 7)]  # SHA-1 only: no MD5 pass at all
    assert [r["path"] for r in records if lookup.hits_of(r, hits)] == ["/0", "/1", "/2", "/3"]
    asked.clear()
    hits = lookup.match(store, [some.ref()], records)
    assert asked == [("mixed", 7), ("mixed", 3)]  # the 3 SHA-1 misses asked by MD5
    found = [r["path"] for r in records if lookup.hits_of(r, hits)]
    assert found == ["/0", "/1", "/2", "/3", "/4", "/5", "/9"]
    asked.clear()
    unknown = {**full.ref(), "hash_combos": None}  # a version from before migration 0018
    hits = lookup.match(store, [unknown], records)
    assert asked == [("both", 7), ("both", 3)]
    assert "/9" in [r["path"] for r in records if lookup.hits_of(r, hits)]
