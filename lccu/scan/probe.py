"""Generated data that makes a rule file's strings match, to compare two YARA engines on it.

For each string definition of a rule file (:func:`lccu.scan.lengths.string_definitions`)
the probe holds instances built from the definition itself: text strings unescaped, hex
strings with their wildcards and jumps filled, regular expressions sampled (``rstr``), each
in every form its modifiers allow (ascii, wide, a case-flipped ``nocase`` form, an ``xor``
key, ``base64`` at the three alignments, of the ascii and of the wide form). It also holds
the near misses on which engines are known to part (the VirusTotal YARA-X documentation
lists them): a ``fullword`` string glued to letters, an ``xor`` + ``fullword`` string
between delimiters that are only word boundaries before the XOR, a ``base64`` string whose
encoding differs from the real one only in the bits YARA 4 strips. The probe starts with
``MZ`` so the many rules that test ``uint16(0) == 0x5a4d`` get to evaluate their strings,
and everything is seeded: the same rule file always gives the same probe, so the engine
decision it feeds is reproducible.
"""

from __future__ import annotations

import base64
import random
import re
import string
from collections.abc import Iterator
from functools import cache
from itertools import chain
from typing import Any

import rstr

from lccu.scan.lengths import StringDef, string_definitions

#: Bytes of random filler between two planted instances.
GAP = 24
#: Instances sampled per regular expression.
REGEX_SAMPLES = 2
_STANDARD_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})|\\(.)", re.S)
_SIMPLE_ESCAPES = {"n": b"\n", "t": b"\t", "r": b"\r", '"': b'"', "\\": b"\\"}
_HEX_VALUES = {form: b for b in range(256) for form in (f"{b:02X}", f"{b:02x}")}


def _text_bytes(body: str) -> bytes:
    """The bytes a YARA text string stands for (escapes resolved, other text as UTF-8)."""
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(body):
        out += body[pos : m.start()].encode("utf-8")
        if m.group(1):
            out.append(int(m.group(1), 16))
        else:
            out += _SIMPLE_ESCAPES.get(m.group(2), m.group(2).encode("utf-8"))
        pos = m.end()
    out += body[pos:].encode("utf-8")
    return bytes(out)


def _hex_bytes(body: str, rng: random.Random, longest: bool) -> bytes:
    """One byte string a hex pattern matches: wildcards random, jumps at their least (or, with
    ``longest``, their most, when bounded), alternatives picked at random."""
    tokens = re.findall(r"\[[^\]]*\]|[()|]|~?[0-9A-Fa-f?]{2}", re.sub(r"//[^\n]*", "", body))
    pos = 0

    def seq() -> bytes:
        nonlocal pos
        out = bytearray()
        while pos < len(tokens) and tokens[pos] not in ("|", ")"):
            tok = tokens[pos]
            pos += 1
            if tok == "(":
                branches = [seq()]
                while pos < len(tokens) and tokens[pos] == "|":
                    pos += 1
                    branches.append(seq())
                pos += 1  # ')'
                out += rng.choice(branches)
            elif tok.startswith("["):
                low, _, high = tok[1:-1].replace(" ", "").partition("-")
                lo = int(low, 0) if low else 0
                hi = int(high, 0) if high else lo
                n = hi if longest and "-" in tok and high and hi - lo <= 512 else lo
                out += rng.randbytes(n)
            else:
                value = _HEX_VALUES.get(tok)
                out.append(value if value is not None else _hex_byte(tok, rng))
        return bytes(out)

    return seq()


def _hex_byte(tok: str, rng: random.Random) -> int:
    candidates = _hex_candidates(tok.upper())
    return candidates[rng.getrandbits(16) % len(candidates)]


@cache
def _hex_candidates(tok: str) -> tuple[int, ...]:
    """The bytes a hex token (``4D``, ``?D``, ``4?``, ``??``, ``~4D``) matches."""
    pair = tok.lstrip("~")
    matching = [b for b in range(256)
                if all(p in ("?", n) for p, n in zip(pair, f"{b:02X}", strict=True))]
    if tok.startswith("~"):
        return tuple(b for b in range(256) if b not in matching) or (0,)
    return tuple(matching)


def _regex_source(body: str) -> str:
    """A YARA regex as a Python pattern over characters U+0000-U+00FF (one per byte)."""
    return "".join(c if ord(c) < 0x80 else "".join(f"\\x{b:02x}" for b in c.encode("utf-8"))
                   for c in body)


class _Sampler(rstr.Xeger):  # type: ignore[misc]
    """rstr's generator, with a negated class (``[^...]``) drawn from a fixed order: rstr
    builds it from a set, whose order changes with each process's string hashing, and the
    probe (so the engine choice) must be the same in every process."""

    def _handle_in(self, value: Any) -> Any:
        candidates = list(chain(*(self._handle_state(i) for i in value)))
        if candidates and candidates[0] is False:
            excluded = set(candidates[1:])
            candidates = [c for c in string.printable if c not in excluded]
        return self._random.choice(candidates)


def _regex_bytes(body: str, rng: random.Random) -> bytes | None:
    """A sample the regex matches, or None when Python cannot read the YARA syntax."""
    try:
        text = _Sampler(rng).xeger(_regex_source(body))
    except Exception:  # a YARA-only construct (or one rstr cannot generate): no sample
        return None
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _wide(data: bytes) -> bytes:
    return bytes(b for c in data for b in (c, 0))


def _flip_case(data: bytes, rng: random.Random) -> bytes:
    return bytes(c ^ 0x20 if chr(c).isascii() and chr(c).isalpha() and rng.random() < 0.5
                 else c for c in data)


def _xor_keys(d: StringDef) -> list[int]:
    arg = d.argument("xor")
    if not arg:
        return [0, 0x41]
    low, _, high = arg.partition("-")
    lo = int(low, 0)
    hi = int(high, 0) if high else lo
    return sorted({lo, hi, (lo + hi) // 2})


def _alphabet(d: StringDef, word: str) -> bytes | None:
    arg = d.argument(word)
    if not arg:
        return None
    return _text_bytes(arg.strip('"'))


def _b64(data: bytes, alphabet: bytes | None) -> bytes:
    encoded = base64.b64encode(data)
    if alphabet and len(alphabet) == 64:
        encoded = encoded.translate(bytes.maketrans(_STANDARD_B64, alphabet))
    return encoded


def _forms(d: StringDef, core: bytes, rng: random.Random) -> Iterator[bytes]:
    """The instances (and near misses) of one sampled string under its modifiers."""
    words = d.words
    wide, ascii_ = "wide" in words, "ascii" in words or "wide" not in words
    encodings = ([core] if ascii_ else []) + ([_wide(core)] if wide else [])
    if "base64" in words or "base64wide" in words:
        near = bytes([core[0] ^ 0x10]) + core[1:-1] + bytes([core[-1] ^ 0x01]) \
            if len(core) > 1 else core
        # libyara encodes the wide form of the string for 'base64 wide' (the VirusTotal
        # test file base64 shows it); the widened encoding is planted too
        texts = [core, near] if ascii_ else []
        texts += [_wide(core), _wide(near)] if wide else []
        for text in texts:
            for shift in range(3):
                head = rng.randbytes(shift)
                # followed by other bytes, at the end of the data (padded, unpadded), and
                # one byte short: the engines part on where an encoding may end
                for blob, cut in ((head + text + rng.randbytes(2), 0), (head + text, 0),
                                  (head + text, 1), (head + text[:-1], 0)):
                    for word in ("base64", "base64wide"):
                        if word not in words:
                            continue
                        encoded = _b64(blob, _alphabet(d, word))
                        if cut:
                            encoded = encoded.rstrip(b"=")
                        forms = [encoded] if word == "base64" else [_wide(encoded)]
                        if word == "base64" and wide:
                            forms.append(_wide(encoded))
                        for form in forms:
                            yield form + b"\n"
        return
    for form in encodings:
        if "nocase" in words:
            form = _flip_case(form, rng)
        if "xor" in words:
            for key in _xor_keys(d):
                x = bytes(c ^ key for c in form)
                yield b" " + x + b" "
                if "fullword" in words:  # delimiters that are word boundaries only unXORed
                    delim = next((c for c in b"{}[]<>|~" if chr(c ^ key).isalnum()), None)
                    if delim is not None:
                        yield bytes([delim]) + x + bytes([delim])
            continue
        yield b" " + form + b" "
        if "fullword" in words:
            yield b"a" + form + b"9"


def _samples(d: StringDef, rng: random.Random) -> Iterator[bytes]:
    if d.kind == "text":
        cores = [_text_bytes(d.body)]
    elif d.kind == "hex":
        cores = [_hex_bytes(d.body, rng, False)]
        if "[" in d.body or "(" in d.body:  # jumps at their most, other alternatives
            cores.append(_hex_bytes(d.body, rng, True))
    else:
        cores = [s for s in (_regex_bytes(d.body, rng) for _ in range(REGEX_SAMPLES)) if s]
    for core in cores:
        if core:
            yield from _forms(d, core, rng)


def build_probe(source: str, seed: str) -> bytes:
    """The probe for one rule file: ``MZ``, then every sample of every string, separated by
    random filler; ``seed`` (the file's SHA-256) makes it reproducible."""
    rng = random.Random(seed)
    out = bytearray(b"MZ" + rng.randbytes(62))
    for definition in string_definitions(source):
        try:
            samples = list(_samples(definition, rng))
        except (ValueError, IndexError, OverflowError):  # a form this reader misparsed
            continue
        for sample in samples:
            out += sample + rng.randbytes(GAP)
    return bytes(out)
