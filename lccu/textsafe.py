"""Make evidence-derived and user-supplied text safe to look at, on a page or a terminal.

Escaping stops markup; this stops deception and terminal injection: a file name with a
right-to-left override (``invoice\u202egpj.exe``), a newline or a carriage return that fakes
or overwrites a line, ``ESC ] 0 ; ... BEL`` that retitles the investigator's terminal, or a
lone surrogate (a name that was not UTF-8) that makes printing fail. Each such character is
shown as ``⟨U+XXXX⟩``. The HTML report (``|visible``) and every line the command line prints
of such text use this one function.
"""

from __future__ import annotations

import unicodedata

# Bidirectional formatting characters that reorder what the reader sees.
_BIDI = {0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
#: controls (C0, DEL, C1), format characters (bidi, zero-width), line/paragraph separators
_SHOWN = {"Cc", "Cf", "Zl", "Zp"}


def visible(value: object, keep_newlines: bool = False) -> str:
    """Return ``value`` as text with control, bidi and unpaired surrogate characters shown.

    ``keep_newlines`` leaves ``\n`` alone, for our own multi-line messages (not for names).
    """
    if value is None:
        return ""
    text = str(value)
    if text.isascii() and (text.replace("\n", "") if keep_newlines else text).isprintable():
        return text  # the common case, without a look at every character
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif code in _BIDI or 0xD800 <= code <= 0xDFFF or unicodedata.category(ch) in _SHOWN:
            out.append(f"\u27e8U+{code:04X}\u27e9")
        else:
            out.append(ch)
    return "".join(out)
