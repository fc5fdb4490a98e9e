"""Cut a YARA rule file into groups of rules that can be compiled and scanned apart.

A rule file is one namespace, but most of its rules do not depend on each other: when only
some of them give other hits on YARA-X than on libyara, those can run on libyara while the
rest of the file runs on YARA-X (:mod:`lccu.scan.selection`). A part is the file's text
outside its rules (imports and comments, kept whole in every part) followed by some of its
rules, in the file's order; both parts are compiled under the file's namespace, so the rule
names and namespaces of the hits are those the file gives.

A group is a connected component of the rules' references to each other (a rule's condition
naming another rule, or a rule set such as ``any of (Prefix*)``): a rule is never compiled in
two parts (it would be reported twice) nor without a rule it refers to. Files that cannot be
cut safely are not cut (:func:`parse_rules` returns None): a ``global`` rule (it gates every
rule of the namespace), an ``include``, or text this reader does not understand. The caller
still checks every cut against libyara on the file's probe before using it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

# Literals and comments are masked (same length, so offsets hold) before rules are looked
# for: a brace, a quote or a rule name inside a string, regex or comment is not code. A regex
# is a literal after '=' (a string definition) or 'matches'.
_LITERALS = re.compile(
    r'"(?:\\.|[^"\\\n])*"'
    r"|(?<=[=\s])/(?![/*])(?:\\.|[^/\\\n])*/"
    r"|//[^\n]*"
    r"|/\*.*?\*/",
    re.S,
)
_REGEX_START = re.compile(r"(?:=|\bmatches)\s*$")
_HEADER = re.compile(
    r"\b((?:(?:private|global)\s+)*)rule\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^{]*)?\{"
)
_IDENT = re.compile(r"(?<![$#@!.\w])([A-Za-z_][A-Za-z0-9_]*)(\*)?")


def mask_literals(text: str) -> str | None:
    """``text`` with every string, regex and comment replaced by spaces (newlines kept), or
    None when a literal is not closed."""
    out = []
    pos = 0
    for m in _LITERALS.finditer(text):
        literal = m.group(0)
        is_regex = literal.startswith("/") and not literal.startswith(("//", "/*"))
        if is_regex and not _REGEX_START.search(text[max(0, m.start() - 16) : m.start()]):
            continue  # a division in a condition: code, not a regex
        out.append(text[pos : m.start()])
        out.append(re.sub(r"[^\n]", " ", literal))
        pos = m.end()
    out.append(text[pos:])
    masked = "".join(out)
    if '"' in masked or "/*" in masked:
        return None
    return masked


@dataclass(frozen=True)
class Rule:
    """One rule: its name, where its text and its condition lie in the file, whether it has
    strings and which rules it refers to."""

    name: str
    start: int
    end: int
    condition: int
    has_strings: bool
    refers: frozenset[str]


@dataclass(frozen=True)
class RuleFile:
    """A rule file read into its rules and the text around them."""

    text: str
    rules: tuple[Rule, ...]

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules)

    def outside(self) -> str:
        """The file's text outside every rule (imports, comments), one part's prologue."""
        pieces = []
        pos = 0
        for r in self.rules:
            pieces.append(self.text[pos : r.start])
            pos = r.end
        pieces.append(self.text[pos:])
        return "".join(pieces)

    def part(self, names: Iterable[str]) -> str:
        """The text of a part holding the rules ``names`` (in the file's order)."""
        wanted = set(names)
        body = "\n".join(self.text[r.start : r.end] for r in self.rules if r.name in wanted)
        return f"{self.outside()}\n{body}\n"

    def strings_variant(self, names: Iterable[str] | None = None) -> str:
        """A part (default: every rule) in which each rule is public and its condition is
        ``any of them`` (``true`` without strings): it reports every string match, whatever
        the real condition would say, to compare two engines' string matching."""
        wanted = set(self.names if names is None else names)
        pieces = []
        for r in self.rules:
            if r.name not in wanted:
                continue
            head = re.sub(r"^private\s+", "", self.text[r.start : r.condition])
            pieces.append(f"{head} {'any of them' if r.has_strings else 'true'}\n}}")
        return f"{self.outside()}\n" + "\n".join(pieces) + "\n"

    def groups(self) -> list[frozenset[str]]:
        """The rules in groups that never refer across each other, in the file's order."""
        parent = {n: n for n in self.names}

        def find(n: str) -> str:
            while parent[n] != n:
                parent[n] = parent[parent[n]]
                n = parent[n]
            return n

        for r in self.rules:
            for other in r.refers:
                parent[find(r.name)] = find(other)
        grouped: dict[str, set[str]] = {}
        for n in self.names:
            grouped.setdefault(find(n), set()).add(n)
        return [frozenset(g) for g in grouped.values()]

    def closure(self, names: Iterable[str]) -> frozenset[str]:
        """``names`` with every rule grouped with one of them."""
        wanted = set(names)
        return frozenset(n for g in self.groups() if g & wanted for n in g)


def _refers(condition: str, names: Sequence[str], own: str) -> frozenset[str]:
    found = set()
    for m in _IDENT.finditer(condition):
        word, star = m.group(1), m.group(2)
        if star:
            found |= {n for n in names if n.startswith(word)}
        elif word in names:
            found.add(word)
    found.discard(own)
    return frozenset(found)


def parse_rules(text: str) -> RuleFile | None:
    """The rules of a rule file, or None when it cannot be cut safely (see the module)."""
    masked = mask_literals(text)
    if masked is None:
        return None
    spans: list[tuple[str, int, int, bool, int]] = []
    pos = 0
    while True:
        m = _HEADER.search(masked, pos)
        if m is None:
            break
        if masked[pos : m.start()].strip(" \t\r\n") and not _only_imports(masked[pos : m.start()]):
            return None  # something between rules that is neither an import nor a comment
        depth, i = 1, m.end()
        while depth and i < len(masked):
            depth += {"{": 1, "}": -1}.get(masked[i], 0)
            i += 1
        if depth:
            return None
        spans.append((m.group(2), m.start(), i, "global" in m.group(1).split(), m.end()))
        pos = i
    if not spans or (masked[pos:].strip() and not _only_imports(masked[pos:])):
        return None
    names = [s[0] for s in spans]
    if len(set(names)) != len(names) or any(s[3] for s in spans):
        return None
    rules = []
    for name, start, end, _global, body in spans:
        inside = masked[body : end - 1]
        at = re.search(r"\bcondition\s*:", inside)
        if at is None:
            return None
        strings = re.search(r"\bstrings\s*:", inside[: at.start()]) is not None
        refers = _refers(inside[at.end() :], names, name)
        rules.append(Rule(name, start, end, body + at.end(), strings, refers))
    return RuleFile(text, tuple(rules))


def _only_imports(masked: str) -> bool:
    """Whether masked text between rules holds only ``import "module"`` lines."""
    return not re.sub(r"\bimport\s+", "", masked).strip()
