"""Build lccu's optional C extension (lccu/fs/_tskbody.c) in place, in this checkout.

    python scripts/build_ext.py

``pip install -e .`` and wheels build it already; this is for a checkout used through
``PYTHONPATH`` (a git worktree) or after ``apt-get install libtsk-dev`` on a machine where
lccu is installed: it compiles ``setup.py``'s extension next to its sources without
reinstalling anything. Unlike an install it fails loudly (exit 1) when it cannot build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from setuptools import Distribution

    from setup import TSKBODY

    TSKBODY.optional = False  # here a failure is the answer, not a fallback
    dist = Distribution({"name": "lccu", "ext_modules": [TSKBODY]})
    command = dist.get_command_obj("build_ext")
    command.inplace = True
    command.build_temp = str(ROOT / "build" / "ext")
    command.ensure_finalized()
    command.run()
    import importlib

    module = importlib.import_module("lccu.fs._tskbody")
    print(f"built {module.__file__} (libtsk {module.TSK_VERSION})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
