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


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["scan", "--help"],
                                  ["worker", "--help"], ["custody", "--help"],
                                  ["config", "show"]])
def test_light_command_imports_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    """`lccu ARGS` runs to completion with none of SQLAlchemy, the web stack, the engines or
    the signing library in sys.modules."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCCU_")}
    env["LCCU_HOME"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)
    assert proc.stdout.strip(), proc.stderr
    loaded = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    heavy = sorted(loaded & set(HEAVY))
    assert not heavy, f"lccu {' '.join(args)} imported {heavy}"
