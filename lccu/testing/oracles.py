"""Answers from peer tools that tests compare lccu against (Debian's yara command line,
poppler's pdftotext)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path


def yara_cli_hits(rule_files: Iterable[Path], image: Path) -> set[tuple[str, int]]:
    """(rule, offset) pairs ``yara -s`` finds in ``image`` with these rule files."""
    files = sorted(str(p) for p in rule_files)
    out = subprocess.run(
        ["yara", "-s", *files, str(image)], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    hits, rule = set(), ""
    for line in out.splitlines():
        if line.startswith("0x"):
            hits.add((rule, int(line.split(":")[0], 16)))
        else:
            rule = line.split()[0]
    return hits


def pdf_text(path: Path, *, layout: bool = True) -> str:
    """The text poppler's ``pdftotext`` reads from the PDF at ``path`` (with ``layout``, in
    the page's physical layout: table cells stay on their rows)."""
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
