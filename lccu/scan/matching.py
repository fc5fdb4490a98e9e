"""Turn engine matches (:class:`lccu.scan.engines.RuleMatch`) into :class:`Hit` records (shared
by image and file scans, whichever engine matched)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lccu.scan.engines import RuleMatch
from lccu.scan.records import MATCHED_BYTES, Hit, Source

Candidate = tuple[int, str, str, str, int, int, "bytes | None"]


def to_hits(
    matches: Iterable[RuleMatch],
    *,
    source: Source,
    base: int = 0,
    keep: Callable[[int], bool] | None = None,
    keep_stringless: bool = True,
    limit: int | None = None,
    read: Callable[[int, int], bytes] | None = None,
) -> tuple[list[Hit], int]:
    """Hits sorted by offset (at most ``limit``, the lowest offsets) and how many there were.

    One hit per string instance, offsets shifted by ``base``, filtered by ``keep(offset)``.
    Rules matching without any string instance give one hit with ``offset=None`` when
    ``keep_stringless`` (per-file scans); image scans leave them out (see image.py).
    ``limit`` keeps a segment with a million matches from becoming a million records.
    ``read(offset, length)`` gives the matched bytes the engine did not return (offsets
    before ``base`` is added), only for the hits kept.
    """
    shared: list[tuple[str, str, tuple[str, ...], dict[str, Any]]] = []
    stringless: list[Hit] = []
    total = 0

    def candidates() -> Iterator[Candidate]:
        nonlocal total
        for m in matches:
            idx = len(shared)
            shared.append((m.rule, m.namespace, m.tags, m.meta))
            if not m.instances:
                if keep_stringless:
                    total += 1
                    stringless.append(
                        Hit(m.rule, m.namespace, m.tags, m.meta, None, None, "", 0, None, source))
                continue
            for ident, offset, length, raw in m.instances:
                at = base + offset
                if keep is None or keep(at):
                    total += 1
                    yield (at, m.namespace, m.rule, ident, idx, length, raw)

    if limit is None:
        found = sorted(candidates(), key=lambda c: c[:4])
    else:
        found = heapq.nsmallest(limit, candidates(), key=lambda c: c[:4])
    hits = list(stringless if limit is None else stringless[:limit])
    room = None if limit is None else limit - len(hits)
    for offset, _ns, _rule, ident, idx, length, raw in found[:room]:
        rule, namespace, tags, meta = shared[idx]
        if raw is None:
            raw = read(offset - base, min(length, MATCHED_BYTES)) if read is not None else b""
        hits.append(Hit(rule, namespace, tags, meta, ident, offset, raw[:MATCHED_BYTES].hex(),
                        length, None, source))
    return hits, total
