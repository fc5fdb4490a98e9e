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
   per-file scans have them). A file whose matches (rule, string, offset, length) all agree
   runs on YARA-X.
4. Otherwise the file is cut (:mod:`lccu.scan.split`) into groups of rules that do not
   refer to each other, and each group is compared alone in the same way; the groups that
   differ (or on which libyara fails) run on libyara, the rest of the file on YARA-X, both
   under the file's namespace. The cut is used only if, on the probe, libyara's part plus
   YARA-X's part give exactly the hits of the whole file on libyara and hold every rule of
   the file once; else (or when the file cannot be cut: a ``global`` rule, text the reader
   does not understand) the whole file runs on libyara. The rules that differed and the
   rules that ran on libyara are named in the report.

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
    engine_version,
    match_libyara,
    match_yarax,
)
from lccu.scan.probe import build_probe
from lccu.scan.split import RuleFile, parse_rules

#: Part of the rule-set identity: a new way of choosing gives new identities (and caches).
SELECTION_VERSION = 2
PROBE_TIMEOUT = 30
#: The names a per-file scan of the probe pretends it has.
PROBE_NAMES = {"filename": "probe.exe", "filepath": "C:\\Users\\probe\\probe.exe",
               "extension": ".exe"}

HitKey = tuple[str, str, str, int, int]


@dataclass(frozen=True)
class EngineChoice:
    """The engine of one rule file and, when it is libyara, why not YARA-X; a file cut in
    two runs on YARA-X but for ``libyara_rules``, which run on libyara."""

    namespace: str
    engine: Engine
    reason: str | None = None
    differing_rules: tuple[str, ...] = ()
    libyara_rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (cache sidecar, report, custody)."""
        split = None
        if self.libyara_rules:
            split = {"engine": LIBYARA, "engine_version": engine_version(LIBYARA),
                     "rules": list(self.libyara_rules)}
        return {"namespace": self.namespace, "engine": self.engine,
                "engine_version": engine_version(self.engine),
                "reason": self.reason, "differing_rules": list(self.differing_rules),
                "split": split}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EngineChoice:
        engine = YARA_X if data["engine"] == YARA_X else LIBYARA
        split = data.get("split") or {}
        return cls(data["namespace"], engine, data.get("reason"),
                   tuple(data.get("differing_rules") or ()), tuple(split.get("rules") or ()))


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
    return differing_by_namespace(libyara_rules, yarax_scanner, [namespace], text, data,
                                  externals)[namespace]


def differing_by_namespace(libyara_rules: yara.Rules, yarax_scanner: Any,
                           namespaces: Sequence[str], text: str, data: bytes,
                           externals: Mapping[str, str]) -> dict[str, list[str]]:
    """:func:`differing_rules` for several namespaces of the same rule sets, scanning once
    (``text``, the file they come from, says whether to try a file's names)."""
    variants: list[Mapping[str, str]] = [externals]
    if uses_externals(text, externals):
        variants.append({**externals, **{k: v for k, v in PROBE_NAMES.items()
                                         if k in externals}})
    differ: dict[str, set[str]] = {ns: set() for ns in namespaces}
    for values in variants:
        try:
            a = match_libyara(libyara_rules, data=data, externals=values, timeout=PROBE_TIMEOUT)
            b = match_yarax(None, data=data, externals=values, timeout=PROBE_TIMEOUT,
                            scanner=yarax_scanner)
        except ScanTimeout:
            return {ns: ["(the probe scan timed out)"] for ns in namespaces}
        for ns in namespaces:
            ka, kb = _keys(a, ns), _keys(b, ns)
            differ[ns] |= ka[0] ^ kb[0]
            differ[ns] |= {hit[1] for hit in ka[1] ^ kb[1]}
    return {ns: sorted(found) for ns, found in differ.items()}


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


def _yarax_scanner(texts: Mapping[str, str], externals: Mapping[str, str]) -> tuple[
        Any, dict[str, str]]:
    """A YARA-X scanner of ``{namespace: text}`` and the files it refused (with why)."""
    import yara_x

    compiler = yara_x.Compiler(includes_enabled=False)
    for name, value in externals.items():
        compiler.define_global(name, value)
    refused: dict[str, str] = {}
    for namespace, text in texts.items():
        compiler.new_namespace(namespace)
        try:
            compiler.add_source(text, origin=namespace)
        except yara_x.CompileError as exc:  # the compiler leaves this file's rules out
            refused[namespace] = f"YARA-X refused the file: {first_line(exc)}"
    return yara_x.Scanner(compiler.build()), refused


def _libyara_set(texts: Mapping[str, str], externals: Mapping[str, str]) -> tuple[
        yara.Rules | None, set[str]]:
    """libyara rules of ``{namespace: text}`` (those that compile) and their namespaces."""
    try:
        return compile_libyara(texts, externals), set(texts)
    except yara.Error:
        good = {}
        for namespace, text in texts.items():
            try:
                compile_libyara({namespace: text}, externals)
                good[namespace] = text
            except yara.Error:
                pass
        return (compile_libyara(good, externals) if good else None), set(good)


def _strings_variants(batch: list[Candidate]) -> dict[str, str]:
    """Each file's strings variant (:meth:`RuleFile.strings_variant`), where it can be read."""
    out = {}
    for f in batch:
        parsed = parse_rules(f.text)
        if parsed is not None:
            out[f.namespace] = parsed.strings_variant()
    return out


def _differ(libyara_rules: yara.Rules, scanner: Any, namespace: str, text: str, file_text: str,
            probe: bytes, externals: Mapping[str, str]) -> list[str]:
    """:func:`differing_rules`, asked again with the file alone if libyara fails on the
    probe (maybe because of another file's string)."""
    try:
        return differing_rules(libyara_rules, scanner, namespace, file_text, probe, externals)
    except EngineError:
        try:
            alone = compile_libyara({namespace: text}, externals)
            return differing_rules(alone, scanner, namespace, file_text, probe, externals)
        except EngineError as exc:
            return [f"(libyara failed on the probe: {exc})"]


def _choose_batch(batch: list[Candidate], libyara_rules: yara.Rules,
                  externals: Mapping[str, str]) -> list[EngineChoice]:
    scanner, refused = _yarax_scanner({f.namespace: f.text for f in batch}, externals)
    # The same comparison with every rule's condition replaced by 'any of them': a string
    # whose matches differ shows even where the probe cannot make the real condition true.
    variants = _strings_variants(batch)
    var_lib, var_compiled = _libyara_set(variants, externals)
    var_scanner, var_refused = _yarax_scanner(
        {ns: t for ns, t in variants.items() if ns in var_compiled}, externals)
    choices = []
    for f in batch:
        if f.namespace in refused:
            choices.append(EngineChoice(f.namespace, LIBYARA, refused[f.namespace]))
            continue
        probe = build_probe(f.text, f.sha256)
        differ = _differ(libyara_rules, scanner, f.namespace, f.text, f.text, probe, externals)
        ns = f.namespace
        if var_lib is not None and ns in var_compiled and ns not in var_refused:
            differ = sorted(set(differ) | set(_differ(
                var_lib, var_scanner, ns, variants[ns], f.text, probe, externals)))
        if differ:
            choices.append(_split_or_whole(f, probe, differ, externals))
        else:
            choices.append(EngineChoice(f.namespace, YARA_X))
    return choices


def _whole_file(f: Candidate, differ: list[str]) -> EngineChoice:
    return EngineChoice(
        f.namespace, LIBYARA, f"YARA-X hits differ from libyara's on generated data "
        f"for {len(differ)} rule(s): {', '.join(differ[:10])}", tuple(differ))


def _split_or_whole(f: Candidate, probe: bytes, differ: list[str],
                    externals: Mapping[str, str]) -> EngineChoice:
    """The file cut in two if that is safe and checked (see the module), else on libyara."""
    import yara_x

    parsed = parse_rules(f.text)
    if parsed is None or len(parsed.rules) < 2:
        return _whole_file(f, differ)
    try:
        to_libyara, named = _differing_groups(f, parsed, probe, externals)
        if not to_libyara or len(to_libyara) == len(parsed.rules):
            return _whole_file(f, differ)
        rest = [n for n in parsed.names if n not in to_libyara]
        whole = compile_libyara({f.namespace: f.text}, externals)
        if not _cut_checked(f, parsed, to_libyara, rest, probe, whole, externals):
            return _whole_file(f, differ)
    except (yara.Error, yara_x.CompileError):  # a part that does not compile: not cut
        return _whole_file(f, differ)
    libyara_rules = tuple(n for n in parsed.names if n in to_libyara)
    return EngineChoice(
        f.namespace, YARA_X,
        f"YARA-X hits differ from libyara's on generated data for {len(named)} rule(s): "
        f"{', '.join(named[:10])}; {len(libyara_rules)} rule(s) run on libyara (with the "
        f"rules they refer to or that refer to them), the other {len(rest)} on YARA-X",
        tuple(named), libyara_rules)


def _differing_groups(f: Candidate, parsed: RuleFile, probe: bytes,
                      externals: Mapping[str, str]) -> tuple[frozenset[str], list[str]]:
    """The rules of the groups that differ when compared alone (a group on whose probe
    libyara fails or times out counts as differing), and the differing rules named.

    The groups are compiled together, each as its own namespace (they do not refer to each
    other, so this is the same as alone), and scanned once; if libyara fails on the probe
    with all of them, each group is scanned alone to find the ones it fails with."""
    groups = parsed.groups()
    to_libyara: set[str] = set()
    named: set[str] = set()
    for variant in (parsed.part, parsed.strings_variant):
        texts = {f"{f.namespace}#{i}": variant(g) for i, g in enumerate(groups)}
        found = _groups_differ(texts, f.text, probe, externals)
        for i, group in enumerate(groups):
            differ = found[f"{f.namespace}#{i}"]
            if differ:
                to_libyara |= group
                named |= {d for d in differ if d in group} or set(group)
    return parsed.closure(to_libyara), sorted(named)


def _groups_differ(texts: Mapping[str, str], file_text: str, probe: bytes,
                   externals: Mapping[str, str]) -> dict[str, list[str]]:
    """Differing rules of each ``{namespace: text}``; every rule of a namespace that YARA-X
    refuses or on which libyara fails counts as differing."""
    scanner, refused = _yarax_scanner(texts, externals)
    lib = compile_libyara(texts, externals)
    try:
        out = differing_by_namespace(lib, scanner, list(texts), file_text, probe, externals)
    except EngineError:
        if len(texts) == 1:
            out = {ns: ["(libyara failed on the probe)"] for ns in texts}
        else:
            out = {}
            for ns, text in texts.items():
                out |= _groups_differ({ns: text}, file_text, probe, externals)
    for ns in refused:
        out[ns] = ["(YARA-X refused the rules)"]
    return out


def _cut_checked(f: Candidate, parsed: RuleFile, to_libyara: frozenset[str], rest: list[str],
                 probe: bytes, whole: yara.Rules, externals: Mapping[str, str]) -> bool:
    """Whether libyara's part plus YARA-X's part hold every rule of the file once, YARA-X's
    part gives libyara's hits for it on the probe and, where libyara can scan the probe with
    the whole file, both parts together give exactly the whole file's hits."""

    lib_part = compile_libyara({f.namespace: parsed.part(to_libyara)}, externals)
    x_text = parsed.part(rest)
    x_on_libyara = compile_libyara({f.namespace: x_text}, externals)
    listed = [r.identifier for r in lib_part] + [r.identifier for r in x_on_libyara]
    if sorted(listed) != sorted(parsed.names):
        return False
    scanner, refused = _yarax_scanner({f.namespace: x_text}, externals)
    x_strings = parsed.strings_variant(rest)
    strings_scanner, strings_refused = _yarax_scanner({f.namespace: x_strings}, externals)
    if refused or strings_refused:
        return False
    strings_on_libyara = compile_libyara({f.namespace: x_strings}, externals)
    variants: list[Mapping[str, str]] = [externals]
    if uses_externals(f.text, externals):
        variants.append({**externals, **{k: v for k, v in PROBE_NAMES.items()
                                         if k in externals}})

    def keys(rules: yara.Rules, values: Mapping[str, str]) -> tuple[set[str], set[HitKey]]:
        return _keys(match_libyara(rules, data=probe, externals=values,
                                   timeout=PROBE_TIMEOUT), f.namespace)

    for values in variants:
        try:
            x_want = keys(x_on_libyara, values)
            x_got = _keys(match_yarax(None, data=probe, externals=values,
                                      timeout=PROBE_TIMEOUT, scanner=scanner), f.namespace)
        except (EngineError, ScanTimeout):
            return False
        if x_got != x_want:
            return False
        try:
            if keys(strings_on_libyara, values) != _keys(match_yarax(
                    None, data=probe, externals=values, timeout=PROBE_TIMEOUT,
                    scanner=strings_scanner), f.namespace):
                return False
        except (EngineError, ScanTimeout):
            return False
        try:
            want = keys(whole, values)
        except EngineError:
            continue  # libyara fails on the probe with the file (so with its part): as alone
        except ScanTimeout:
            return False
        try:
            lib = keys(lib_part, values)
        except (EngineError, ScanTimeout):
            return False
        if (lib[0] | x_got[0], lib[1] | x_got[1]) != want or lib[0] & x_got[0]:
            return False
    return True
