"""Data planted with a rule file's text strings, for comparing YARA engines on it.

Independent of :mod:`lccu.scan.probe` on purpose: the differential tests and
``bench/yara_differential.py`` check the engine choice on data the choice never saw.
"""

from __future__ import annotations

import base64
import random
import re

_TEXT = re.compile(r'\$\w*\s*=\s*"((?:\\.|[^"\\])*)"')


def text_strings(source: str) -> list[bytes]:
    """The text strings (``$a = "..."``) of a rule source, escapes resolved, 3 bytes or more."""
    found = [re.sub(r"\\x([0-9A-Fa-f]{2})|\\(.)",
                    lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2),
                    m.group(1)).encode("latin-1", "replace") for m in _TEXT.finditer(source)]
    return [t for t in found if len(t) >= 3]


def planted(texts: list[bytes], seed: int) -> bytes:
    """An ``MZ`` file with each text as ASCII, UTF-16LE, base64 and XOR 0x20, apart."""
    rng = random.Random(seed)
    out = bytearray(b"MZ" + rng.randbytes(62))
    for t in texts:
        for form in (t, bytes(b for c in t for b in (c, 0)), base64.b64encode(t),
                     bytes(c ^ 0x20 for c in t)):
            out += b" " + form + b" " + rng.randbytes(16)
    return bytes(out)
