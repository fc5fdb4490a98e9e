"""Estimate the longest byte string a YARA rule source can match, to size segment overlaps.

A segmented image scan finds every match only if the overlap between segments is at least
as long as the longest match. YARA does not expose string definitions of compiled rules,
so this reads the rule source: text strings and hex strings are measured exactly,
regular expressions by their maximum repetition counts. ``*``, ``+``, ``{n,}`` and open hex
jumps (``[4-]``, ``[-]``) have no bound: the answer is then None.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

#: Changes when the estimate changes, so a cached estimate of an older scheme is not reused.
LENGTHS_VERSION = 1

_STRING_DEF = re.compile(r"(\$[A-Za-z0-9_]*)\s*=\s*")
_RULE = re.compile(r"\brule\s+([A-Za-z_][A-Za-z0-9_]*)")
_MODIFIER = re.compile(
    r"\s*(nocase|wide|ascii|fullword|private|xor|base64wide|base64)\b(\s*\([^)]*\))?"
)


# A literal (text string, or a regex after '=' or 'matches') is kept whole, so a '//' inside
# it is not taken for a comment; comments are blanked.
_LEXEMES = re.compile(
    r'(?P<text>"(?:\\.|[^"\\])*")'
    r"|(?P<regex>(?:=|\bmatches)\s*/(?:\\.|[^/\\\n])*/)"
    r"|(?P<line>//[^\n]*)"
    r"|(?P<block>/\*.*?(?:\*/|\Z))",
    re.S,
)


def _strip_comments(text: str) -> str:
    """Blank out // and /* */ comments, leaving strings and regexes intact."""
    def keep(m: re.Match[str]) -> str:
        kind = m.lastgroup
        return "" if kind == "line" else " " if kind == "block" else m.group(0)

    return _LEXEMES.sub(keep, text)


def _text_length(body: str) -> int:
    """Bytes of a YARA text string body (escapes \\xHH, \\n, \\t, \\", \\\\ are one byte)."""
    unescaped = re.sub(r"\\x[0-9A-Fa-f]{2}|\\.", "\x00", body)
    return len(unescaped.encode("utf-8"))


def _hex_length(body: str) -> int | None:
    """Longest match of a hex string: bytes, jumps by their maximum, alternatives by max."""
    tokens = re.findall(r"\[[^\]]*\]|[()|]|~?[0-9A-Fa-f?]{2}", re.sub(r"//[^\n]*", "", body))
    pos = 0

    def seq() -> int | None:
        nonlocal pos
        total: int | None = 0
        while pos < len(tokens) and tokens[pos] not in ("|", ")"):
            tok = tokens[pos]
            pos += 1
            if tok == "(":
                best: int | None = 0
                while True:
                    branch = seq()
                    best = None if best is None or branch is None else max(best, branch)
                    if pos < len(tokens) and tokens[pos] == "|":
                        pos += 1
                        continue
                    pos += 1  # ')'
                    break
                step = best
            elif tok.startswith("["):
                inner = tok[1:-1].replace(" ", "")
                if "-" in inner:
                    high = inner.split("-", 1)[1]
                    step = int(high) if high else None
                else:
                    step = int(inner)
            else:
                step = 1
            total = None if total is None or step is None else total + step
        return total

    return seq()


def _regex_length(pattern: str) -> int | None:
    """Longest match of a YARA regex, counting bytes; None when a repetition is unbounded."""
    pos = 0
    n = len(pattern)

    def atom() -> int:
        nonlocal pos
        c = pattern[pos]
        if c == "\\":
            nxt = pattern[pos + 1] if pos + 1 < n else ""
            if nxt == "x":
                pos += 4
                return 1
            pos += 2
            return 0 if nxt in "bB" else 1
        if c == "[":
            j = pos + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            pos = j + 1
            return 1
        pos += 1
        if c in "^$":
            return 0
        return len(c.encode("utf-8"))

    def quantifier(base: int | None) -> int | None:
        nonlocal pos
        if pos >= n:
            return base
        c = pattern[pos]
        result: int | None = base
        if c in "*+":
            pos += 1
            result = None
        elif c == "?":
            pos += 1
        elif c == "{":
            m = re.match(r"\{(\d*)(,?)(\d*)\}", pattern[pos:])
            if not m:
                return base
            pos += m.end()
            low, comma, high = m.groups()
            if not comma:
                count: int | None = int(low)
            else:
                count = int(high) if high else None
            result = None if base is None or count is None else base * count
        else:
            return base
        if pos < n and pattern[pos] == "?":  # lazy form
            pos += 1
        return result

    def alternation() -> int | None:
        nonlocal pos
        best: int | None = 0
        while True:
            total: int | None = 0
            while pos < n and pattern[pos] not in "|)":
                if pattern[pos] == "(":
                    pos += 1
                    inner = alternation()
                    pos += 1  # ')'
                    step = quantifier(inner)
                else:
                    step = quantifier(atom())
                total = None if total is None or step is None else total + step
            best = None if best is None or total is None else max(best, total)
            if pos < n and pattern[pos] == "|":
                pos += 1
                continue
            return best

    return alternation()


def _apply_modifiers(length: int | None, modifiers: str) -> int | None:
    """Scale a length by modifiers: wide doubles it, base64 expands it by 4/3 (rounded up)."""
    if length is None:
        return None
    words = set(re.findall(r"[a-z0-9]+", modifiers))
    if "base64" in words or "base64wide" in words:
        encoded = 4 * ((length + 2) // 3 + 1)
        return encoded * 2 if "base64wide" in words else encoded
    return length * 2 if "wide" in words else length


@dataclass(frozen=True)
class StringDef:
    """One string definition of a rule, as written: ``kind`` is ``text``, ``hex`` or ``regex``;
    ``body`` is between the delimiters, ``flags`` the regex flags (``is``), ``modifiers`` the
    raw modifier text (``wide ascii xor(1-16)``)."""

    rule: str
    ident: str
    kind: str
    body: str
    flags: str
    modifiers: str

    @cached_property
    def words(self) -> set[str]:
        """The modifier keywords (``{"wide", "ascii", "xor"}``), without their arguments."""
        found, pos = set(), 0
        while m := _MODIFIER.match(self.modifiers, pos):
            found.add(m.group(1))
            pos = m.end()
        return found

    def argument(self, word: str) -> str | None:
        """The parenthesised argument of modifier ``word`` (``1-16`` for ``xor(1-16)``)."""
        pos = 0
        while m := _MODIFIER.match(self.modifiers, pos):
            if m.group(1) == word and m.group(2):
                return m.group(2).strip()[1:-1].strip()
            pos = m.end()
        return None


def string_definitions(source: str) -> Iterator[StringDef]:
    """Every string definition of a rule source, in order, with comments ignored."""
    text = _strip_comments(source)
    found = [(m.start(), m.group(1)) for m in _RULE.finditer(text)]
    starts = [at for at, _name in found]
    pos = 0
    while True:
        m = _STRING_DEF.search(text, pos)
        if not m:
            return
        start = m.end()
        index = bisect.bisect_left(starts, m.start()) - 1
        rule = found[index][1] if index >= 0 else ""
        opener = text[start : start + 1]
        closer = {'"': '"', "{": "}", "/": "/"}.get(opener)
        if closer is None:
            pos = start
            continue
        j = start + 1
        while j < len(text) and text[j] != closer:
            j += 2 if text[j] == "\\" and opener != "{" else 1
        body = text[start + 1 : j]
        pos = j + 1
        flags = ""
        if opener == "/":
            fm = re.match(r"[is]*", text[pos:])
            flags = fm.group(0) if fm else ""
            pos += len(flags)
        mods_end = pos
        while mm := _MODIFIER.match(text, mods_end):
            mods_end = mm.end()
        modifiers = text[pos:mods_end].strip()
        pos = mods_end
        kind = {'"': "text", "{": "hex", "/": "regex"}[opener]
        yield StringDef(rule, m.group(1), kind, body, flags, modifiers)


def string_lengths(source: str) -> Iterator[tuple[str, str, int | None]]:
    """Yield (rule, string identifier, longest match or None) for every string in a source."""
    for d in string_definitions(source):
        if d.kind == "text":
            length: int | None = _text_length(d.body)
        elif d.kind == "hex":
            length = _hex_length(d.body)
        else:
            length = _regex_length(d.body)
        yield d.rule, d.ident, _apply_modifiers(length, d.modifiers)


def longest_match(source: str) -> int | None:
    """Longest string any rule in ``source`` can match; None if one is unbounded, 0 if none."""
    longest = 0
    for _rule, _ident, length in string_lengths(source):
        if length is None:
            return None
        longest = max(longest, length)
    return longest
