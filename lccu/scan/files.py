"""Scan one extracted or carved file with YARA, whole, so file-level conditions hold.

Unlike image scans, a file is matched as one buffer: ``filesize``, ``#a == 3``, ``pe.*``
and ``at 0`` mean what the rule author meant, and the result equals the ``yara`` command
line on the same file, whichever engine runs each rule file. The externals ``filename``,
``filepath`` and ``extension`` are set from the path (signature-base rules use them). A path
is memory-mapped by the engines; a stream is read into memory, so it is refused above
``max_bytes``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

from lccu.errors import InvalidInput, ScanError
from lccu.scan.engines import EngineError, Matched, ScanTimeout
from lccu.scan.matching import to_hits
from lccu.scan.records import Hit, ScanProblem, Source
from lccu.scan.rules import EXTERNALS, RuleSet

DEFAULT_TIMEOUT = 60
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


def _externals(name: str | None) -> dict[str, str]:
    values = dict(EXTERNALS)
    if name:
        p = Path(name)
        values.update(filename=p.name, filepath=str(p), extension=p.suffix.lower())
    return values


def scan_file(
    path_or_stream: str | os.PathLike[str] | BinaryIO,
    rules: RuleSet,
    *,
    timeout: int = DEFAULT_TIMEOUT,
    source: Source = "file",
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    errors: list[ScanProblem] | None = None,
) -> list[Hit]:
    """All hits in one file; offsets are in the file.

    A timeout or YARA failure becomes a :class:`ScanProblem` in ``errors`` (and an empty
    result), or raises :class:`ScanError` when ``errors`` is None. ``name`` labels a stream
    (and feeds the ``filename`` externals) when no path is given.
    """
    if timeout < 1:
        raise InvalidInput(f"timeout must be at least 1 second, not {timeout}")
    if isinstance(path_or_stream, str | os.PathLike):
        path = Path(path_or_stream)
        label = name or str(path)
        ext_name: str | None = label
        if not path.is_file():
            raise InvalidInput(f"{path} is not a regular file; give an extracted or carved file")
        target: dict[str, Any] = {"path": str(path)}
    else:
        ext_name = name or getattr(path_or_stream, "name", None)
        label = str(ext_name) if ext_name else "<stream>"
        data = path_or_stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InvalidInput(
                f"{label} is larger than {max_bytes} bytes; scan it by path (memory-mapped) "
                "or as an image with scan_stream"
            )
        target = {"data": data}
    problems: list[ScanProblem] = []
    try:
        found = rules.match(**target, externals=_externals(str(ext_name) if ext_name else None),
                            timeout=timeout)
    except ScanTimeout:
        found = Matched()
        problems.append(ScanProblem(
            "timeout", str(label),
            f"{label} was not scanned: YARA gave up after {timeout} s; its hits are missing, "
            "rescan it with a longer timeout or without the slow rule",
            details={"timeout": timeout}))
    except EngineError as exc:
        found = Matched()
        problems.append(ScanProblem("scan_error", str(label), f"{label}: YARA failed: {exc}"))
    for string in found.too_many:
        problems.append(ScanProblem(
            "too_many_matches", str(label),
            f"{label}: string {string} reached YARA's limit of matches; later ones are not "
            "reported", details={"string": string}))
    for problem in problems:
        if errors is None:
            raise ScanError(problem.message)
        errors.append(problem)
    if "data" in target:
        data = target["data"]

        def read(offset: int, length: int) -> bytes:
            return data[offset : offset + length]
    else:
        def read(offset: int, length: int) -> bytes:
            with open(target["path"], "rb") as fh:
                fh.seek(offset)
                return fh.read(length)

    hits, _total = to_hits(found.rules, source=source, read=read)
    return hits
