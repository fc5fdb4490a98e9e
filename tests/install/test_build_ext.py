"""scripts/build_ext.py: the optional C walk built in place in a checkout that has none
(as a git worktree used through PYTHONPATH has), and used from there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_build_ext_builds_the_c_walk_in_place(tmp_path: Path) -> None:
    """In a copy of the checkout without the compiled module, the script builds it next to
    its source, and lccu imported from that copy reports the C walk."""
    copy = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.so")
    shutil.copytree(REPO / "lccu", copy / "lccu", ignore=ignore)
    shutil.copytree(REPO / "scripts", copy / "scripts", ignore=ignore)
    shutil.copy2(REPO / "setup.py", copy / "setup.py")
    assert not list((copy / "lccu" / "fs").glob("_tskbody*.so"))
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    built = subprocess.run(
        [sys.executable, "scripts/build_ext.py"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    [module] = (copy / "lccu" / "fs").glob("_tskbody*.so")
    assert f"built {module}" in built.stdout
    used = subprocess.run(
        [sys.executable, "-c", "import lccu.fs.fastbody as f; print(f.__file__, f.engine())"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert used.returncode == 0, used.stderr
    assert used.stdout.startswith(str(copy / "lccu" / "fs" / "fastbody.py"))
    assert "libtsk" in used.stdout and "(C)" in used.stdout
