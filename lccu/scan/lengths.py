"""Estimate the longest byte string a YARA rule source can match, to size segment overlaps.

A segmented image scan finds every match only if the overlap between segments is at least
as long as the longest match. YARA does not expose string definitions of compiled rules,
so this reads the rule source: text strings and hex strings are measured exactly,
regular expressions by their maximum repetition counts. ``*``, ``+``, ``{n,}`` and open hex
jumps (``[4-]``, ``[-]``) have no bound: the answer is then None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_STRING_DEF = re.compile(r"(\$[A-Za-z0-9_]*)\s*=\s*")
_RULE = re.compile(r"\brule\s+([A-Za-z_][A-Za-z0-9_]*)")
_MODIFIER = re.compile(
    r"\s*(nocase|wide|ascii|fullword|private|xor|base64wide|base64)\b(\s*\([^)]*\))?"
)


def _strip_comments(text: str) -> str:
    """Blank out // and /* */ comments, leaving strings and regexes intact."""
    out: list[str] = []
    i, n = 0, len(text)
    last_sig = ""  # last significant character outside literals: tells a regex from division
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i, last_sig = j + 1, '"'
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif c == "/" and last_sig in ("=", "s"):  # after '=' or 'matches'
            j = i + 1
            while j < n and text[j] not in "/\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i, last_sig = j + 1, "/"
        else:
            out.append(c)
            if not c.isspace():
                last_sig = c
            i += 1
    return "".join(out)


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


def string_lengths(source: str) -> Iterator[tuple[str, str, int | None]]:
    """Yield (rule, string identifier, longest match or None) for every string in a source."""
    text = _strip_comments(source)
    rules = [(m.start(), m.group(1)) for m in _RULE.finditer(text)]
    pos = 0
    while True:
        m = _STRING_DEF.search(text, pos)
        if not m:
            return
        start = m.end()
        rule = next((name for at, name in reversed(rules) if at < m.start()), "")
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
        if opener == "/":
            flags = re.match(r"[is]*", text[pos:])
            pos += flags.end() if flags else 0
        mods_end = pos
        while mm := _MODIFIER.match(text, mods_end):
            mods_end = mm.end()
        modifiers = text[pos:mods_end]
        pos = mods_end
        if opener == '"':
            length: int | None = _text_length(body)
        elif opener == "{":
            length = _hex_length(body)
        else:
            length = _regex_length(body)
        yield rule, m.group(1), _apply_modifiers(length, modifiers)


def longest_match(source: str) -> int | None:
    """Longest string any rule in ``source`` can match; None if one is unbounded, 0 if none."""
    longest = 0
    for _rule, _ident, length in string_lengths(source):
        if length is None:
            return None
        longest = max(longest, length)
    return longest
