"""Which engine scans each rule file: YARA-X if it gives libyara's hits, libyara otherwise.

The decision is made once per rule file when a rule set is loaded (and cached with the
compiled rules, :mod:`lccu.scan.rules`):

1. libyara must compile the file alone, or the file is broken (as the ``yara`` command
   line would say); a file only YARA-X accepts is refused too, since nothing could check
   that its hits are libyara's.
2. YARA-X must compile it alone: a file it rejects (stricter regular expressions, a module
   it lacks, an external variable it handles otherwise) runs on libyara.
3. Both engines scan the file's probe (:mod:`lccu.scan.probe`: its own strings in every
   modifier form and the near misses on which the engines are known to part), once with
   empty external variables (as image scans have them) and once with a file's names (as
   per-file scans have them). Any rule whose matches (rule, string, offset, length) differ
   sends the whole file to libyara, and the rules that differed are named in the report.

The probe cannot make every condition true (``pe.*``, ``filesize`` bounds, ``at`` offsets),
so a file can still behave differently on some input; but every way the two engines are
documented to differ at the string level is exercised, and the suite's differential test
(``tests/scan/test_yara_engines.py``) and ``bench/yara_differential.py`` compare them on
the VirusTotal test files and signature-base.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yara

from lccu.scan.engines import (
    LIBYARA,
    YARA_X,
    Engine,
    EngineError,
    Matched,
    ScanTimeout,
    compile_libyara,
    engine_label,
    match_libyara,
    match_yarax,
)
from lccu.scan.probe import build_probe

#: Part of the rule-set identity: a new way of choosing gives new identities (and caches).
SELECTION_VERSION = 1
PROBE_TIMEOUT = 30
#: The names a per-file scan of the probe pretends it has.
PROBE_NAMES = {"filename": "probe.exe", "filepath": "C:\\Users\\probe\\probe.exe",
               "extension": ".exe"}

HitKey = tuple[str, str, str, int, int]


@dataclass(frozen=True)
class EngineChoice:
    """The engine of one rule file and, when it is libyara, why not YARA-X."""

    namespace: str
    engine: Engine
    reason: str | None = None
    differing_rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (cache sidecar, report, custody)."""
        return {"namespace": self.namespace, "engine": self.engine,
                "engine_version": engine_label(self.engine).split(" ", 1)[1],
                "reason": self.reason, "differing_rules": list(self.differing_rules)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EngineChoice:
        engine = YARA_X if data["engine"] == YARA_X else LIBYARA
        return cls(data["namespace"], engine, data.get("reason"),
                   tuple(data.get("differing_rules") or ()))


def _keys(matched: Matched, namespace: str) -> tuple[set[str], set[HitKey]]:
    rules = {m.rule for m in matched.rules if m.namespace == namespace}
    hits = {(m.namespace, m.rule, ident, off, length)
            for m in matched.rules if m.namespace == namespace
            for ident, off, length, _ in m.instances}
    return rules, hits


def uses_externals(text: str, externals: Mapping[str, str]) -> bool:
    """Whether a rule file mentions one of the external variables."""
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in externals)


def differing_rules(libyara_rules: yara.Rules, yarax_scanner: Any, namespace: str, text: str,
                    data: bytes, externals: Mapping[str, str]) -> list[str]:
    """Rules of file ``namespace`` whose matches on ``data`` differ between the engines, with
    empty external variables and, if the file uses them, with a file's names.

    Both rule sets may hold other files: only ``namespace``'s matches are compared (files
    are namespaces of their own, so the others cannot change them). Raises ``EngineError``
    when libyara fails on the data; a timeout counts as a difference.
    """
    variants: list[Mapping[str, str]] = [externals]
    if uses_externals(text, externals):
        variants.append({**externals, **{k: v for k, v in PROBE_NAMES.items()
                                         if k in externals}})
    differ: set[str] = set()
    for values in variants:
        try:
            a = _keys(match_libyara(libyara_rules, data=data, externals=values,
                                    timeout=PROBE_TIMEOUT), namespace)
            b = _keys(match_yarax(None, data=data, externals=values, timeout=PROBE_TIMEOUT,
                                  scanner=yarax_scanner), namespace)
        except ScanTimeout:
            return ["(the probe scan timed out)"]
        differ |= a[0] ^ b[0]
        differ |= {hit[1] for hit in a[1] ^ b[1]}
    return sorted(differ)


def first_line(exc: BaseException) -> str:
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), repr(exc))


@dataclass(frozen=True)
class Candidate:
    """A rule file to choose for: its namespace, text and SHA-256 (the probe's seed)."""

    namespace: str
    text: str
    sha256: str


#: Files compiled together for the comparison: one compilation per file would cost ~20 ms
#: of set-up each, one for all makes every probe scan pay for every rule (~40 ms).
BATCH = 32


def choose_engines(files: Sequence[Candidate], externals: Mapping[str, str]) -> tuple[
        list[EngineChoice], list[tuple[Candidate, yara.Error]]]:
    """The engine of every file that libyara compiles, and the files it does not (each with
    libyara's error)."""
    choices: list[EngineChoice] = []
    broken: list[tuple[Candidate, yara.Error]] = []
    for first in range(0, len(files), BATCH):
        batch = list(files[first : first + BATCH])
        try:
            libyara_rules = compile_libyara({f.namespace: f.text for f in batch}, externals)
        except yara.Error:
            good = []
            for f in batch:
                try:
                    compile_libyara({f.namespace: f.text}, externals)
                    good.append(f)
                except yara.Error as exc:
                    broken.append((f, exc))
            batch = good
            if not batch:
                continue
            libyara_rules = compile_libyara({f.namespace: f.text for f in batch}, externals)
        choices += _choose_batch(batch, libyara_rules, externals)
    return choices, broken


def _choose_batch(batch: list[Candidate], libyara_rules: yara.Rules,
                  externals: Mapping[str, str]) -> list[EngineChoice]:
    import yara_x

    compiler = yara_x.Compiler(includes_enabled=False)
    for name, value in externals.items():
        compiler.define_global(name, value)
    refused: dict[str, str] = {}
    for f in batch:
        compiler.new_namespace(f.namespace)
        try:
            compiler.add_source(f.text, origin=f.namespace)
        except yara_x.CompileError as exc:  # the compiler leaves this file's rules out
            refused[f.namespace] = f"YARA-X refused the file: {first_line(exc)}"
    scanner = yara_x.Scanner(compiler.build())
    choices = []
    for f in batch:
        if f.namespace in refused:
            choices.append(EngineChoice(f.namespace, LIBYARA, refused[f.namespace]))
            continue
        probe = build_probe(f.text, f.sha256)
        try:
            differ = differing_rules(libyara_rules, scanner, f.namespace, f.text, probe,
                                     externals)
        except EngineError:  # maybe another file's string: ask again with this file alone
            try:
                alone = compile_libyara({f.namespace: f.text}, externals)
                differ = differing_rules(alone, scanner, f.namespace, f.text, probe, externals)
            except EngineError as exc:
                differ = [f"(libyara failed on the probe: {exc})"]
        if differ:
            choices.append(EngineChoice(
                f.namespace, LIBYARA, f"YARA-X hits differ from libyara's on generated data "
                f"for {len(differ)} rule(s): {', '.join(differ[:10])}", tuple(differ)))
        else:
            choices.append(EngineChoice(f.namespace, YARA_X))
    return choices
