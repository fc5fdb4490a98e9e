"""Hash set file formats: one small parser per format, all yielding the same rows.

Every parser streams its file (memory does not grow with the file) and yields
:class:`~lccu.hashsets.formats.common.Entry` for each usable row and
:class:`~lccu.hashsets.formats.common.Malformed` for each row it could not read, so that
the importer counts and reports those instead of dropping them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from lccu.errors import InvalidInput
from lccu.hashsets.formats import csvfile, hashdeep, nsrl2, nsrl3, sums, vics
from lccu.hashsets.formats.common import Entry, Malformed, Meter

Parser = Callable[[Path, Meter], Iterator[Entry | Malformed]]

PARSERS: dict[str, Parser] = {
    "nsrl-rds2": nsrl2.parse,
    "nsrl-rds3": nsrl3.parse,
    "vics": vics.parse,
    "md5sum": sums.parser("md5"),
    "sha1sum": sums.parser("sha1"),
    "sha256sum": sums.parser("sha256"),
    "hashdeep": hashdeep.parse,
    "csv": csvfile.parse,
}
FORMATS = ("auto", *PARSERS)
#: formats whose natural kind is "known" (the NIST NSRL lists software, not contraband)
KNOWN_FORMATS = ("nsrl-rds2", "nsrl-rds3")


def detect(path: Path) -> str:
    """The format of ``path`` from its first bytes, or :class:`InvalidInput` naming the
    formats to choose from with ``--format``."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError as exc:
        raise InvalidInput(f"cannot read hash set file {path}: {exc.strerror or exc}") from exc
    if head.startswith(b"SQLite format 3\x00"):
        return "nsrl-rds3"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return "vics"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.startswith("%%%% HASHDEEP"):
        return "hashdeep"
    header = [c.strip().strip('"').lower() for c in first.split(",")]
    if header[:2] == ["sha-1", "md5"] or (header[:1] == ["sha-256"] and "filename" in header):
        return "nsrl-rds2"
    if len(header) > 1 and any(c in csvfile.COLUMNS for c in header):
        return "csv"
    kind = sums.sniff(first)
    if kind is not None:
        return f"{kind}sum"
    raise InvalidInput(
        f"cannot tell the format of {path}: pass --format, one of {', '.join(PARSERS)}"
    )


def parser_for(fmt: str, path: Path) -> tuple[str, Parser]:
    """The format name (``auto`` resolved) and its parser."""
    if fmt == "auto":
        fmt = detect(path)
    if fmt not in PARSERS:
        raise InvalidInput(f"unknown hash set format {fmt!r}; use one of {', '.join(FORMATS)}")
    return fmt, PARSERS[fmt]


__all__ = [
    "FORMATS",
    "KNOWN_FORMATS",
    "PARSERS",
    "Entry",
    "Malformed",
    "Meter",
    "detect",
    "parser_for",
]
