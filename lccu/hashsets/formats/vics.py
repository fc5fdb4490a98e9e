"""Project VIC VICS JSON (OData): ``{"@odata.context": ..., "value": [...]}`` where each
element of ``value`` is a media item (VICS 2.0) or a case with a ``Media`` list (1.x); a
media item gives ``MD5``, ``SHA1`` and/or ``SHA256`` and its ``Category`` number.

Exports run to millions of items, so the file is parsed incrementally: the structure
around the items is walked by hand and each item decoded on its own, never the whole
document at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lccu.errors import InvalidInput
from lccu.hashsets.formats.common import (
    BadHash,
    Entry,
    Malformed,
    Meter,
    digest,
    entry,
    text_lines,
)

CHUNK = 1 << 20
#: one item (or other value) bigger than this is not a hash set record
MAX_VALUE = 64 << 20
_WS = " \t\r\n"
_DECODER = json.JSONDecoder()


class _Reader:
    """A text buffer over the file, refilled as the walk advances."""

    def __init__(self, text: Any, path: Path) -> None:
        self.text, self.path = text, path
        self.buf, self.pos, self.base, self.eof = "", 0, 0, False

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.text.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.base += self.pos
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0
        return True

    def peek(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str) -> str:
        got = self.peek()
        if not got or got not in chars:
            raise self.error(
                f"expected {' or '.join(repr(c) for c in chars)}, "
                f"found {got or 'the end of the file'!r}"
            )
        self.pos += 1
        return got

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > MAX_VALUE or not self._more():
                    raise self.error(f"bad JSON: {exc.msg}") from exc
                continue
            if end == len(self.buf) and not self.eof and self._more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def error(self, why: str) -> InvalidInput:
        return InvalidInput(
            f"{self.path} is not VICS JSON: {why} near character {self.base + self.pos}"
        )


def _media(item: Any, where: str) -> Entry | Malformed:
    if not isinstance(item, dict):
        return Malformed(where, "a media item is not an object")
    keys = {k.lower(): v for k, v in item.items()}
    try:
        hashes = {
            a: digest(a, keys.get(a) if isinstance(keys.get(a), str) else None)
            for a in ("md5", "sha1", "sha256")
        }
    except BadHash as exc:
        return Malformed(where, str(exc))
    if not any(hashes.values()):
        return Malformed(where, "no MD5, SHA1 or SHA256")
    category = keys.get("category")
    return entry(hashes, None if category is None else str(category))


def parse(path: Path, meter: Meter) -> Iterator[Entry | Malformed]:
    with text_lines(meter) as text:
        reader = _Reader(text, path)
        reader.expect("{")
        found = False
        count = 0
        if reader.peek() == "}":
            reader.pos += 1
        else:
            while True:
                key = reader.value()
                reader.expect(":")
                if key == "value":
                    found = True
                    for element in _array(reader):
                        for item, where in _element(reader, element):
                            count += 1
                            yield _media(item, f"media item {count}{where}")
                else:
                    reader.value()
                if reader.expect(",}") == "}":
                    break
        if not found:
            raise reader.error('no "value" list of media')


def _array(reader: _Reader) -> Iterator[None]:
    """Positions the reader at each element of the array starting here."""
    reader.expect("[")
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        yield None
        if reader.expect(",]") == "]":
            return


def _element(reader: _Reader, _slot: None) -> Iterator[tuple[Any, str]]:
    """The media of one element of ``value``: the element itself (2.0) or its ``Media``
    list (a 1.x case), streamed."""
    if reader.peek() != "{":
        yield reader.value(), ""
        return
    reader.expect("{")
    own: dict[str, Any] = {}
    if reader.peek() == "}":
        reader.pos += 1
    else:
        while True:
            key = reader.value()
            reader.expect(":")
            if isinstance(key, str) and key.lower() == "media" and reader.peek() == "[":
                case = own.get("CaseNumber") or own.get("CaseID")
                label = f" of case {case}" if case is not None else ""
                for _ in _array(reader):
                    yield reader.value(), label
            else:
                own[key] = reader.value()
            if reader.expect(",}") == "}":
                break
    if any(k.lower() in ("md5", "sha1", "sha256") for k in own):
        yield own, ""
