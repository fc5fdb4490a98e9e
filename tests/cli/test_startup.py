"""Light commands start without loading the database, web or engine libraries (their start-up
time is measured by bench/startup.py, not asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "yara", "pytsk3", "pyewf",
         "magic", "dramatiq", "minio", "jinja2", "cryptography")
PROBE = """
import json, sys
from lccu.cli.main import main
sys.argv = ["lccu", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def modules_loaded(args: list[str], tmp_path: Path) -> set[str]:
    """The top-level modules in sys.modules after `lccu ARGS` ran (without LCCU_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env["LCCU_HOME"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)  # fmt: skip
    assert proc.stdout.strip(), proc.stderr
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["scan", "--help"],
                                  ["worker", "--help"], ["custody", "--help"],
                                  ["config", "show"]])
def test_light_command_imports_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    """`lccu ARGS` runs to completion with none of SQLAlchemy, the web stack, the engines or
    the signing library in sys.modules."""
    loaded = modules_loaded(args, tmp_path)
    heavy = sorted(loaded & set(HEAVY))
    assert not heavy, f"lccu {' '.join(args)} imported {heavy}"


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["timeline", "--help"],
                                  ["serve", "--help"]])
def test_help_and_version_do_not_load_the_settings_model(args: list[str], tmp_path: Path) -> None:
    """`lccu --version` and `--help` do not import pydantic (the settings model): it costs
    about 0.1 s, which `lccu serve`'s module once added to every command by importing
    ``Settings`` for a type annotation."""
    loaded = modules_loaded(args, tmp_path)
    assert "pydantic" not in loaded and "pydantic_core" not in loaded, args
