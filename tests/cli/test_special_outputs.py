"""`-o /dev/null`, `-o /dev/stdout` or a FIFO: written in place, never replaced.

The output writers write to a temporary file and rename it over the name given; renaming
over a device node replaced it with a regular file (a bench run of `lccu timeline -o
/dev/null` as root turned the machine's /dev/null into a file). These tests use a FIFO,
which behaves like a device for that rename and is safe to make in a test folder.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from lccu.errors import StorageError
from lccu.outfile import output_file
from lccu.testing.cli import lccu_env, run_lccu
from lccu.testing.corpus import corpus_file


class FifoReader:
    """A FIFO and a thread reading it whole (a daemon: if nobody ever writes, it waits)."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.data = b""
        self.done = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with open(self.path, "rb") as fh:
            self.data = fh.read()
        self.done.set()

    def still_a_fifo(self) -> bool:
        return stat.S_ISFIFO(os.lstat(self.path).st_mode)


def lccu(home: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_lccu(*args, env=lccu_env(home, user=user or None))


def test_timeline_to_a_fifo_writes_through_it(tmp_path: Path) -> None:
    """`lccu timeline IMAGE -o FIFO` streams the bodyfile into the FIFO, which stays one."""
    fifo = FifoReader(tmp_path / "timeline.fifo")
    image = corpus_file("sleuthkit", "image.dd")
    result = lccu(tmp_path / "home", "timeline", str(image), "--timezone", "UTC",
                  "--format", "bodyfile", "-o", str(fifo.path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert fifo.still_a_fifo(), "the FIFO was replaced by a regular file"
    assert fifo.done.wait(30), "nothing was written into the FIFO"
    lines = fifo.data.decode().splitlines()
    assert lines and all(line.count("|") == 10 for line in lines), lines[:3]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_custody_export_to_a_fifo_writes_through_it(tmp_path: Path) -> None:
    """`lccu custody export CASE -o FIFO`: the export arrives in the FIFO, which stays one."""
    home = tmp_path / "home"
    assert lccu(home, "zone", "add", "PZ Vlas").returncode == 0
    added = lccu(home, "user", "add", "admin", "--zone", "PZ Vlas", "--role", "admin")
    assert added.returncode == 0, added.stderr
    added = lccu(home, "user", "add", "jan", "--zone", "PZ Vlas", "--role", "investigator",
                 user="admin")  # fmt: skip
    assert added.returncode == 0, added.stderr
    created = lccu(home, "case", "create", "--title", "Fifo", user="jan")
    assert created.returncode == 0, created.stderr
    fifo = FifoReader(tmp_path / "export.fifo")
    exported = lccu(home, "custody", "export", created.stdout.strip(), "-o", str(fifo.path),
                    user="jan")  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert fifo.still_a_fifo(), "the FIFO was replaced by a regular file"
    assert fifo.done.wait(30), "nothing was written into the FIFO"
    assert b'"type":"header"' in fifo.data.splitlines()[0]


def test_a_regular_file_is_replaced_whole_or_kept(tmp_path: Path) -> None:
    """A failed write keeps the old file and leaves no temporary file; a good one replaces."""
    target = tmp_path / "out.csv"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), output_file(target) as fh:
        fh.write(b"half")
        raise RuntimeError("the run failed")
    assert target.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with output_file(target) as fh:
        fh.write(b"new\n")
    assert target.read_bytes() == b"new\n"


def test_an_unwritable_folder_is_a_storage_error(tmp_path: Path) -> None:
    with (
        pytest.raises(StorageError, match=r"cannot write /proc/x/out\.csv"),
        output_file(Path("/proc/x/out.csv")),
    ):
        pass
