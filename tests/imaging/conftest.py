"""Fixtures for image-reader tests: the shared corpus and images built by Debian tools."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    """``$LCCU_CORPUS`` or ``../shared/corpus`` beside the repository root."""
    return Path(os.environ.get("LCCU_CORPUS") or REPO_ROOT.parent / "shared" / "corpus")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared test corpus; a missing corpus fails loudly rather than skipping."""
    path = corpus_dir()
    if not (path / "dfvfs" / "GROUND_TRUTH.md").is_file():
        pytest.fail(f"test corpus not found at {path}; set LCCU_CORPUS", pytrace=False)
    return path


@dataclass(frozen=True)
class Acquired:
    """A generated raw image and the EWF images ewfacquire made from it."""

    raw: Path
    single: Path  # one-segment E01, no compression
    split: Path  # first of several deflate-compressed segments
    ewfinfo_md5: str
    ewfinfo_sha1: str


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is needed as a reference tool: apt-get install -y ewf-tools",
                    pytrace=False)  # fmt: skip
    return path


@pytest.fixture(scope="session")
def acquired(tmp_path_factory: pytest.TempPathFactory) -> Acquired:
    """A 4 MiB raw (random, zeros, random tail) acquired by ewfacquire into E01 and E01..E04."""
    work = tmp_path_factory.mktemp("acquired")
    raw = work / "disk.raw"
    raw.write_bytes(random.Random(7).randbytes(3 * 1024 * 1024) + bytes(1024 * 1024)
                    + random.Random(8).randbytes(5 * 512))  # fmt: skip
    ewfacquire = _tool("ewfacquire")
    for target, options in (("single", ["-c", "none"]),
                            ("multi", ["-c", "deflate:fast", "-S", "1048576"])):  # fmt: skip
        subprocess.run([ewfacquire, "-u", "-d", "sha1", "-t", str(work / target), *options,
                        str(raw)], check=True, capture_output=True, timeout=60)  # fmt: skip
    info = subprocess.run([_tool("ewfinfo"), str(work / "multi.E01")], check=True,
                          capture_output=True, text=True, timeout=60).stdout  # fmt: skip
    md5 = re.search(r"MD5:\s+([0-9a-f]{32})", info)
    sha1 = re.search(r"SHA1:\s+([0-9a-f]{40})", info)
    assert md5 and sha1, info
    return Acquired(raw, work / "single.E01", work / "multi.E01", md5[1], sha1[1])
