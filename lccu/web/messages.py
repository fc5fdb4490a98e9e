"""Library errors as a web user reads them (issue 20): the library's messages are written
for the command line and may tell the reader to run a command (``see `lccu status E1```),
which a web user cannot. A message the web knows is replaced by its own text in the page's
language; any other keeps its facts with every command-line instruction taken out.

The REST API keeps the library's own message (its readers are scripts and their authors).
"""

from __future__ import annotations

import re

from lccu.web.i18n import Translator

#: library messages a web user meets, recognised by what they say: the page's own words
KNOWN = (
    (re.compile(r"no finished (processing run|timeline)|has no finished (processing )?run"),
     "err_not_processed"),
)  # fmt: skip
#: a parenthesis naming a command: "(`lccu unit key` prints it)"
_PARENTHESIS = re.compile(r"\s*\([^()]*`lccu[^()]*\)")
#: the parts of a message: clauses (";"), sentences (". "), and what a dash sets apart
_PARTS = re.compile(r"(;\s+|\.\s+|\s+[-–]\s+)")


def without_commands(text: str) -> str:
    """``text`` with every clause or sentence that names an ``lccu`` command left out."""
    text = _PARENTHESIS.sub("", text)
    pieces = _PARTS.split(text)
    kept: list[str] = []
    for index in range(0, len(pieces), 2):
        part, glue = pieces[index], pieces[index + 1] if index + 1 < len(pieces) else ""
        if "`lccu" in part or "lccu " in part.lstrip("`")[:5]:
            continue
        kept.append(part + glue)
    shown = "".join(kept).strip().rstrip(";,-– ").strip()
    return shown or text.split("`lccu")[0].strip().rstrip(";,(:- ") or text


def user_message(text: str, lang: str) -> str:
    """What the page says for a library error with message ``text``."""
    for pattern, key in KNOWN:
        if pattern.search(text):
            return Translator(lang)[key]
    return without_commands(text)
