"""Library errors as a web user reads them (issue 20): the library's messages are written
for the command line and may tell the reader to run a command (``see `lccu status E1```),
which a web user cannot. An error raised with a message key (``LccuError.key``) is shown as
the dictionary's ``err_<key>`` in the page's language with the error's parameters filled
in; any other keeps its facts with every command-line instruction taken out.

The REST API keeps the library's own message (its readers are scripts and their authors).
"""

from __future__ import annotations

import re
import string

from lccu.web.i18n import STRINGS, operation_label

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


#: parameters whose value is a word of the library (a field, a state): said through the
#: dictionary entry ``prefix + value`` when there is one
_WORDS = {
    "field": "field_",
    "mark_state": "mark_",
    "request_state": "xzone_state_",
    "custody_action": "custody_",
    "role": "role_",
    "user_role": "user_role_",
    "container_kind": "container_",
    "advice_kind": "container_advice_",
    "disposal": "custody_",
    "qcow_feature": "qcow_feature_",
}


def _word(name: str, value: object, lang: str) -> object:
    """A parameter's value as the page says it (an operation or a word by its name; a list
    of reasons, each with its own key and facts, said one after the other)."""
    if name == "operation":
        return operation_label(str(value), lang)
    if name == "fields":  # "released_by, witness": each field by its name
        return ", ".join(str(_word("field", part.strip(), lang)) for part in str(value).split(","))
    if isinstance(value, list):
        return "; ".join(_reason(part, lang) for part in value)
    entry = STRINGS.get(_WORDS.get(name, "\0") + str(value).replace(" ", "_"))
    return entry[lang] if entry else value


def _reason(part: object, lang: str) -> str:
    """One reason of a list (``{"key", "params", "text"}``): its keyed message without the
    final full stop, else its text without command-line instructions."""
    if not isinstance(part, dict):
        return without_commands(str(part))
    given = part.get("params")
    params: dict[str, object] = given if isinstance(given, dict) else {}
    shown = keyed_message(str(part.get("key")), params, lang) if part.get("key") else None
    return shown.rstrip(".") if shown is not None else without_commands(str(part.get("text")))


def keyed_message(key: str, params: dict[str, object], lang: str) -> str | None:
    """``err_<key>`` in ``lang`` with ``params`` filled in (an operation, field or state read
    as its name in that language); None when the dictionary lacks the key or a parameter
    its text needs, so the caller falls back to the library's own words."""
    entry = STRINGS.get(f"err_{key}")
    if entry is None:
        return None
    values = {name: _word(name, value, lang) for name, value in params.items()}
    needed = {
        field for _text, field, _spec, _conv in string.Formatter().parse(entry[lang]) if field
    }
    if not needed <= values.keys():
        return None
    return entry[lang].format_map(values)


def user_message(error: BaseException | str, lang: str) -> str:
    """What the page says for a library error (or a library message ``text``)."""
    key = getattr(error, "key", None)
    if key:
        shown = keyed_message(key, getattr(error, "params", {}), lang)
        if shown is not None:
            return shown
    return without_commands(str(error))
