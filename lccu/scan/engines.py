"""The two YARA engines behind one call: YARA-X where it serves, libyara (yara-python) where not.

Both are asked the same question (these compiled rules, this buffer or file, these external
variables, this timeout) and both answers become the same :class:`RuleMatch` records, so
everything after the match (hit records, mapping to files, reports) does not know which
engine ran. Differences that matter to a caller are absorbed here: YARA-X returns offsets
and lengths, not the matched bytes (they are read from the buffer or file), has no
"too many matches" callback (a string that reached the per-string limit is noted instead),
and holds the GIL while it scans (so parallel image scans run it in worker processes,
:mod:`lccu.scan.xpool`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import yara

from lccu.scan.records import MATCHED_BYTES

Engine = Literal["yara-x", "libyara"]
YARA_X: Engine = "yara-x"
LIBYARA: Engine = "libyara"

#: Matches kept per string and scan, like libyara's YR_MAX_STRING_MATCHES; a string that
#: reaches it is reported as a ``too_many_matches`` problem by both engines.
MAX_STRING_MATCHES = 1_000_000

# lccu keeps only MATCHED_BYTES of each match, so libyara need not copy its default 512
# bytes per match: with a million matches that is the difference between 64 MB and 512 MB.
# (Process-wide setting; matched_length still reports the full length.)
yara.set_config(max_match_data=MATCHED_BYTES)


class ScanTimeout(Exception):
    """The engine gave up after the timeout."""


class EngineError(Exception):
    """The engine failed on this input (not a timeout)."""


@cache
def engine_version(engine: Engine) -> str:
    """``1.22.1`` for YARA-X (the Python package's version), ``4.5.4`` for libyara."""
    if engine == YARA_X:
        from importlib.metadata import version

        return version("yara-x")
    return str(yara.YARA_VERSION)


def engine_label(engine: Engine) -> str:
    """``yara-x 1.22.1`` / ``libyara 4.5.4``: how reports and custody name an engine."""
    return f"{engine} {engine_version(engine)}"


@dataclass(frozen=True)
class RuleMatch:
    """One matching rule and its string instances ``(identifier, offset, length, bytes)``;
    ``bytes`` is None when the engine did not return them (YARA-X): read them at the offset."""

    rule: str
    namespace: str
    tags: tuple[str, ...]
    meta: dict[str, Any]
    instances: Sequence[tuple[str, int, int, bytes | None]] = field(default=())


@dataclass
class Matched:
    """What one scan found: the matching rules, and the strings (``namespace:rule:$s``) that
    reached :data:`MAX_STRING_MATCHES`, whose later matches are missing."""

    rules: list[RuleMatch] = field(default_factory=list)
    too_many: list[str] = field(default_factory=list)

    def extend(self, other: Matched) -> None:
        self.rules += other.rules
        self.too_many += other.too_many


def _meta_value(value: Any) -> Any:
    if isinstance(value, bytes):  # YARA-X keeps a meta string with \xHH escapes as bytes
        return value.decode("utf-8", "replace")
    return value


# -- libyara ------------------------------------------------------------------------------
def compile_libyara(sources: Mapping[str, str], externals: Mapping[str, str]) -> yara.Rules:
    """libyara rules from ``{namespace: text}``; raises ``yara.Error``."""
    return yara.compile(sources=dict(sources), externals=dict(externals), includes=False)


def match_libyara(rules: yara.Rules, *, data: bytes | memoryview | None = None,
                  path: str | None = None, externals: Mapping[str, str] | None = None,
                  timeout: int) -> Matched:
    """Match with libyara."""
    noted: list[str] = []

    def warnings(kind: int, message: Any) -> int:
        if kind == yara.CALLBACK_TOO_MANY_MATCHES:
            noted.append(f"{message.namespace}:{message.rule}:{message.string}")
        return yara.CALLBACK_CONTINUE

    target: dict[str, Any] = {"data": data} if path is None else {"filepath": path}
    kwargs: dict[str, Any] = {"timeout": timeout, "warnings_callback": warnings}
    if externals is not None:
        kwargs["externals"] = dict(externals)
    try:
        matches = rules.match(**target, **kwargs)
    except yara.TimeoutError as exc:
        raise ScanTimeout(str(exc)) from exc
    except yara.Error as exc:
        raise EngineError(str(exc)) from exc
    out = Matched(too_many=noted)
    for m in matches:
        instances = [(s.identifier, inst.offset, inst.matched_length,
                      bytes(inst.matched_data[:MATCHED_BYTES]))
                     for s in m.strings for inst in s.instances]
        out.rules.append(RuleMatch(m.rule, m.namespace, tuple(m.tags), dict(m.meta),
                                   instances))
    return out


# -- YARA-X -------------------------------------------------------------------------------
def compile_yarax(sources: Mapping[str, str], externals: Mapping[str, str]) -> Any:
    """YARA-X rules from ``{namespace: text}``; raises ``yara_x.CompileError``."""
    import yara_x

    compiler = yara_x.Compiler(includes_enabled=False)
    for name, value in externals.items():
        compiler.define_global(name, value)
    for namespace, text in sources.items():
        compiler.new_namespace(namespace)
        compiler.add_source(text, origin=namespace)
    return compiler.build()


_local = threading.local()


def yarax_scanner(rules: Any) -> Any:
    """This thread's scanner for ``rules`` (a scanner is not thread-safe; making one per scan
    costs more than a small file's scan)."""
    import yara_x

    cached = getattr(_local, "scanners", None)
    if cached is None or cached[0] is not rules:
        scanner = yara_x.Scanner(rules)
        scanner.max_matches_per_pattern(MAX_STRING_MATCHES)
        _local.scanners = cached = (rules, scanner)
    return cached[1]


def match_yarax(rules: Any, *, data: bytes | None = None, path: str | None = None,
                externals: Mapping[str, str] | None = None, timeout: int,
                scanner: Any = None) -> Matched:
    """Match with YARA-X (holding the GIL: see :mod:`lccu.scan.xpool` for parallel scans)."""
    import yara_x

    scanner = scanner if scanner is not None else yarax_scanner(rules)
    for name, value in (externals or {}).items():
        scanner.set_global(name, value)
    scanner.set_timeout(timeout)
    try:
        results = scanner.scan(data) if path is None else scanner.scan_file(path)
    except yara_x.TimeoutError as exc:
        raise ScanTimeout(str(exc)) from exc
    except yara_x.ScanError as exc:
        raise EngineError(str(exc)) from exc
    out = Matched()
    for r in results.matching_rules:
        instances = [(p.identifier, m.offset, m.length, None)
                     for p in r.patterns for m in p.matches]
        out.too_many += [f"{r.namespace}:{r.identifier}:{p.identifier}" for p in r.patterns
                         if len(p.matches) >= MAX_STRING_MATCHES]
        out.rules.append(RuleMatch(r.identifier, r.namespace, tuple(r.tags),
                                   {k: _meta_value(v) for k, v in r.metadata}, instances))
    return out


def fill_bytes(matches: Iterable[RuleMatch],
               read: Callable[[int, int], bytes]) -> Iterator[RuleMatch]:
    """``matches`` with every instance's missing bytes read at its offset (first
    ``MATCHED_BYTES``)."""
    for m in matches:
        if all(raw is not None for *_, raw in m.instances):
            yield m
            continue
        yield RuleMatch(m.rule, m.namespace, m.tags, m.meta,
                        [(ident, off, length,
                          raw if raw is not None else read(off, min(length, MATCHED_BYTES)))
                         for ident, off, length, raw in m.instances])
