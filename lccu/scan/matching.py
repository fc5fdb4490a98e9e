"""Turn yara-python match objects into :class:`Hit` records (shared by image and file scans)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yara

from lccu.scan.records import MATCHED_BYTES, Hit, Source

# lccu keeps only MATCHED_BYTES of each match, so libyara need not copy its default 512
# bytes per match: with a million matches that is the difference between 64 MB and 512 MB.
# (Process-wide setting; matched_length still reports the full length.)
yara.set_config(max_match_data=MATCHED_BYTES)


def to_hits(
    matches: Iterable[Any],
    *,
    source: Source,
    base: int = 0,
    keep: Callable[[int], bool] | None = None,
    keep_stringless: bool = True,
    limit: int | None = None,
) -> tuple[list[Hit], int]:
    """Hits sorted by offset (at most ``limit``, the lowest offsets) and how many there were.

    One hit per string instance, offsets shifted by ``base``, filtered by ``keep(offset)``.
    Rules matching without any string instance give one hit with ``offset=None`` when
    ``keep_stringless`` (per-file scans); image scans leave them out (see image.py).
    ``limit`` keeps a segment with a million matches from becoming a million records.
    """
    found: list[tuple[int, str, str, str, int, Any]] = []  # offset, ns, rule, ident, idx, inst
    shared: list[tuple[str, str, tuple[str, ...], dict[str, Any]]] = []
    stringless: list[Hit] = []
    total = 0

    def candidates() -> Iterator[tuple[int, str, str, str, int, Any]]:
        nonlocal total
        for m in matches:
            idx = len(shared)
            shared.append((m.rule, m.namespace, tuple(m.tags), dict(m.meta)))
            if not any(s.instances for s in m.strings):
                if keep_stringless:
                    total += 1
                    stringless.append(
                        Hit(m.rule, m.namespace, *shared[idx][2:], None, None, "", 0, None, source)
                    )
                continue
            for s in m.strings:
                for inst in s.instances:
                    offset = base + inst.offset
                    if keep is None or keep(offset):
                        total += 1
                        yield (offset, m.namespace, m.rule, s.identifier, idx, inst)

    if limit is None:
        found = sorted(candidates(), key=lambda c: c[:4])
    else:
        found = heapq.nsmallest(limit, candidates(), key=lambda c: c[:4])
    hits = list(stringless if limit is None else stringless[:limit])
    room = None if limit is None else limit - len(hits)
    for offset, _ns, _rule, ident, idx, inst in found[:room]:
        rule, namespace, tags, meta = shared[idx]
        matched = bytes(inst.matched_data[:MATCHED_BYTES]).hex()
        hits.append(Hit(rule, namespace, tags, meta, ident, offset, matched,
                        inst.matched_length, None, source))
    return hits, total


def too_many_matches_collector() -> tuple[list[str], Callable[[int, Any], int]]:
    """A yara warnings callback that notes strings that hit YARA's per-scan match limit."""
    noted: list[str] = []

    def callback(warning_type: int, message: Any) -> int:
        if warning_type == yara.CALLBACK_TOO_MANY_MATCHES:
            noted.append(f"{message.namespace}:{message.rule}:{message.string}")
        return yara.CALLBACK_CONTINUE

    return noted, callback
