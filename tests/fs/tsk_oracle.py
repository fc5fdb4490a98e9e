"""Run Debian's Sleuth Kit command-line tools (fls, mmls, icat) as the outside oracle."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

_FLS_LINE = re.compile(r"^(\S)/(\S) (\* )?(\d+)(?:-\d+-\d+)?(\(realloc\))?:\t(.*)$")


def need(tool: str) -> str:
    """Path of a TSK tool; missing tools fail the test (CI must have them), never skip."""
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is not installed (apt-get install sleuthkit)")
    return found


def fls(image: Path, offset_sectors: int = 0) -> set[tuple[int, str, bool]]:
    """``fls -r -p`` as a set of (inode, path without leading slash, deleted)."""
    args = [need("fls"), "-r", "-p"]
    if offset_sectors:
        args += ["-o", str(offset_sectors)]
    out = subprocess.run([*args, str(image)], capture_output=True, check=True, timeout=60)
    rows: set[tuple[int, str, bool]] = set()
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        match = _FLS_LINE.match(line)
        assert match, f"unparsed fls line: {line!r}"
        rows.add((int(match.group(4)), match.group(6), match.group(3) is not None))
    return rows


def mmls(image: Path) -> list[tuple[int, int, int, str]]:
    """``mmls`` rows as (row index, start sector, length in sectors, description)."""
    out = subprocess.run([need("mmls"), str(image)], capture_output=True, check=True, timeout=60)
    rows = []
    for line in out.stdout.decode().splitlines():
        match = re.match(r"^(\d+):\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$", line)
        if match:
            rows.append((int(match.group(1)), int(match.group(2)), int(match.group(4)),
                         match.group(5).strip()))
    return rows


def icat(image: Path, inode: int, offset_sectors: int = 0) -> bytes:
    """``icat``'s output for one meta address."""
    args = [need("icat")]
    if offset_sectors:
        args += ["-o", str(offset_sectors)]
    out = subprocess.run([*args, str(image), str(inode)], capture_output=True, check=True,
                         timeout=60)
    return out.stdout


def icat_hashes(image: Path, inode: int, offset_sectors: int = 0) -> dict[str, str]:
    """hashlib's MD5, SHA-1 and SHA-256 of ``icat``'s output for one meta address."""
    data = icat(image, inode, offset_sectors)
    return {name: hashlib.new(name, data).hexdigest() for name in ("md5", "sha1", "sha256")}


def fls_name(path: str) -> str:
    """Render a path the way fls prints it (control characters become ``^``)."""
    return "".join("^" if ord(ch) < 0x20 else ch for ch in path)
