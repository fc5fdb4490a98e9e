"""Turn yara-python match objects into :class:`Hit` records (shared by image and file scans)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import yara

from lccu.scan.records import MATCHED_BYTES, Hit, Source


def to_hits(
    matches: Iterable[Any],
    *,
    source: Source,
    base: int = 0,
    keep: Callable[[int], bool] | None = None,
    keep_stringless: bool = True,
) -> list[Hit]:
    """One hit per string instance, offsets shifted by ``base``, filtered by ``keep(offset)``.

    Rules matching without any string instance give one hit with ``offset=None`` when
    ``keep_stringless`` (per-file scans); image scans leave them out (see image.py).
    """
    hits: list[Hit] = []
    for m in matches:
        tags = tuple(m.tags)
        meta = dict(m.meta)
        instances = [(s.identifier, i) for s in m.strings for i in s.instances]
        if not instances:
            if keep_stringless:
                hits.append(Hit(m.rule, m.namespace, tags, meta, None, None, "", 0, None, source))
            continue
        for ident, inst in instances:
            offset = base + inst.offset
            if keep is not None and not keep(offset):
                continue
            matched = bytes(inst.matched_data[:MATCHED_BYTES]).hex()
            hits.append(
                Hit(m.rule, m.namespace, tags, meta, ident, offset, matched,
                    inst.matched_length, None, source)
            )
    hits.sort(key=lambda h: (h.offset if h.offset is not None else -1, h.namespace, h.rule,
                             h.string or ""))
    return hits


def too_many_matches_collector() -> tuple[list[str], Callable[[int, Any], int]]:
    """A yara warnings callback that notes strings that hit YARA's per-scan match limit."""
    noted: list[str] = []

    def callback(warning_type: int, message: Any) -> int:
        if warning_type == yara.CALLBACK_TOO_MANY_MATCHES:
            noted.append(f"{message.namespace}:{message.rule}:{message.string}")
        return yara.CALLBACK_CONTINUE

    return noted, callback
