"""Marking the files of a report with the hash sets they are in.

Every record of ``files[]``, ``carved[]`` and ``members[]`` gets ``hashsets``: one
``{name, version, kind, category}`` per set version (and category) that holds one of its
hashes (by whatever hash types that set has), notable before known; an empty list when
none. The same function serves ``lccu scan`` and the processing runs' ``hashsets`` stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lccu.errors import LccuError
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


#: records looked up per round: memory holds one round's records (plus the hits)
RECORDS_PER_ROUND = 50_000
#: the order a file's hashes are asked for: a file found by its SHA-256 (or SHA-1) is not
#: asked for again by a weaker hash of the same set; one not found is
STRONGEST_FIRST = ("sha256", "sha1", "md5")
_HEX = {"md5": 32, "sha1": 40, "sha256": 64}


def _digest(record: Mapping[str, Any], algorithm: str) -> bytes | None:
    value = record.get(algorithm)
    if not isinstance(value, str) or len(value) != _HEX[algorithm]:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def match(
    store: HashSetStore,
    sets: Sequence[dict[str, Any]],
    records: Iterable[Mapping[str, Any]],
) -> dict[bytes, list[dict[str, Any]]]:
    """Hits per digest: for each digest of ``records`` found in a set version of ``sets``,
    its ``{name, version, kind, category}`` entries.

    Every hash type a set has is used, strongest first: a file whose SHA-1 is in an NSRL
    set is not also asked for by MD5, a file whose SHA-1 is not is (a row may give only an
    MD5). Records are looked up in rounds of :data:`RECORDS_PER_ROUND`, so memory follows
    the hits, not the number of files."""
    hits: dict[bytes, list[dict[str, Any]]] = {}
    if not sets:
        return hits
    seen: list[set[bytes]] = [set() for _ in sets]  # digests known to be in each set
    entries: list[dict[str | None, dict[str, Any]]] = [{} for _ in sets]
    batch: list[Mapping[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) >= RECORDS_PER_ROUND:
            _round(store, sets, batch, hits, seen, entries)
            batch = []
    _round(store, sets, batch, hits, seen, entries)
    return hits


def _decoded(batch: list[Mapping[str, Any]], algorithm: str) -> list[bytes | None]:
    """Each record's ``algorithm`` digest as bytes (None when absent or not hex of the
    right length), decoded once per round whatever the number of sets."""
    width = _HEX[algorithm]
    fromhex = bytes.fromhex
    out: list[bytes | None] = []
    append = out.append
    for record in batch:
        value = record.get(algorithm)
        if value.__class__ is str and len(value) == width:
            try:
                append(fromhex(value))
            except ValueError:
                append(None)
        else:
            append(None)
    return out


_BIT = {"md5": 1, "sha1": 2, "sha256": 4}


def _worth_asking(
    pending: Sequence[int],
    algorithm: str,
    asked_types: Sequence[str],
    combos: Sequence[int],
    decoded: Mapping[str, Sequence[bytes | None]],
) -> list[int]:
    """The pending records that could still be in the set by ``algorithm``: an entry
    matching one by this hash must have it, and no stronger hash the record was already
    asked by and missed (else that stronger hash would have matched, barring a
    collision). With the set's combinations of hash types known, an NSRL set whose every
    row has SHA-1 and MD5 is not asked by MD5 for the files its SHA-1s missed."""
    bit = _BIT[algorithm]
    possible = [c for c in combos if c & bit]
    masks: dict[int, bool] = {}
    kept = []
    for i in pending:
        asked = 0
        for a in asked_types:
            if decoded[a][i] is not None:
                asked |= _BIT[a]
        worth = masks.get(asked)
        if worth is None:
            worth = masks[asked] = any(not c & asked for c in possible)
        if worth:
            kept.append(i)
    return kept


def _round(
    store: HashSetStore,
    sets: Sequence[dict[str, Any]],
    batch: list[Mapping[str, Any]],
    hits: dict[bytes, list[dict[str, Any]]],
    seen: list[set[bytes]],
    entries: list[dict[str | None, dict[str, Any]]],
) -> None:
    decoded: dict[str, list[bytes | None]] = {}
    for index, ref in enumerate(sets):
        known = seen[index]
        made = entries[index]
        pending: Sequence[int] = range(len(batch))  # records not found in this set yet
        combos = ref.get("hash_combos")
        asked_types: list[str] = []
        for algorithm in (a for a in STRONGEST_FIRST if a in ref.get("hash_types", ())):
            digests = decoded.get(algorithm)
            if digests is None:
                digests = decoded[algorithm] = _decoded(batch, algorithm)
            if combos is not None and asked_types:
                pending = _worth_asking(pending, algorithm, asked_types, combos, decoded)
                if not pending:
                    break
            asked_types.append(algorithm)
            asked = {d for d in (digests[i] for i in pending) if d is not None}
            found = store.lookup(ref, asked - known)
            known.update(found)
            for value, categories in found.items():
                listed = hits.setdefault(value, [])
                for category in categories:
                    entry = made.get(category)
                    if entry is None:  # one (read-only) dict per set and category
                        entry = made[category] = {
                            "name": ref["name"],
                            "version": ref["version"],
                            "kind": ref["kind"],
                            "category": category,
                        }
                    listed.append(entry)
            pending = [i for i in pending if digests[i] is None or digests[i] not in known]
            if not pending:
                break


def hits_of(
    record: Mapping[str, Any], hits: Mapping[bytes, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The record's entries, each set version and category once, notable first."""
    if not hits:
        return []
    found: list[dict[str, Any]] = []
    fromhex = bytes.fromhex
    for algorithm in _ALGORITHMS:
        value = record.get(algorithm)
        if value.__class__ is str and value:
            try:
                listed = hits.get(fromhex(value))
            except ValueError:
                continue
            if listed:
                found.extend(listed)
    if len(found) <= 1:
        return found
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for hit in found:
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


#: where a stage result holds each list of records (stage, key)
SOURCES = {
    "files": ("files", "files"),
    "carved": ("carve", "carved"),
    "members": ("archives", "members"),
}


def records_of(results: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
    """Every file, carved file and archive member in a run's stage results."""
    return [
        r
        for stage, key in SOURCES.values()
        for result in results.get(stage, ())
        for r in result.get(key, ())
    ]


def stage_result(
    store: HashSetStore,
    sets: Sequence[dict[str, Any]],
    records: Sequence[Mapping[str, Any]],
    warnings: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    """The ``hashsets`` stage's result: the set versions used, the hits per digest (hex;
    only digests that hit), how many records are known and notable. ``lccu scan`` makes
    the same one, so both reports come out of one assembly."""
    hits = match(store, sets, records)
    kinds = [{h["kind"] for h in hits_of(r, hits)} for r in records]
    return {
        "hashsets": used(sets),
        "hits": {d.hex(): v for d, v in sorted(hits.items())},
        "known": sum("known" in k for k in kinds),
        "notable": sum("notable" in k for k in kinds),
        "errors": [],
        "warnings": list(warnings),
    }


def mark(report: dict[str, Any], results: Sequence[Mapping[str, Any]]) -> None:
    """Put a ``hashsets`` stage result's hits on every record of ``report`` (each gets
    ``hashsets``, empty when none) and name the set versions used; without one (no set
    was active, or the stage failed: its reason is in ``errors``) every list is empty."""
    if not results:
        no_lookup(report)
        return
    annotate(report, {bytes.fromhex(k): v for k, v in results[0]["hits"].items()})
    report["hashsets"] = list(results[0]["hashsets"])


class HashSetLookup:
    """The set versions a scan looks its files up in, and the store that holds them."""

    def __init__(
        self,
        store: HashSetStore,
        sets: Sequence[dict[str, Any]],
        warnings: Sequence[dict[str, str]] = (),
    ) -> None:
        self.store = store
        self.sets = list(sets)
        self.warnings = list(warnings)

    def result(self, results: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
        """The scan's ``hashsets`` stage result over its other stages' results; a set
        that cannot be read is an ``errors`` entry (its files are then not marked)."""
        records = records_of(results)
        try:
            return stage_result(self.store, self.sets, records, self.warnings)
        except LccuError as exc:
            return {
                "hashsets": [],
                "hits": {},
                "known": 0,
                "notable": 0,
                "errors": [{"where": "hash sets", "message": str(exc)}],
                "warnings": list(self.warnings),
            }


def notable_sha256s(report: Mapping[str, Any]) -> list[str]:
    """The SHA-256 of every file, carved file and member of ``report`` in a notable set:
    what a case offers for cross-zone hit/no-hit (known files never are)."""
    found = {
        str(record["sha256"]).lower()
        for key in LISTS
        for record in report.get(key) or []
        if isinstance(record.get("sha256"), str)
        and len(record["sha256"]) == _HEX["sha256"]
        and any(hit.get("kind") == "notable" for hit in record.get("hashsets") or [])
    }
    return sorted(found)


def no_lookup(report: dict[str, Any]) -> None:
    """A report of a scan without hash sets still says so: every ``hashsets`` is empty."""
    annotate(report, {})
    report["hashsets"] = []
