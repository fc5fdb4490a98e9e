"""Marking the files of a report with the hash sets they are in.

Every record of ``files[]``, ``carved[]`` and ``members[]`` gets ``hashsets``: one
``{name, version, kind, category}`` per set version (and category) that holds one of its
hashes (by whatever hash types that set has), notable before known; an empty list when
none. The same function serves ``lccu scan`` and the processing runs' ``hashsets`` stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lccu.hashsets.store import HashSetStore

LISTS = ("files", "carved", "members")
_ALGORITHMS = ("md5", "sha1", "sha256")


def record_digests(record: Mapping[str, Any]) -> list[bytes]:
    out = []
    for algorithm in _ALGORITHMS:
        value = record.get(algorithm)
        if isinstance(value, str) and value:
            try:
                out.append(bytes.fromhex(value))
            except ValueError:
                continue
    return out


def match(
    store: HashSetStore, sets: Sequence[dict[str, Any]], records: Iterable[Mapping[str, Any]]
) -> dict[bytes, list[dict[str, Any]]]:
    """Hits per digest: for each digest of ``records`` found in a set version of ``sets``,
    its ``{name, version, kind, category}`` entries."""
    digests = {d for record in records for d in record_digests(record)}
    hits: dict[bytes, list[dict[str, Any]]] = {}
    for ref in sets:
        for value, categories in store.lookup(ref, digests).items():
            for category in sorted(categories, key=lambda c: (c is not None, c or "")):
                hits.setdefault(value, []).append(
                    {
                        "name": ref["name"],
                        "version": ref["version"],
                        "kind": ref["kind"],
                        "category": category,
                    }
                )
    return hits


def hits_of(
    record: Mapping[str, Any], hits: Mapping[bytes, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The record's entries, each set version and category once, notable first."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for value in record_digests(record):
        for hit in hits.get(value, ()):
            seen.setdefault((hit["name"], hit["version"], hit["category"]), hit)
    return sorted(
        seen.values(),
        key=lambda h: (h["kind"] != "notable", h["name"], h["version"], h["category"] or ""),
    )


def annotate(report: dict[str, Any], hits: Mapping[bytes, list[dict[str, Any]]]) -> None:
    """Set ``hashsets`` on every record of the report's lists."""
    for key in LISTS:
        for record in report.get(key) or []:
            record["hashsets"] = hits_of(record, hits)


def used(sets: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's top-level ``hashsets``: the set versions every file was looked up in."""
    return [
        {
            "name": s["name"],
            "version": s["version"],
            "kind": s["kind"],
            "hash_types": list(s.get("hash_types", ())),
            **({"source_sha256": s["source_sha256"]} if s.get("source_sha256") else {}),
        }
        for s in sets
    ]


def counts(report: Mapping[str, Any]) -> dict[str, int]:
    """Files (of all three lists) with at least one known / notable entry."""
    known = notable = 0
    for key in LISTS:
        for record in report.get(key) or []:
            kinds = {h["kind"] for h in record.get("hashsets") or ()}
            known += "known" in kinds
            notable += "notable" in kinds
    return {"known": known, "notable": notable}
