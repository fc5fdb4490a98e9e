"""Inputs that are not image files fail fast and clearly: exit 2, one line naming what the
input is, no traceback, no hang (a FIFO would block a reader forever, ``/dev/zero`` would
look like an empty image). The same for an output folder that cannot be created."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lccu.config import Settings
from lccu.testing.cli import lccu_env, run_lccu

#: a command that hangs on its input fails the test this fast, not after minutes
QUICK = 30


def lccu(home: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """``lccu ARGS`` with no acting user and no servers (what a new user types first), or
    with the ``LCCU_*`` ``settings`` given."""
    return run_lccu(*args, env=lccu_env(home, **settings), timeout=QUICK)


def refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 with an ``lccu: error:`` line holding ``words``; no traceback, no output."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.stderr.startswith("lccu: error: "), result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """A FIFO, a symlink loop, a directory and /dev/zero."""
    fifo = tmp_path / "fifo.img"
    os.mkfifo(fifo)
    (tmp_path / "loop-a.img").symlink_to(tmp_path / "loop-b.img")
    (tmp_path / "loop-b.img").symlink_to(tmp_path / "loop-a.img")
    folder = tmp_path / "folder.img"
    folder.mkdir()
    return {
        "fifo": fifo,
        "loop": tmp_path / "loop-a.img",
        "dir": folder,
        "chardev": Path("/dev/zero"),
    }


WORDS = {
    "fifo": ("FIFO", "fifo.img"),
    "loop": ("symbolic link loop", "loop-a.img"),
    "dir": ("directory", "folder.img"),
    "chardev": ("character device", "/dev/zero"),
}


@pytest.mark.parametrize("kind", ["fifo", "chardev", "dir", "loop"])
@pytest.mark.parametrize("command", ["scan", "hash", "timeline"])
def test_not_a_file_is_refused(
    inputs: dict[str, Path], tmp_path: Path, command: str, kind: str
) -> None:
    """`lccu scan`, `lccu hash` and `lccu timeline` of a FIFO, /dev/zero, a directory or a
    symlink loop exit 2 at once naming what the input is; nothing is written."""
    out = tmp_path / "out"
    args = {
        "scan": ["scan", str(inputs[kind]), "--out", str(out), "--no-yara"],
        "hash": ["hash", str(inputs[kind])],
        "timeline": ["timeline", str(inputs[kind]), "-o", str(tmp_path / "timeline.csv")],
    }[command]
    refused(lccu(tmp_path / "home", *args), *WORDS[kind])
    assert not (out / "report.json").exists() and not (tmp_path / "timeline.csv").exists()


@pytest.mark.parametrize("target", ["/proc/x", "/proc/x/y", "file"])
def test_out_folder_that_cannot_be_created(tmp_path: Path, target: str) -> None:
    """`lccu scan --out` a folder that cannot be created (under /proc, or below a regular
    file) exits 2 naming the folder, before any work."""
    image = tmp_path / "disk.raw"
    image.write_bytes(os.urandom(64 * 1024))
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"x")
    out = str(blocker / "out") if target == "file" else target
    refused(lccu(tmp_path / "home", "scan", str(image), "--out", out, "--no-yara"), f"--out {out}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("kind", ["fifo", "chardev", "dir", "loop"])
def test_evidence_add_of_not_a_file(
    inputs: dict[str, Path], make_lab: Callable[..., Any], lab_settings: Settings, kind: str
) -> None:
    """`lccu evidence add` of a FIFO, /dev/zero, a directory or a symlink loop exits 2 at
    once naming what the input is, and takes nothing in."""
    lab = make_lab("vlas_inv")
    case = lab.create_case("not files")
    result = lccu(
        lab_settings.home, "evidence", "add", case.id, str(inputs[kind]), "--description", "x",
        LCCU_DATABASE_URL=lab_settings.database_url, LCCU_USER="vlas_inv",
    )  # fmt: skip
    refused(result, *WORDS[kind])
    assert lab.list_evidence(case.id) == []
